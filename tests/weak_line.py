"""Weak-line test clients and measures, shared by tests/test_media_weak_line.py and bench/weak_line_bench.py.

* :class:`LineClient`: the e2e test's ``MediaClient`` whose probes keep every received frame's **media
  timestamp** (``pts``) — audio delivery and gaps are measured on the publisher's own clock, not on the
  wall clock of a loaded machine — and which obeys ``media.uplink`` (pauses its camera's frames while the
  worker says its uplink is weak, as the browser page does).
* :class:`ImpairedClient`: the same through a :class:`tests.tools.udp_impair.Line`: every SDP it sends or
  receives has its candidates replaced by the relay's sockets, so every packet of every connection it has
  with the worker crosses the bad line.
* Opus at a browser's bitrate: aiortc's encoder sends 96 kbit/s stereo; browsers send ~32 kbit/s with
  in-band FEC. :func:`browser_like_opus` makes the test clients do the same (the worker forwards whatever
  comes), so the 300 kbit/s line carries what it would carry from browsers.
"""

from __future__ import annotations

import asyncio
import fractions
import time

from aiortc.mediastreams import VIDEO_CLOCK_RATE

import media.weaklines  # noqa: F401  (aioice consent with retransmissions, as browsers tolerate a slow answer)
from tests.media_clients import TONES, ColourTrack, ToneTrack
from tests.test_media_e2e import MediaClient
from tests.tools.udp_impair import Line

AUDIO_FRAME = 960  # 20 ms at 48 kHz


def browser_like_opus():
    """Patch aiortc's Opus encoder in this process: 32 kbit/s, in-band FEC for 5 % loss (Chrome's defaults).
    Constrained VBR: libopus's free VBR spends ~55 kbit/s on the test's pure tone (138-byte packets, measured)
    where a browser's speech averages its 32 kbit/s target; constrained, the tone is 80-byte packets."""
    from aiortc.codecs import opus

    original = opus.OpusEncoder.__init__

    def init(self):
        original(self)
        self.codec.bit_rate = 32000
        self.codec.options = {"application": "voip", "fec": "1", "packet_loss": "5", "vbr": "constrained"}

    opus.OpusEncoder.__init__ = init
    return lambda: setattr(opus.OpusEncoder, "__init__", original)


class EncodedProbe:
    """What one receiver assembles, **without decoding** (a tap on its decoder queue, like the worker's):
    every frame's media timestamp, arrival time and whether it is a VP8 keyframe. Four clients in one
    process on a shared 2-core machine cannot decode twelve pictures in real time; the media timestamps
    say what arrived whatever the load."""

    def __init__(self, receiver, kind: str):
        from media.router import EncodedTap, is_vp8_keyframe

        self.kind, self.ended = kind, False
        self.stamps: list[tuple[int, float]] = []
        self.keyframes = 0
        self.passthrough = None  # audio: its ``late`` counts packets dropped as reordered or repeated

        def on_frame(codec, frame):
            self.stamps.append((frame.timestamp, time.monotonic()))
            if kind == "video" and is_vp8_keyframe(frame.data):
                self.keyframes += 1

        receiver._RTCRtpReceiver__decoder_queue = EncodedTap(on_frame)
        if kind == "audio":  # a browser's NetEq conceals a lost packet; aiortc's buffer would lose a second one
            from media.router import AudioPassThrough

            self.passthrough = receiver._RTCRtpReceiver__jitter_buffer = AudioPassThrough()

    @property
    def frames(self) -> int:
        return len(self.stamps)

    def mark(self) -> int:
        return len(self.stamps)

    def stop(self) -> None:
        self.ended = True

    async def wait_for_frames(self, count: int, timeout: float, after: float | None = None) -> float:
        """Wait for ``count`` frames (arrived after ``after``, monotonic); return the first one's arrival."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = [at for _, at in self.stamps if after is None or at >= after]
            if len(fresh) >= count:
                return fresh[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind}: {len(fresh)} of {count} frames within {timeout}s")
            await asyncio.sleep(0.05)


def audio_delivery(stamps: list[tuple[int, float]]) -> dict:
    """From the received frames' own timestamps: how many of the frames sent in that span came, and the
    longest hole (ms). Sent = the span of timestamps / 20 ms + 1 (the publisher sends one frame per 20 ms)."""
    pts = sorted({p for p, _ in stamps})
    if len(pts) < 2:
        return {"received": len(pts), "sent": len(pts), "ratio": 0.0, "max_gap_ms": float("inf")}
    sent = (pts[-1] - pts[0]) // AUDIO_FRAME + 1
    gaps = [(b - a) / 48 for a, b in zip(pts, pts[1:], strict=False)]
    return {"received": len(pts), "sent": sent, "ratio": len(pts) / sent, "max_gap_ms": max(gaps) - 20}


class PausableColourTrack(ColourTrack):
    """A camera the page can pause (``media.uplink`` ``video: false``): no frame is produced meanwhile.
    At 15 fps (a phone's capped rate, ``MEDIA_VIDEO_MAX_FPS``): four clients' encoders and twelve decoders
    share this process's core."""

    FPS = 15

    async def next_timestamp(self):
        if hasattr(self, "_timestamp"):
            self._timestamp += VIDEO_CLOCK_RATE // self.FPS
            wait = self._start + self._timestamp / VIDEO_CLOCK_RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        else:
            self._start = time.time()
            self._timestamp = 0
        return self._timestamp, fractions.Fraction(1, VIDEO_CLOCK_RATE)

    def __init__(self, colour):
        super().__init__(colour)
        self.running = asyncio.Event()
        self.running.set()

    def pause(self, on: bool) -> None:
        if on:
            self.running.clear()
        elif not self.running.is_set():
            if hasattr(self, "_timestamp"):  # go on from now, not in a burst to catch up the pause
                self._start = time.time() - self._timestamp / VIDEO_CLOCK_RATE - 1 / self.FPS
            self.running.set()

    async def recv(self):
        await self.running.wait()
        return await super().recv()


class LineClient(MediaClient):
    """The e2e test's client (tests/test_media_e2e.py) through its hooks: a pausable 15 fps camera that obeys
    ``media.uplink``, and :class:`EncodedProbe` receivers (no decoding)."""

    line: Line | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.camera: PausableColourTrack | None = None

    def tracks(self) -> list:
        self.camera = PausableColourTrack(self.colour)
        return [ToneTrack(TONES[self.colour]), self.camera]

    def on_frame(self, frame: dict) -> None:
        if frame["type"] == "media.uplink" and self.camera is not None:
            self.camera.pause(not frame["video"])  # the worker: our uplink carries voice only for now

    def new_probe(self, pc, track) -> EncodedProbe:
        receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
        return EncodedProbe(receiver, track.kind)

    def levels(self) -> list[str]:
        return [f["level"] for f in self.frames if f["type"] == "media.quality"]


class ImpairedClient(LineClient):
    """A participant behind a bad line: everything it exchanges with the worker crosses ``line``."""

    def __init__(self, *args, line: Line, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line

    async def incoming(self, frame: dict) -> dict:
        if frame["type"] in ("rtc.offer", "rtc.answer") and "sdp" in frame:
            pc_id = frame.get("pc", "publish")
            if frame["type"] == "rtc.offer":
                self.line.drop(pc_id)  # a new connection: a new link
            frame = {**frame, "sdp": await self.line.rewrite(pc_id, frame["sdp"], from_worker=True)}
        elif frame["type"] == "rtc.closed":
            self.line.drop(frame["pc"])
        return frame

    async def outgoing(self, frame: dict) -> dict:
        if frame["type"] in ("rtc.offer", "rtc.answer") and "sdp" in frame:
            pc_id = frame.get("pc", "publish")
            if frame["type"] == "rtc.offer":
                self.line.drop(pc_id)
            frame = {**frame, "sdp": await self.line.rewrite(pc_id, frame["sdp"], from_worker=False)}
        return frame

    async def close(self) -> None:
        await super().close()
        self.line.close()
