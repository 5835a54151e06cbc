"""The forwarding router (media/router.py) over in-process aiortc connections: a publisher's encoded VP8 and
Opus frames reach subscribers without decoding at the "server", the host's controls act on the media, a
late subscriber starts at a keyframe, a lost packet does not freeze the picture, and the recorder muxes the
packets into a WebM file (media/recorder.py)."""

from __future__ import annotations

import asyncio
import contextlib

import av
import numpy
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from media import recorder
from media.router import (
    OPUS_SILENCE,
    AudioPassThrough,
    ForwardTrack,
    MarkerJitterBuffer,
    RoomRouter,
    ThrottledRemb,
    UnwrapMapper,
    black_keyframe,
    is_vp8_keyframe,
    prefer_codecs,
)
from tests.media_clients import TONES, ColourTrack, ToneTrack, TrackProbe

CONFIG = RTCConfiguration(iceServers=[])
TIMEOUT = 15


class MiniSfu:
    """The worker's media path without signalling: publish and subscribe connections around a RoomRouter."""

    def __init__(self, mode: str = "forward"):
        self.blocked: dict[tuple[str, str], bool] = {}
        self.router = RoomRouter(lambda pid, kind: not self.blocked.get((pid, kind)), mode=mode)
        self.pcs: list[RTCPeerConnection] = []
        self.tracks: list = []
        self.probes: list[TrackProbe] = []

    def pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(CONFIG)
        self.pcs.append(pc)
        return pc

    async def publish(self, pid: str, colour: str) -> RTCPeerConnection:
        client, server = self.pc(), self.pc()
        tracks = [ToneTrack(TONES[colour]), ColourTrack(colour)]
        self.tracks += tracks
        for track in tracks:
            client.addTrack(track)

        @server.on("track")
        def on_track(track):
            receiver = next(t.receiver for t in server.getTransceivers() if t.receiver.track is track)
            self.router.publish(pid, track, receiver)

        await client.setLocalDescription(await client.createOffer())
        await server.setRemoteDescription(client.localDescription)
        prefer_codecs(server)
        await server.setLocalDescription(await server.createAnswer())
        await client.setRemoteDescription(server.localDescription)
        return server

    async def subscribe(self, publisher: str) -> dict[str, TrackProbe]:
        client, server = self.pc(), self.pc()
        probes: dict[str, TrackProbe] = {}

        @client.on("track")
        def on_track(track):
            probes[track.kind] = TrackProbe(track)
            self.probes.append(probes[track.kind])

        for track in self.router.outgoing(publisher):
            self.router.bind(server.addTrack(track), track)
        prefer_codecs(server)
        await server.setLocalDescription(await server.createOffer())
        await client.setRemoteDescription(server.localDescription)
        await client.setLocalDescription(await client.createAnswer())
        await server.setRemoteDescription(client.localDescription)
        return probes

    async def close(self) -> None:
        for probe in self.probes:
            probe.stop()
        for track in self.tracks:
            track.stop()
        self.router.close()
        for pc in self.pcs:
            with contextlib.suppress(Exception):
                await pc.close()


def _vp8_packets(frames: int, first_seq: int = 100) -> list:
    """RTP packets of ``frames`` VP8 frames of 3000 bytes each, packed as aiortc's sender packs them."""
    import fractions

    from aiortc.codecs import depayload, get_encoder
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    from aiortc.rtp import RtpPacket

    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    encoder, packets, seq = get_encoder(codec), [], first_seq
    for n in range(frames):
        frame = av.Packet(bytes([n + 1]) * 3000)
        frame.pts, frame.time_base = n * 3000, fractions.Fraction(1, 90000)
        payloads, timestamp = encoder.pack(frame)
        for i, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp)
            packet.payload, packet.marker = payload, int(i == len(payloads) - 1)
            packet._data = depayload(codec, payload)
            packets.append(packet)
            seq += 1
    return packets


def test_a_video_frame_leaves_the_jitter_buffer_at_its_last_packet():
    """The marker packet completes a frame (not the next frame's first packet, 33 ms later); a frame with a
    packet missing is not let out by its marker."""
    packets = _vp8_packets(3)
    buffer = MarkerJitterBuffer(capacity=512, is_video=True)
    out = []
    for packet in packets:
        frame = buffer.add(packet)[1]
        if frame is not None:
            out.append((packet.marker, frame.data[:1], len(frame.data)))
    assert out == [(1, b"\x01", 3000), (1, b"\x02", 3000), (1, b"\x03", 3000)]
    buffer = MarkerJitterBuffer(capacity=512, is_video=True)
    packets = _vp8_packets(1)
    assert len(packets) == 3 and packets[2].marker
    assert buffer.add(packets[0])[1] is None and buffer.add(packets[2])[1] is None  # the middle one is lost


def test_an_old_frame_is_not_taken_for_a_timestamp_wrap():
    mapper = UnwrapMapper()
    assert [mapper.map(t) for t in (1000, 4000, 3000, 7000)] == [0, 3000, 2000, 6000]
    mapper = UnwrapMapper()
    assert [mapper.map(t) for t in ((1 << 32) - 3000, 1000, (1 << 32) - 2000, 5000)] == [0, 4000, 1000, 8000]


def test_audio_is_forwarded_on_arrival_and_remb_is_throttled():
    class Packet:
        def __init__(self, timestamp):
            self.timestamp, self._data = timestamp, b"opus"

    audio = AudioPassThrough()
    assert [audio.add(Packet(ts))[1] is not None for ts in (0, 960, 960, 480, 1920)] == [True, True, False, False, True]

    class Estimator:
        def __init__(self):
            self.bitrate = 1_000_000

        def add(self, **kwargs):
            return self.bitrate, [1]

    inner = Estimator()
    remb = ThrottledRemb(inner)
    sent = [remb.add(arrival_time_ms=t, abs_send_time=0, payload_size=1000, ssrc=1) for t in range(0, 1000, 10)]
    assert sum(r is not None for r in sent) == 2  # every packet answered by aiortc; two sent in one second
    inner.bitrate = 500_000  # congestion: said at once
    assert remb.add(arrival_time_ms=1005, abs_send_time=0, payload_size=1000, ssrc=1) == (500_000, [1])


def test_vp8_keyframe_detection_and_the_black_keyframe():
    black = black_keyframe(320, 240)
    assert is_vp8_keyframe(black) and len(black) < 2000
    frames = av.CodecContext.create("vp8", "r").decode(av.Packet(black))
    assert frames and max(frames[0].to_ndarray(format="rgb24").mean(axis=(0, 1))) < 20
    assert not is_vp8_keyframe(b"\x31" + black[1:])  # a delta frame's tag
    silence = av.CodecContext.create("opus", "r").decode(av.Packet(OPUS_SILENCE))
    assert silence and not numpy.any(silence[0].to_ndarray())


async def test_forwarded_media_arrives_encoded_and_the_host_controls_act_on_it(monkeypatch):
    decoded = []
    from aiortc import rtcrtpreceiver

    real = rtcrtpreceiver.get_decoder
    monkeypatch.setattr(rtcrtpreceiver, "get_decoder", lambda codec: decoded.append(codec) or real(codec))
    sfu = MiniSfu()
    try:
        server = await sfu.publish("u1", "red")
        decoded_by_clients = len(decoded)
        first = await sfu.subscribe("u1")
        await first["video"].wait_for_colour("red", TIMEOUT)
        await first["audio"].wait_for_tone(TONES["red"], TIMEOUT)
        # The server's receivers hand their frames to the router: only the clients' receivers decode.
        codecs = [t.receiver._RTCRtpReceiver__codecs for t in server.getTransceivers()]
        assert codecs and all(c for c in codecs)
        sources = sfu.router.sources["u1"]
        await asyncio.sleep(1)
        assert sources["video"].frames > 10 and sources["audio"].frames > 10
        assert sources["video"].keyframes >= 1
        assert len(decoded) - decoded_by_clients <= 2  # the subscriber's own two receivers, nothing more

        # Muted by the host: encoded silence, frames still flow.
        sfu.blocked[("u1", "audio")] = True
        before = first["audio"].frames
        await first["audio"].wait_for_silence(3, quiet_for=0.5)
        assert first["audio"].frames > before + 10
        # Video stopped by the host: black, not the frozen last picture.
        sfu.blocked[("u1", "video")] = True
        await _wait(lambda: first["video"].last_rgb and max(first["video"].last_rgb) < 40, "black", first["video"])
        frames = first["video"].frames
        await asyncio.sleep(1)
        assert first["video"].frames > frames + 5, "black frames keep coming"
        # Lifted: the picture comes back (at a keyframe), and the sound.
        sfu.blocked.clear()
        await first["video"].wait_for_colour("red", TIMEOUT)
        await first["audio"].wait_for_tone(TONES["red"], TIMEOUT)

        # A late subscriber starts at a keyframe: a picture at once.
        late = await sfu.subscribe("u1")
        await late["video"].wait_for_colour("red", TIMEOUT)
        outgoing = [s for s in sources["video"].sinks if isinstance(s, ForwardTrack)]
        assert len(outgoing) == 2
        assert sources["video"].keyframe_requests >= 1
    finally:
        await sfu.close()


async def test_a_lost_packet_does_not_freeze_the_picture():
    """Packets dropped at the server's receiver (never retransmitted): the stall is detected, a keyframe is
    requested and the picture moves on."""
    sfu = MiniSfu()
    try:
        await sfu.publish("u1", "green")
        probes = await sfu.subscribe("u1")
        await probes["video"].wait_for_colour("green", TIMEOUT)
        source = sfu.router.sources["u1"]["video"]
        receiver = source.receiver
        handler = receiver._handle_rtp_packet
        dropped = []

        async def lossy(packet, arrival_time_ms):
            if len(dropped) < 3:  # lose a few packets for good (their retransmissions too)
                dropped.append(packet.sequence_number)
                return
            await handler(packet, arrival_time_ms=arrival_time_ms)

        receiver._RTCRtpReceiver__nack_generator = None  # no retransmission: the packets are gone for good
        receiver._handle_rtp_packet = lossy
        await _wait(lambda: len(dropped) == 3, "loss", probes["video"])
        frames = probes["video"].frames
        await _wait(lambda: source.stalls >= 1, "stall detected", probes["video"])
        await probes["video"].wait_for_colour("green", TIMEOUT)
        await _wait(lambda: probes["video"].frames > frames + 30, "frames after the loss", probes["video"])
    finally:
        await sfu.close()


async def record(seconds: float = 4) -> recorder.Segment:
    """A publisher (blue), one subscriber, and the recorder on the forwarded packets for ``seconds``."""
    sfu = MiniSfu()
    try:
        await sfu.publish("u1", "blue")
        probes = await sfu.subscribe("u1")
        await probes["video"].wait_for_colour("blue", TIMEOUT)
        segment = await recorder.start("u1", sfu.router.outgoing("u1"))
        assert isinstance(segment.recorder, recorder.PacketRecorder)
        await asyncio.sleep(seconds)
        await segment.recorder.stop()
        return segment
    finally:
        await sfu.close()


async def test_the_recorder_muxes_the_packets_without_decoding():
    segment = await record()
    with av.open(segment.path) as container:
        kinds = sorted((s.type, s.codec_context.name) for s in container.streams)
        assert kinds == [("audio", "opus"), ("video", "vp8")]
        video = [p for p in container.demux(video=0) if p.size]
    with av.open(segment.path) as container:
        audio = [p for p in container.demux(audio=0) if p.size]
    assert video[0].is_keyframe and float(video[0].pts * video[0].time_base) == 0
    v_end = float(video[-1].pts * video[-1].time_base)
    a_start, a_end = (float(p.pts * p.time_base) for p in (audio[0], audio[-1]))
    assert 3 <= v_end <= 4.5 and a_start < 0.3 and abs(a_end - v_end) < 0.3, (a_start, a_end, v_end)
    with av.open(segment.path) as container:
        frame = next(container.decode(video=0))
        assert frame.to_ndarray(format="rgb24").mean(axis=(0, 1))[2] > 150  # blue


PLAYBACK = """async (video) => {
  video.muted = true;
  const deadline = Date.now() + 15000;
  while (video.readyState < 1 && !video.error && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  if (video.readyState < 1) return {error: video.error ? video.error.message || "error" : "no metadata"};
  await Promise.race([video.play(), new Promise((ok) => setTimeout(ok, 5000))]);
  await new Promise((ok) => setTimeout(ok, 1500));
  return {width: video.videoWidth, height: video.videoHeight, duration: video.duration,
          time: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames,
          error: video.error && video.error.message};
}"""


async def test_a_recording_plays_in_chromium(tmp_path):
    """The WebM muxed from the packets plays in Chromium: metadata, picture size, frames rendered."""
    import shutil

    from playwright.async_api import async_playwright

    from tests.test_room_browser import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

    chromium_or_skip()
    segment = await record()
    shutil.copy(segment.path, tmp_path / "rec.webm")
    (tmp_path / "play.html").write_text('<video id="v" src="rec.webm"></video>')
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            page = await browser.new_page()
            await page.goto((tmp_path / "play.html").as_uri())
            result = await page.eval_on_selector("#v", PLAYBACK)
        finally:
            await browser.close()
    assert (result["width"], result["height"]) == (320, 240) and not result["error"], result
    assert result["time"] > 0.5 and result["frames"] > 10, result


async def _wait(predicate, what: str, probe: TrackProbe, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"no {what} within {timeout}s: {probe.describe()}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["relay"])
async def test_the_old_relay_is_still_selectable(mode):
    sfu = MiniSfu(mode)
    try:
        await sfu.publish("u1", "red")
        probes = await sfu.subscribe("u1")
        await probes["video"].wait_for_colour("red", TIMEOUT)
        await probes["audio"].wait_for_tone(TONES["red"], TIMEOUT)
    finally:
        await sfu.close()
