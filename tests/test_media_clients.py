"""Self-test of the WebRTC test-client harness (tests/media_clients.py): pure checks of the colour and tone
analysis, and an in-process aiortc loopback (two peer connections, no servers)."""

from __future__ import annotations

import asyncio

import av
import numpy
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from tests.media_clients import (
    PALETTE,
    TONES,
    ColourTrack,
    ToneTrack,
    TrackProbe,
    audio_samples,
    dominant_frequency,
    mean_colour,
    nearest_colour,
    rms,
)

RATE = 48000


def sine(freq, seconds=0.5, amplitude=0.3, rate=RATE, phase=0.0):
    t = numpy.arange(int(seconds * rate)) / rate
    return amplitude * numpy.sin(2 * numpy.pi * freq * t + phase)


# --- pure analysis ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PALETTE))
def test_nearest_colour_exact_and_shifted(name):
    r, g, b = PALETTE[name]
    assert nearest_colour((r, g, b)) == name
    # VP8 / YUV 4:2:0 round trips move colours by a few tens of levels.
    assert nearest_colour((min(r + 25, 255), max(g - 20, 0), min(b + 15, 255))) == name


@pytest.mark.parametrize("rgb", [(0, 0, 0), (39, 39, 39), (10, 35, 20)])
def test_nearest_colour_black_is_none(rgb):
    assert nearest_colour(rgb) is None


@pytest.mark.parametrize("rgb", [(255, 255, 255), (128, 128, 128), (120, 60, 0)])
def test_nearest_colour_far_from_palette_is_none(rgb):
    assert nearest_colour(rgb) is None


def test_mean_colour_uses_the_centre():
    array = numpy.zeros((240, 320, 3), dtype=numpy.uint8)
    array[60:180, 80:240] = PALETTE["blue"]  # only the central half is blue; the border stays black
    frame = av.VideoFrame.from_ndarray(array, format="rgb24")
    assert mean_colour(frame) == PALETTE["blue"]
    assert nearest_colour(mean_colour(frame)) == "blue"


@pytest.mark.parametrize("freq", [440.0, 660.0, 880.0, 1234.5])
def test_dominant_frequency_of_a_sine(freq):
    assert dominant_frequency(sine(freq, phase=0.7), RATE) == pytest.approx(freq, abs=3.0)


def test_dominant_frequency_with_noise_and_a_weaker_tone():
    rng = numpy.random.default_rng(1)
    signal = sine(660.0) + sine(440.0, amplitude=0.1) + rng.normal(0, 0.05, int(0.5 * RATE))
    assert dominant_frequency(signal, RATE) == pytest.approx(660.0, abs=3.0)
    # a short (20 ms) buffer still lands in the right bin
    assert dominant_frequency(sine(880.0, seconds=0.02), RATE) == pytest.approx(880.0, abs=25.0)


def test_rms():
    assert rms(numpy.zeros(960)) == 0.0
    assert rms(sine(440.0)) == pytest.approx(0.3 / numpy.sqrt(2), rel=0.01)
    assert rms([]) == 0.0


def test_audio_samples_packed_stereo_and_planar():
    left = (sine(440.0, seconds=0.02) * 32767).astype(numpy.int16)
    packed = av.AudioFrame.from_ndarray(numpy.stack([left, left], axis=1).reshape(1, -1), format="s16",
                                        layout="stereo")
    mono = audio_samples(packed)
    assert mono.shape == (960,) and mono.dtype == numpy.float32
    assert numpy.allclose(mono, left / 32768.0, atol=1e-4)

    planar = av.AudioFrame.from_ndarray(numpy.stack([left, numpy.zeros_like(left)]), format="s16p",
                                        layout="stereo")
    assert numpy.allclose(audio_samples(planar), left / 65536.0, atol=1e-4)

    floats = av.AudioFrame.from_ndarray(sine(440.0, seconds=0.02).astype(numpy.float32).reshape(1, -1),
                                        format="flt", layout="mono")
    assert numpy.allclose(audio_samples(floats), sine(440.0, seconds=0.02), atol=1e-6)


async def test_tone_track_frames_are_continuous():
    track = ToneTrack(TONES["red"])
    frames = [await track.recv() for _ in range(10)]
    track.stop()
    assert [f.pts for f in frames] == [i * 960 for i in range(10)]
    assert all(f.samples == 960 and f.sample_rate == RATE and f.format.name == "s16" for f in frames)
    assert frames[0].time_base.numerator == 1 and frames[0].time_base.denominator == RATE
    samples = numpy.concatenate([audio_samples(f) for f in frames])
    assert numpy.allclose(samples, sine(TONES["red"], seconds=0.2), atol=1e-4)  # no phase jumps


async def test_colour_track_frame():
    track = ColourTrack("red")
    frame = await track.recv()
    track.stop()
    assert (frame.width, frame.height) == (320, 240)
    assert mean_colour(frame) == PALETTE["red"]


# --- in-process loopback ----------------------------------------------------------------------------------


async def _connect(sender: RTCPeerConnection, receiver: RTCPeerConnection) -> None:
    # aiortc gathers ICE candidates before producing the SDP: no trickle needed.
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)


async def test_loopback_colour_tone_and_silence():
    config = RTCConfiguration(iceServers=[])  # host candidates only: no STUN look-ups
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    probes: dict[str, TrackProbe] = {}
    receiver.on("track", lambda track: probes.__setitem__(track.kind, TrackProbe(track)))
    tracks = [ColourTrack("green"), ToneTrack(TONES["green"])]
    try:
        video_sender = sender.addTrack(tracks[0])
        audio_sender = sender.addTrack(tracks[1])
        await _connect(sender, receiver)
        assert set(probes) == {"video", "audio"}
        assert video_sender.track is tracks[0]

        await probes["video"].wait_for_colour("green", timeout=10)
        measured = await probes["audio"].wait_for_tone(TONES["green"], timeout=10)
        assert measured == pytest.approx(660.0, abs=25.0)
        assert probes["audio"].rate == RATE

        # Silence the sender: the receiver keeps getting frames, but they are silent.
        silent = ToneTrack(TONES["green"], amplitude=0.0)
        tracks.append(silent)
        audio_sender.replaceTrack(silent)
        tracks[1].stop()
        frames_before = probes["audio"].frames
        await probes["audio"].wait_for_silence(timeout=5, quiet_for=0.5)
        assert probes["audio"].frames > frames_before, "silence should arrive as frames, not as a stop"
        # Video is unaffected.
        await probes["video"].wait_for_colour("green", timeout=2)
    finally:
        for probe in probes.values():
            probe.stop()
        for track in tracks:
            track.stop()
        await asyncio.gather(sender.close(), receiver.close())
