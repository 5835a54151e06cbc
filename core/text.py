import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free form for search: "Bắc Ninh" → "bac ninh", "Đặc khu" → "dac khu"."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def _fold_char(ch: str) -> str:
    ch = "d" if ch in "đĐ" else ch
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, folded (lower case, no diacritics, đ → d), and for each of them
    the index of the character of ``text`` it came from."""
    chars, where = [], []
    for index, ch in enumerate(text or ""):
        for folded in _fold_char(ch):
            if folded.isalnum():
                chars.append(folded)
                where.append(index)
    return "".join(chars), where


def _variants(value: str) -> set[str]:
    key, _where = _skeleton(value)
    keys = {key} if len(key) >= 3 else set()
    if key.isdigit() and len(key) >= 9:  # a phone: 0911222333 = 84911222333 = +84 911 222 333
        if key.startswith("84"):
            keys.add("0" + key[2:])
        elif key.startswith("0"):
            keys.add("84" + key[1:])
    return keys


def scrub_variants(text: str, values, replacement: str) -> str:
    """``text`` with every occurrence of each of ``values`` replaced, whatever its spelling: upper or lower
    case, with or without diacritics, any spaces or punctuation between its letters and digits
    ("ZYXWVU SECRETNAME, đt 0911.222.333" loses both the name "Zyxwvu Secretname" and "0911222333")."""
    if not text:
        return text
    keys = sorted({k for value in values for k in _variants(value or "")}, key=len, reverse=True)
    if not keys:
        return text
    skeleton, where = _skeleton(text)
    spans: list[tuple[int, int]] = []
    for key in keys:
        start = skeleton.find(key)
        while start != -1:
            spans.append((where[start], where[start + len(key) - 1] + 1))
            start = skeleton.find(key, start + 1)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
