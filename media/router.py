"""The path from a participant's incoming tracks to the tracks sent to everyone else, for one room.

One small interface, so that the relay can change without touching the worker: ``RoomRouter.publish``
(a participant's incoming track arrived, with its ``RTCRtpReceiver``), ``RoomRouter.outgoing`` (tracks
carrying a publisher's media to one subscriber), ``RoomRouter.bind`` (the sender of an outgoing track, for
its keyframe requests) and ``RoomRouter.unpublish``.

Two relays (``MEDIA_RELAY``; docs/media.md, "The router"):

* ``forward`` (the default): **encoded** frames are forwarded. aiortc 1.16 has no public API for them, so
  each incoming receiver gets a tap on its decoder queue (:class:`EncodedTap`): the depacketised frames
  (``JitterFrame``: VP8 or Opus bytes and the receiver's timestamp) come to the room's :class:`Source`
  instead of the decoder thread, which then never decodes anything. Each outgoing track
  (:class:`ForwardTrack`) returns ``av.Packet`` objects, which ``RTCRtpSender`` only packs (its own SSRC,
  sequence numbers and VP8 picture ids). Keyframes: a new subscriber, a re-publish, a subscriber's PLI/FIR
  and a stalled jitter buffer ask the publisher for one (at most one a second per publisher); a subscriber
  starts at a keyframe.
* ``relay``: aiortc's ``MediaRelay``; every subscriber's sender decodes and re-encodes (kept for the
  benchmark's comparison).

The host's controls are enforced here, on the media: every frame asks ``allowed(publisher, kind)`` (fed from
the room state in PostgreSQL): a muted publisher's audio becomes encoded Opus silence, a stopped video black
keyframes (also while the publisher sends nothing), and lifting the stop resumes at a keyframe.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import queue
import struct
import time
from collections.abc import Callable

import av
import numpy
from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError

logger = logging.getLogger(__name__)

Allowed = Callable[[str, str], bool]  # (publisher pid, "audio" | "video") -> forward the real media?

KEYFRAME_INTERVAL = 1.0  # seconds: an unanswered keyframe request is repeated at most this often
KEYFRAME_MIN_INTERVAL = 0.25  # ... and once a keyframe answered it, a new request may follow after this
STALL_SECONDS = 0.3  # video packets arrive but no frame left the jitter buffer for this long: reset it
STALL_PACKETS = 8  # ... and at least this many packets came meanwhile (not a pause of the sender)
BLACK_INTERVAL = 0.5  # a stopped video that sends nothing gets a black keyframe this often
REMB_INTERVAL_MS = 500  # a publisher's bandwidth estimate (REMB) is sent at most this often ...
REMB_DROP = 0.85  # ... unless it fell below this share of the last one sent (congestion: say it at once)
# A new subscriber starts at once at the last keyframe and the deltas since, if no more than this many (a
# quarter second at 30 fps: a longer burst of old frames would make its jitter buffer settle on a longer delay);
# otherwise it asks the publisher for a keyframe.
GOP_CACHE_FRAMES = 0  # off: see docs/media.md
QUEUE_FRAMES = 120  # per outgoing track: a sender this far behind drops frames (video: until a keyframe)
OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms Opus frame of silence (CELT, full band)
CLOCK = {"audio": 48000, "video": 90000}


def is_vp8_keyframe(data: bytes) -> bool:
    """A VP8 key frame: the frame tag's P bit is 0 and the start code 9d 01 2a follows (RFC 6386, 9.1)."""
    return len(data) >= 10 and not data[0] & 1 and data[3:6] == b"\x9d\x01\x2a"


def vp8_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack_from("<HH", data, 6)
    return width & 0x3FFF, height & 0x3FFF


_black: dict[tuple[int, int], bytes] = {}


def black_keyframe(width: int, height: int) -> bytes:
    """An encoded VP8 key frame, all black, of this size (encoded once per size, a few hundred bytes)."""
    size = (max(16, width - width % 2), max(16, height - height % 2))
    if size not in _black:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = size
        codec.pix_fmt, codec.time_base = "yuv420p", fractions.Fraction(1, 30)
        yuv = numpy.full((size[1] * 3 // 2, size[0]), 128, dtype=numpy.uint8)
        yuv[: size[1]] = 16  # black in limited-range YUV
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = 0
        packets = [*codec.encode(frame), *codec.encode(None)]
        _black[size] = bytes(packets[0])
    return _black[size]


class EncodedTap:
    """Replaces an ``RTCRtpReceiver``'s decoder queue: encoded frames go to ``on_frame``, never to the decoder.

    The receiver puts ``(codec, JitterFrame)`` here from the event loop (``_handle_rtp_packet``); its decoder
    thread blocks on ``get()`` until the receiver stops and puts ``None``, which ends the thread and the track.
    """

    def __init__(self, on_frame: Callable):
        self.on_frame = on_frame
        self._inner: queue.Queue = queue.Queue()

    def put(self, item) -> None:
        if item is None:
            self._inner.put(None)
            return
        codec, frame = item
        try:
            self.on_frame(codec, frame)
        except Exception:  # noqa: BLE001 - one bad frame never kills the receiver
            logger.exception("forwarding a frame failed")

    def get(self, *args, **kwargs):
        return self._inner.get(*args, **kwargs)


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's video jitter buffer, which also lets a frame go as soon as its last packet (the RTP marker
    bit) completes it: aiortc's own waits for the next frame's first packet, 33 ms at 30 fps added to every
    frame (and to every subscriber's first picture). A frame whose marker is lost still leaves the old way."""

    def add(self, packet):
        pli_flag, frame = super().add(packet)
        if frame is None and packet.marker and self._origin is not None:
            frame = self._complete(packet)
        return pli_flag, frame

    def _complete(self, last) -> JitterFrame | None:
        count = (last.sequence_number - self._origin) % (1 << 16) + 1
        if count > self._capacity:
            return None
        packets = []
        for i in range(count):
            packet = self._packets[(self._origin + i) % self._capacity]
            if packet is None or packet.timestamp != last.timestamp:
                return None
            packets.append(packet)
        first = packets[0].payload
        if not first or first[0] & 0x17 != 0x10:  # VP8 descriptor: the frame's first packet (S=1, partition 0)
            return None
        self.remove(count)
        return JitterFrame(data=b"".join(p._data for p in packets), timestamp=last.timestamp)


class AudioPassThrough:
    """The audio receiver's jitter buffer for forwarding: every Opus packet is a whole frame and leaves at
    once. aiortc's own holds four packets back (``prefetch=4``: 80 ms, for its decoder) and the video's one
    frame (33 ms: a frame is complete when the next one starts), which would put the forwarded audio ~50 ms
    behind the video; the subscriber's own jitter buffer absorbs the network's jitter anyway. A packet older
    than the last one forwarded, or the same (reordered, duplicated) is dropped: its moment has passed."""

    capacity = 16

    def __init__(self):
        self.last: int | None = None
        self.late = 0  # dropped as late or repeated (weak lines count them)

    def add(self, packet):
        from aiortc.jitterbuffer import JitterFrame

        timestamp = packet.timestamp
        if self.last is not None and (self.last - timestamp) % (1 << 32) < (1 << 31):  # not newer
            self.late += 1
            return False, None
        self.last = timestamp
        return False, JitterFrame(data=packet._data, timestamp=timestamp)


class UnwrapMapper:
    """The receiver's RTP timestamp mapper (rebases a stream's timestamps to 0 and unwraps 32 bits), which
    only calls it a wrap when the timestamp really wrapped. aiortc's takes *any* step back for a wrap and
    adds 2³² to every later timestamp: one old frame let out after a newer one (a jitter-buffer restart
    while retransmissions still arrive, on a loaded worker) made a 10-minute recording's video jump by 13 h.
    An old frame keeps its place before the last one."""

    def __init__(self):
        self._origin: int | None = None
        self._last = 0

    def map(self, timestamp: int) -> int:
        if self._origin is None:
            self._origin = self._last = timestamp
            return 0
        step = (timestamp - self._last) % (1 << 32)
        if step < (1 << 31):  # forward, across a wrap or not
            if timestamp < self._last:
                self._origin -= 1 << 32
            self._last = timestamp
            return timestamp - self._origin
        return self._last - self._origin - ((1 << 32) - step)  # an older frame


class ThrottledRemb:
    """The receiver's bandwidth estimator, whose REMB feedback is sent at most every ``REMB_INTERVAL_MS``
    (at once when the estimate falls by more than ``1 - REMB_DROP``).

    aiortc's estimator answers every packet while it sees "overuse" (any queueing jitter on a loaded
    machine), and each answer is an RTCP packet encrypted and sent: a tenth of the worker's CPU in the
    benchmark. Browsers need a REMB only a few times a second (libwebrtc sends one a second, or at once
    when the estimate drops by 3 %)."""

    def __init__(self, inner):
        self.inner = inner
        self.last_ms: int | None = None
        self.last_bitrate = 0

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int):
        remb = self.inner.add(arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time,
                              payload_size=payload_size, ssrc=ssrc)
        if remb is None:
            return None
        if (self.last_ms is None or arrival_time_ms - self.last_ms >= REMB_INTERVAL_MS
                or remb[0] < self.last_bitrate * REMB_DROP):
            self.last_ms, self.last_bitrate = arrival_time_ms, remb[0]
            return remb
        return None


class Source:
    """One publisher's incoming track of one kind, forwarded encoded to its subscribers (``sinks``)."""

    def __init__(self, router: RoomRouter, publisher: str, kind: str, receiver):
        self.router, self.publisher, self.kind, self.receiver = router, publisher, kind, receiver
        self.sinks: set[ForwardTrack] = set()
        self.ssrc: int | None = None
        self.size = (320, 240)
        self.broken = kind == "video"  # drop delta frames until a keyframe (the start, a stall, a resume)
        self.was_allowed = True
        self.last_frame_at = self.last_packet_at = time.monotonic()
        self.last_black_at = 0.0
        self.last_timestamp: int | None = None  # of the last video frame taken (never go back)
        self.gop: list[tuple[bytes, int, float]] | None = None  # the last keyframe and deltas since (data, ts, arrival)
        self.packets_since_frame = 0
        self.frames = self.keyframes = self.stalls = self.keyframe_requests = 0
        self._last_request = -KEYFRAME_INTERVAL
        self._keyframe_since_request = True
        self._pending: asyncio.TimerHandle | None = None
        self.ended = False
        self._install(receiver)

    # --- the receiver's side ---------------------------------------------------------------------------------

    def _install(self, receiver) -> None:
        receiver._RTCRtpReceiver__decoder_queue = EncodedTap(self.on_frame)  # before receive() starts the thread
        if hasattr(receiver, "_RTCRtpReceiver__timestamp_mapper"):
            receiver._RTCRtpReceiver__timestamp_mapper = UnwrapMapper()
        if self.kind == "audio":
            receiver._RTCRtpReceiver__jitter_buffer = AudioPassThrough()
        else:
            receiver._RTCRtpReceiver__jitter_buffer = MarkerJitterBuffer(capacity=512, is_video=True)
        estimator = getattr(receiver, "_RTCRtpReceiver__remote_bitrate_estimator", None)
        if estimator is not None and not isinstance(estimator, ThrottledRemb):
            receiver._RTCRtpReceiver__remote_bitrate_estimator = ThrottledRemb(estimator)
        original = receiver._handle_rtp_packet
        rtx = receiver._RTCRtpReceiver__rtx_ssrc

        async def handle_rtp_packet(packet, arrival_time_ms):
            if packet.ssrc not in rtx:
                self.ssrc = packet.ssrc
            self.last_packet_at = time.monotonic()
            self.packets_since_frame += 1
            await original(packet, arrival_time_ms=arrival_time_ms)
            if (self.kind == "video" and self.packets_since_frame >= STALL_PACKETS
                    and self.last_packet_at - self.last_frame_at > STALL_SECONDS):
                self.stalled()

        receiver._handle_rtp_packet = handle_rtp_packet

    def stalled(self) -> None:
        """Packets keep coming but the jitter buffer gives no frame: a packet is lost for good (aiortc would
        wait for 512 more packets). Start afresh at the next packet and ask for a keyframe."""
        jitter = self.receiver._RTCRtpReceiver__jitter_buffer
        jitter._packets = [None] * jitter.capacity
        jitter._origin = None
        self.stalls += 1
        self.broken = True
        self.gop = None
        self.last_frame_at = time.monotonic()
        self.packets_since_frame = 0
        logger.info("%s video: jitter buffer stalled, asking for a keyframe", self.publisher)
        self.request_keyframe()

    def on_frame(self, codec, frame) -> None:
        """A depacketised encoded frame (``JitterFrame``) arrived from the publisher."""
        now = time.monotonic()
        self.last_frame_at = now
        self.packets_since_frame = 0
        self.frames += 1
        data, timestamp = frame.data, frame.timestamp
        if self.kind == "audio":
            if not self.router.allowed(self.publisher, "audio"):
                data = OPUS_SILENCE
            self.deliver(data, timestamp, key=True)
            return
        if self.last_timestamp is not None and timestamp < self.last_timestamp:
            return  # an older frame than one already forwarded: stale (its moment has passed)
        self.last_timestamp = timestamp
        keyframe = is_vp8_keyframe(data)
        if keyframe:
            self.keyframes += 1
            self._keyframe_since_request = True
            self.size = vp8_size(data)
        allowed = self.router.allowed(self.publisher, "video")
        if allowed and not self.was_allowed:
            self.broken = True  # the stop is lifted: resume at a keyframe (black until it comes)
        self.was_allowed = allowed
        if not allowed:
            self.gop = None
            self.send_black(timestamp)  # stopped by the host: black, whatever the camera sends
            return
        if self.broken:
            if not keyframe:
                self.gop = None
                self.request_keyframe()  # throttled: keeps asking until one comes; the deltas are useless
                return
            self.broken = False
        if keyframe:
            self.gop = [(data, timestamp, now)]
        elif self.gop is not None:
            if len(self.gop) < GOP_CACHE_FRAMES:
                self.gop.append((data, timestamp, now))
            else:
                self.gop = None
        self.deliver(data, timestamp, key=keyframe)

    def send_black(self, timestamp: int | None = None) -> None:
        self.last_black_at = time.monotonic()
        self.deliver(black_keyframe(*self.size), timestamp, key=True, black=True)

    def deliver(self, data: bytes, timestamp: int | None, *, key: bool, black: bool = False) -> None:
        for sink in list(self.sinks):
            sink.push(data, timestamp, key=key, black=black)

    # --- keyframes ---------------------------------------------------------------------------------------------

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (PLI): at most one a second while a request is unanswered, at
        most four a second once keyframes come; a request inside the interval is sent at its end."""
        if self.kind != "video" or self.ended:
            return
        answered = self._keyframe_since_request
        wait = self._last_request + (KEYFRAME_MIN_INTERVAL if answered else KEYFRAME_INTERVAL) - time.monotonic()
        if wait > 0:
            if self._pending is None:
                self._pending = asyncio.get_running_loop().call_later(wait, self._send_pli)
            return
        self._send_pli()

    def _send_pli(self) -> None:
        self._pending = None
        if self.ended or self.ssrc is None:
            if not self.ended:  # no packet yet: the first keyframe is on its way anyway; ask again soon
                self._pending = asyncio.get_running_loop().call_later(0.2, self._send_pli)
            return
        self._last_request = time.monotonic()
        self._keyframe_since_request = False
        self.keyframe_requests += 1
        asyncio.ensure_future(self.receiver._send_rtcp_pli(self.ssrc))

    def tick(self, now: float) -> None:
        """A stopped video whose publisher sends nothing still shows black, not a frozen picture."""
        if self.kind == "video" and not self.router.allowed(self.publisher, "video"):
            self.was_allowed = False
            if now - self.last_frame_at >= BLACK_INTERVAL and now - self.last_black_at >= BLACK_INTERVAL:
                self.send_black()

    def end(self) -> None:
        self.ended = True
        if self._pending is not None:
            self._pending.cancel()
        for sink in list(self.sinks):
            sink.push_end()
        self.sinks.clear()


class ForwardTrack(MediaStreamTrack):
    """A publisher's encoded media for one subscriber (or a recorder): ``recv()`` returns ``av.Packet``.

    Timestamps are rewritten to one continuous timeline per track (the real frames, the black frames made
    here and a resumed stream follow on without a jump back); a new track starts at a keyframe.
    """

    def __init__(self, source: Source):
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.rate = CLOCK[source.kind]
        self.time_base = fractions.Fraction(1, self.rate)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.waiting_keyframe = source.kind == "video"
        self._timeline: object = None
        self._offset = 0
        self._last: int | None = None
        self._last_wall = 0.0
        self.sent = self.sent_keyframes = 0
        self.started = False  # nothing is queued before the sender (or recorder) reads: no stale start
        self.paused = False  # weak lines (media/weaklines.py): this subscriber's line cannot carry it now
        source.sinks.add(self)

    def set_paused(self, paused: bool) -> None:  # weak lines: the only hook they need in the router
        """Stop or resume forwarding (a weak subscriber's picture); resuming starts at a keyframe."""
        if paused == self.paused:
            return
        self.paused = paused
        if not paused and self.kind == "video":
            self.waiting_keyframe = True
            self.source.request_keyframe()

    def push(self, data: bytes, timestamp: int | None, *, key: bool, black: bool = False,
             arrived: float | None = None) -> None:
        if self.readyState != "live" or not self.started or self.paused:
            return
        if black:
            self.waiting_keyframe = True  # the real deltas must not follow a black keyframe
        elif self.waiting_keyframe:
            if not key:
                self.source.request_keyframe()
                return
            self.waiting_keyframe = False
        if self.queue.qsize() >= QUEUE_FRAMES:  # a stuck sender: drop what is queued, restart at a keyframe
            while not self.queue.empty():
                self.queue.get_nowait()
            if self.kind == "video":
                self.waiting_keyframe = not key
                self.source.request_keyframe()
        now = time.monotonic() if arrived is None else arrived
        timeline = "black" if timestamp is None else self.source
        if timestamp is None:
            timestamp = int(now * self.rate)
        if timeline is not self._timeline or self._last is None:
            follow = 0 if self._last is None else self._last + max(1, int((now - self._last_wall) * self.rate))
            self._offset = follow - timestamp
            self._timeline = timeline
        pts = timestamp + self._offset
        if self._last is not None and pts < self._last:  # never backwards
            pts = self._last
        self._last, self._last_wall = pts, now
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = self.time_base
        self.queue.put_nowait((packet, key, now))

    def push_end(self) -> None:
        self.queue.put_nowait(None)

    async def recv(self) -> av.Packet:
        packet, _, _ = await self.recv_item()
        return packet

    async def recv_item(self) -> tuple[av.Packet, bool, float]:
        """The next packet, whether it is a keyframe, and its arrival time (monotonic); for the recorder."""
        if self.readyState != "live":
            raise MediaStreamError
        if not self.started:  # the subscriber's connection is up: start at a keyframe
            self.started = True
            gop = self.source.gop if self.kind == "video" and GOP_CACHE_FRAMES else None
            if gop:  # a recent one: at once, with the deltas since (their own arrival times, for the recorder)
                for i, (data, timestamp, arrived) in enumerate(gop):
                    self.push(data, timestamp, key=i == 0, arrived=arrived)
            else:  # ask the publisher for one
                self.source.request_keyframe()
        item = await self.queue.get()
        if item is None:
            self.stop()
            raise MediaStreamError
        self.sent += 1
        self.sent_keyframes += item[1]
        return item

    def stop(self) -> None:
        self.source.sinks.discard(self)
        super().stop()


class GatedTrack(MediaStreamTrack):
    """The ``relay`` mode: a publisher's decoded media for one subscriber, silence or black when gated."""

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


def _codecs(kind: str) -> list:
    """VP8 (with its retransmissions) for video, Opus for audio: what the recorder and browsers agree on."""
    wanted = ("video/vp8", "video/rtx") if kind == "video" else ("audio/opus",)
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]


def prefer_codecs(pc) -> None:
    """Limit a peer connection's transceivers to VP8 and Opus: call it after ``addTrack`` (an offer) or
    after ``setRemoteDescription`` of an offer, before ``createAnswer`` (an answer)."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind not in CLOCK:
            continue
        transceiver.setCodecPreferences(_codecs(transceiver.kind))
        if transceiver._codecs:  # an answer: the common codecs are already chosen; keep VP8 / Opus only
            base = [c for c in transceiver._codecs if c.mimeType.lower() in ("video/vp8", "audio/opus")]
            types = {c.payloadType for c in base}
            rtx = [c for c in transceiver._codecs
                   if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") in types]  # VP8's only
            if base:
                transceiver._codecs = base + rtx


def tappable(receiver) -> bool:
    """The aiortc 1.16 receiver internals the forwarding relies on are there (checked, never assumed)."""
    return all(hasattr(receiver, name) for name in (
        "_RTCRtpReceiver__decoder_queue", "_RTCRtpReceiver__jitter_buffer", "_RTCRtpReceiver__rtx_ssrc",
        "_handle_rtp_packet", "_send_rtcp_pli"))


class RoomRouter:
    """Who publishes what in one room, and the outgoing tracks made from it."""

    def __init__(self, allowed: Allowed, mode: str = "forward"):
        if mode not in ("forward", "relay"):
            raise ValueError(f"unknown relay mode {mode!r}")
        self.allowed, self.mode = allowed, mode
        self.relay = MediaRelay()
        self.incoming: dict[str, dict[str, MediaStreamTrack]] = {}  # pid -> kind -> track
        self.sources: dict[str, dict[str, Source]] = {}  # pid -> kind -> source (forward mode)
        self._ticker: asyncio.Task | None = None

    def publish(self, pid: str, track: MediaStreamTrack, receiver=None) -> None:
        """``track`` arrived on ``pid``'s publish connection, from ``receiver`` (needed to forward encoded
        frames; without it the track is relayed decoded)."""
        self.incoming.setdefault(pid, {})[track.kind] = track
        if self.mode == "forward" and receiver is not None and not tappable(receiver):
            logger.warning("aiortc's receiver internals changed (not 1.16?): relaying %s's %s decoded", pid, track.kind)
            receiver = None
        if self.mode == "forward" and receiver is not None:
            old = self.sources.setdefault(pid, {}).pop(track.kind, None)
            if old is not None:
                old.end()
            self.sources[pid][track.kind] = Source(self, pid, track.kind, receiver)
            if self._ticker is None:
                self._ticker = asyncio.ensure_future(self._tick())

    def unpublish(self, pid: str) -> None:
        for source in self.sources.pop(pid, {}).values():
            source.end()
        for track in self.incoming.pop(pid, {}).values():
            track.stop()

    def close(self) -> None:
        for pid in list(self.incoming):
            self.unpublish(pid)
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def publishers(self) -> list[str]:
        return [pid for pid, tracks in self.incoming.items() if tracks]

    def outgoing(self, publisher: str) -> list[MediaStreamTrack]:
        """New tracks (audio first, then video) carrying ``publisher``'s media to one subscriber."""
        tracks = self.incoming.get(publisher, {})
        sources = self.sources.get(publisher, {})
        out: list[MediaStreamTrack] = []
        for kind in ("audio", "video"):
            if kind in sources:
                out.append(ForwardTrack(sources[kind]))
            elif kind in tracks:
                out.append(GatedTrack(self.relay.subscribe(tracks[kind], buffered=False), publisher, self.allowed))
        return out

    @staticmethod
    def bind(sender, track: MediaStreamTrack) -> None:
        """The subscriber's PLI/FIR on ``sender`` asks the publisher for a keyframe (aiortc's own handler only
        flags its encoder, which forwarding never uses)."""
        if isinstance(track, ForwardTrack):
            sender._send_keyframe = track.source.request_keyframe

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(BLACK_INTERVAL / 2)
            now = time.monotonic()
            for sources in list(self.sources.values()):
                for source in list(sources.values()):
                    source.tick(now)


__all__ = ["ForwardTrack", "GatedTrack", "MediaStreamError", "RoomRouter", "Source", "prefer_codecs"]
