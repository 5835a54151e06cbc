"""The path from a participant's incoming tracks to the tracks sent to everyone else, for one room.

One small interface, so that the relay can change without touching the worker: ``RoomRouter.publish``
(a participant's incoming track arrived), ``RoomRouter.outgoing`` (a track carrying a publisher's media to
one subscriber) and ``RoomRouter.unpublish``. Today the relay is aiortc's: every outgoing track pulls
decoded frames from ``MediaRelay`` and is re-encoded by its own sender (decode → re-encode). A later relay
that forwards encoded frames replaces this module only.

The host's controls are enforced here, on the media: an outgoing track asks ``allowed(publisher, kind)``
(fed from the room state in PostgreSQL) for every frame, and sends silence or black instead of a muted or
stopped publisher's media, whatever their client keeps sending.
"""

from __future__ import annotations

import fractions
from collections.abc import Callable

import av
import numpy
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

Allowed = Callable[[str, str], bool]  # (publisher pid, "audio" | "video") -> forward the real media?


class GatedTrack(MediaStreamTrack):
    """A publisher's media for one subscriber: the real frames while allowed, silence or black otherwise."""

    def __init__(self, source: MediaStreamTrack, publisher: str, allowed: Allowed):
        super().__init__()
        self.kind = source.kind
        self.source, self.publisher, self.allowed = source, publisher, allowed
        self._black: dict[tuple[int, int], numpy.ndarray] = {}

    async def recv(self):
        frame = await self.source.recv()
        if self.allowed(self.publisher, self.kind):
            return frame
        return self._silence(frame) if self.kind == "audio" else self._blackout(frame)

    @staticmethod
    def _silence(frame: av.AudioFrame) -> av.AudioFrame:
        quiet = av.AudioFrame(format=frame.format.name, layout=frame.layout.name, samples=frame.samples)
        for plane in quiet.planes:
            plane.update(bytes(plane.buffer_size))
        quiet.sample_rate, quiet.pts = frame.sample_rate, frame.pts
        quiet.time_base = frame.time_base or fractions.Fraction(1, frame.sample_rate)
        return quiet

    def _blackout(self, frame: av.VideoFrame) -> av.VideoFrame:
        size = (frame.height, frame.width)
        if size not in self._black:
            height, width = size
            yuv = numpy.full((height * 3 // 2, width), 128, dtype=numpy.uint8)
            yuv[:height] = 16  # black in limited-range YUV
            self._black[size] = yuv
        black = av.VideoFrame.from_ndarray(self._black[size], format="yuv420p")
        black.pts, black.time_base = frame.pts, frame.time_base
        return black


class RoomRouter:
    """Who publishes what in one room, and the outgoing tracks made from it."""

    def __init__(self, allowed: Allowed):
        self.allowed = allowed
        self.relay = MediaRelay()
        self.incoming: dict[str, dict[str, MediaStreamTrack]] = {}  # pid -> kind -> track

    def publish(self, pid: str, track: MediaStreamTrack) -> None:
        self.incoming.setdefault(pid, {})[track.kind] = track

    def unpublish(self, pid: str) -> None:
        for track in self.incoming.pop(pid, {}).values():
            track.stop()

    def publishers(self) -> list[str]:
        return [pid for pid, tracks in self.incoming.items() if tracks]

    def outgoing(self, publisher: str) -> list[MediaStreamTrack]:
        """New tracks (audio first, then video) carrying ``publisher``'s media to one subscriber."""
        tracks = self.incoming.get(publisher, {})
        return [GatedTrack(self.relay.subscribe(tracks[kind], buffered=False), publisher, self.allowed)
                for kind in ("audio", "video") if kind in tracks]


__all__ = ["GatedTrack", "MediaStreamError", "RoomRouter"]
