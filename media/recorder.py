"""Per-participant recording: aiortc's MediaRecorder writes a WebM file from the participant's gated
tracks (what the room hears and sees); at the stop the file goes to Django's storage with its SHA-256."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass

from aiortc.contrib.media import MediaRecorder
from django.core.files import File
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class Segment:
    pid: str
    path: str
    recorder: MediaRecorder
    started_at: object  # aware datetime
    started: float  # monotonic


async def start(pid: str, tracks) -> Segment:
    handle, path = tempfile.mkstemp(prefix=f"rec-{pid}-", suffix=".webm")
    os.close(handle)
    recorder = MediaRecorder(path, format="webm")
    for track in tracks:
        recorder.addTrack(track)
    await recorder.start()
    return Segment(pid, path, recorder, timezone.now(), time.monotonic())


def save(segment: Segment, session_id: int, state: dict) -> None:
    """Store the finished file and its row (sync: runs in a thread)."""
    from media.models import Recording

    participants = state.get("participants") or {}
    p = participants.get(segment.pid) or {}
    digest = hashlib.sha256()
    with open(segment.path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    stopped_at = timezone.now()
    duration = round(time.monotonic() - segment.started, 3)
    from media import sealing

    sealed = sealing.seal_file(segment.path)  # encrypted at rest (issue 13); the SHA-256 is of the WebM
    try:
        with open(sealed, "rb") as source:
            Recording.objects.create(
                session_id=session_id, participant=segment.pid, user_id=p.get("user_id"), role=p.get("role", ""),
                file=File(source, name=f"{uuid.uuid4().hex}.bin"),
                started_at=segment.started_at, stopped_at=stopped_at,
                duration_seconds=duration, size_bytes=os.path.getsize(segment.path),
                sha256=digest.hexdigest(),
                present=sorted(pid for pid, q in participants.items() if q.get("status") == "admitted"),
            )
    finally:
        os.unlink(segment.path)
        os.unlink(sealed)
