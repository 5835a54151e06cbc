import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free form for search: "Bắc Ninh" → "bac ninh", "Đặc khu" → "dac khu"."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
