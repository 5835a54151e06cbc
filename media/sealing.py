"""Recordings at rest (issue 13): sealed like case files, served only to the entitled, every read audited.

A recording shows and lets hear every citizen received, denouncers included, so EVERY recording is
encrypted before it reaches the storage, with the field keys (``core.crypto``, rotated with them), in chunks
so that an hour of video never sits whole in memory:

    b"fernet-chunks:1\\n" + (4-byte big-endian length + Fernet token of ≤ 4 MiB of the file)*

The recorder calls :func:`seal_file` on the finished WebM; :func:`open_plain` yields the plaintext chunks.
Who may play it is :func:`may_play` (THE secrecy rule when a denouncer was received in the session); the
file is served by ``minutes.api.RecordingView``.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator

from core import crypto

MAGIC = b"fernet-chunks:1\n"
CHUNK = 4 * 1024 * 1024


def seal_file(path: str) -> str:
    """Encrypt the file at ``path`` into a new temporary file; returns its path (the caller removes both)."""
    fernet = crypto._fernet()
    handle, sealed = tempfile.mkstemp(prefix="sealed-", suffix=".bin")
    with open(path, "rb") as source, os.fdopen(handle, "wb") as target:
        target.write(MAGIC)
        for chunk in iter(lambda: source.read(CHUNK), b""):
            token = fernet.encrypt(chunk)
            target.write(struct.pack(">I", len(token)))
            target.write(token)
    return sealed


def is_sealed(handle) -> bool:
    start = handle.read(len(MAGIC))
    handle.seek(0)
    return start == MAGIC


def open_plain(handle) -> Iterator[bytes]:
    """The plaintext of a stored recording (sealed or, from before issue 13, plain), chunk by chunk."""
    if not is_sealed(handle):
        yield from iter(lambda: handle.read(CHUNK), b"")
        return
    fernet = crypto._fernet()
    handle.read(len(MAGIC))
    while True:
        header = handle.read(4)
        if not header:
            return
        (length,) = struct.unpack(">I", header)
        yield fernet.decrypt(handle.read(length))


def may_play(user, recording) -> bool:
    """Staff of the host office may play a recording; when the session's minutes hold a denouncer's section
    only those the secrecy rule lets see every such section (the head; docs/secrecy.md)."""
    from minutes import access
    from minutes.models import Minutes

    session = recording.session
    if not access.may_view(user, session) or getattr(user, "is_superuser", False):
        return False
    return all(access.may_see_free_text(user, minutes) for minutes in Minutes.objects.filter(session=session))
