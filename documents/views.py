"""HTTP helpers for the official outputs. The endpoints themselves are wired by the integrator; they only
call a renderer of ``documents.render`` and hand the result to ``file_response``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def _safe_name(filename: str) -> str:
    """The file name without path separators, quotes or control characters (header injection), NFC."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", str(filename))).strip(" .")
    return name or "download"


def ascii_fallback(filename: str) -> str:
    """"Biên bản Đặng.pdf" → "Bien ban Dang.pdf", for clients that ignore ``filename*``."""
    text = _safe_name(filename).replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._ -]+", "_", text).strip(" .")
    return text or "download"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>`` (RFC 6266 / RFC 5987)."""
    name = _safe_name(filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(data, filename: str, content_type: str, *, inline: bool = False) -> HttpResponse:
    """A download response for a rendered document.

    ``data`` may be ``bytes`` (→ HttpResponse with Content-Length), a binary file object opened for
    reading, e.g. ``render.reception_log_xlsx_file(...)`` (→ FileResponse: streamed in blocks, closed at the
    end, Content-Length from its size), or any iterable of ``bytes`` (→ StreamingHttpResponse)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        response = HttpResponse(bytes(data), content_type=content_type)
        response["Content-Length"] = str(len(data))
    elif hasattr(data, "read"):
        response = FileResponse(data, content_type=content_type)
    elif isinstance(data, Iterable):
        response = StreamingHttpResponse(data, content_type=content_type)
    else:
        raise TypeError("file_response needs bytes, a binary file object or an iterable of bytes")
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
