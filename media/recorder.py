"""Per-participant recording: a WebM file (VP8 + Opus) of the participant's gated tracks (what the room
hears and sees); at the stop the file goes to Django's storage with its SHA-256.

With the forwarding relay (the default) the tracks carry encoded packets and :class:`PacketRecorder` only
muxes them with PyAV (no decoding, no encoding): the file starts at a video keyframe, and audio is placed on
the video's timeline by arrival time once, then follows its own RTP clock (docs/media.md, "Recording").
With the decode/re-encode relay, aiortc's ``MediaRecorder`` encodes the decoded frames as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass

import av
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamError
from django.core.files import File
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class Segment:
    pid: str
    path: str
    recorder: MediaRecorder | PacketRecorder
    started_at: object  # aware datetime
    started: float  # monotonic


class PacketRecorder:
    """Muxes encoded packets (``media.router.ForwardTrack``) into a WebM file: VP8 + Opus, as received."""

    def __init__(self, path: str, tracks):
        self.path = path
        self.tracks = {track.kind: track for track in tracks}
        self.container = None
        self.streams: dict[str, av.stream.Stream] = {}
        self.t0: float | None = None  # monotonic arrival of the first video keyframe: the file's zero
        self.origin: dict[str, int] = {}  # kind -> track pts that maps to the file's offset below
        self.offset: dict[str, int] = {}  # kind -> file pts (in the track's clock) of ``origin``
        self.last: dict[str, int] = {}
        self.packets = 0
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self.tasks = [asyncio.ensure_future(self._read(track)) for track in self.tracks.values()]

    def _open(self, size: tuple[int, int]) -> None:
        self.container = av.open(self.path, "w", format="webm")
        if "video" in self.tracks:
            video = self.container.add_stream("libvpx", rate=30)
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            self.streams["video"] = video
        if "audio" in self.tracks:
            audio = self.container.add_stream("libopus", rate=48000)
            audio.layout = "stereo"
            self.streams["audio"] = audio

    async def _read(self, track) -> None:
        from media.router import vp8_size

        kind = track.kind
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                packet, key, arrived = await track.recv_item()
                if self.container is None:
                    if kind == "video" and key:
                        self.t0 = arrived
                        self._open(vp8_size(bytes(packet)))
                    elif kind == "audio" and "video" not in self.tracks:
                        self.t0 = arrived
                        self._open((0, 0))
                    else:
                        continue  # the file starts at a video keyframe
                if kind not in self.origin:  # this stream's first packet: placed by its arrival after t0
                    if arrived < self.t0:  # queued before the keyframe (a busy loop): before the file's start
                        continue  # (placing it at 0 would shift the whole stream early by the backlog)
                    self.origin[kind] = packet.pts
                    self.offset[kind] = round((arrived - self.t0) / packet.time_base)
                pts = packet.pts - self.origin[kind] + self.offset[kind]
                if kind in self.last and pts <= self.last[kind]:
                    pts = self.last[kind] + 1
                self.last[kind] = pts
                packet.pts = packet.dts = pts
                packet.stream = self.streams[kind]
                if kind == "video":
                    packet.is_keyframe = key
                self.container.mux(packet)
                self.packets += 1

    async def stop(self) -> None:
        for track in self.tracks.values():
            track.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.container is None:  # nothing came (no keyframe): still a valid, empty file
            self._open((320, 240))
        self.container.close()


def encoded(tracks) -> bool:
    from media.router import ForwardTrack

    return bool(tracks) and all(isinstance(track, ForwardTrack) for track in tracks)


async def start(pid: str, tracks) -> Segment:
    handle, path = tempfile.mkstemp(prefix=f"rec-{pid}-", suffix=".webm")
    os.close(handle)
    if encoded(tracks):
        recorder = PacketRecorder(path, tracks)
    else:
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
