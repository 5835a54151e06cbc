"""WebRTC test-client harness for end-to-end media tests.

Each sender is identified by a colour (video) and a tone (audio): :class:`ColourTrack` and :class:`ToneTrack`
produce them, and :class:`TrackProbe` watches a received track and waits until a given colour, tone or
silence is observed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time

import av
import numpy
from aiortc import VideoStreamTrack
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220),
    "magenta": (200, 30, 200), "cyan": (30, 200, 200), "yellow": (210, 210, 30),
}
TONES: dict[str, float] = {"red": 440.0, "green": 660.0, "blue": 880.0,
                           "magenta": 550.0, "cyan": 770.0, "yellow": 990.0}

VIDEO_WIDTH, VIDEO_HEIGHT = 320, 240
AUDIO_RATE = 48000
AUDIO_PTIME = 0.020
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)  # 960 samples per 20 ms frame

BLACK_LEVEL = 40  # a frame whose mean channels are all below this is "black" (no picture)
COLOUR_DISTANCE = 90.0  # max RGB distance to a palette entry (VP8 and YUV 4:2:0 shift colours a bit)
SILENCE_RMS = 0.02  # audio frames at or below this RMS level count as silence


class ColourTrack(VideoStreamTrack):
    """A video track of solid-colour 320x240 frames, paced by :class:`aiortc.VideoStreamTrack` (30 fps)."""

    def __init__(self, colour: str | tuple[int, int, int]) -> None:
        super().__init__()
        rgb = PALETTE[colour] if isinstance(colour, str) else tuple(colour)
        self.colour = colour
        self._array = numpy.empty((VIDEO_HEIGHT, VIDEO_WIDTH, 3), dtype=numpy.uint8)
        self._array[:, :] = rgb

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self._array, format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class ToneTrack(MediaStreamTrack):
    """An audio track of a 48 kHz mono s16 sine tone in 20 ms frames, paced in real time.

    ``amplitude`` is a fraction of full scale; 0 gives digital silence. The phase is continuous across frames.
    """

    kind = "audio"

    def __init__(self, frequency: float, amplitude: float = 0.3) -> None:
        super().__init__()
        self.frequency = float(frequency)
        self.amplitude = float(amplitude)
        self._phase = 0.0
        self._step = 2 * math.pi * self.frequency / AUDIO_RATE
        self._start: float | None = None
        self._timestamp = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._timestamp += AUDIO_SAMPLES
            wait = self._start + self._timestamp / AUDIO_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        phases = self._phase + self._step * numpy.arange(AUDIO_SAMPLES)
        self._phase = (self._phase + self._step * AUDIO_SAMPLES) % (2 * math.pi)
        wave = numpy.round(self.amplitude * 32767 * numpy.sin(phases)).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


def mean_colour(frame: av.VideoFrame) -> tuple[int, int, int]:
    """Mean RGB of the central half (in both dimensions) of ``frame``."""
    array = frame.to_ndarray(format="rgb24")
    height, width = array.shape[:2]
    centre = array[height // 4: height - height // 4, width // 4: width - width // 4]
    r, g, b = centre.reshape(-1, 3).mean(axis=0)
    return round(float(r)), round(float(g)), round(float(b))


def nearest_colour(rgb) -> str | None:
    """Name of the PALETTE entry nearest to ``rgb``; None if near-black or far from every entry."""
    if all(channel < BLACK_LEVEL for channel in rgb):
        return None
    point = numpy.asarray(rgb, dtype=float)
    distance, name = min((float(numpy.linalg.norm(point - numpy.asarray(ref, dtype=float))), name)
                         for name, ref in PALETTE.items())
    return name if distance <= COLOUR_DISTANCE else None


def dominant_frequency(samples: numpy.ndarray, rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak of ``samples`` (Hann window, parabolic interpolation)."""
    samples = numpy.asarray(samples, dtype=float)
    if samples.size < 4:
        return 0.0
    samples = samples - samples.mean()
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(samples.size)))
    spectrum[0] = 0.0
    peak = int(numpy.argmax(spectrum))
    offset = 0.0
    if 0 < peak < spectrum.size - 1:
        left, centre, right = spectrum[peak - 1], spectrum[peak], spectrum[peak + 1]
        denominator = left - 2 * centre + right
        if denominator:
            offset = 0.5 * (left - right) / denominator
    return (peak + offset) * rate / samples.size


def rms(samples) -> float:
    """Root-mean-square level of ``samples`` (floats in [-1, 1] give a level in [0, 1])."""
    samples = numpy.asarray(samples, dtype=float)
    return float(numpy.sqrt(numpy.mean(samples * samples))) if samples.size else 0.0


def audio_samples(frame: av.AudioFrame) -> numpy.ndarray:
    """Mono float32 samples in [-1, 1] of ``frame``, whatever its sample format and layout.

    Packed (interleaved) multi-channel data and planar data are both averaged over channels.
    """
    raw = frame.to_ndarray()
    kind = raw.dtype
    channels = len(frame.layout.channels)
    if frame.format.is_planar:  # one row per channel
        array = raw.reshape(channels, -1).astype(numpy.float64)
    else:  # one row of interleaved samples: L R L R ...
        array = raw.reshape(-1, channels).T.astype(numpy.float64)
    if numpy.issubdtype(kind, numpy.unsignedinteger):  # u8: centred on 128
        half = float(numpy.iinfo(kind).max + 1) / 2
        array = (array - half) / half
    elif numpy.issubdtype(kind, numpy.integer):
        array = array / float(-numpy.iinfo(kind).min)
    return numpy.clip(array.mean(axis=0), -1.0, 1.0).astype(numpy.float32)


class TrackProbe:
    """Reads a received video or audio track in the background and records what it carries.

    Video: ``last_colour`` (palette name or None), ``last_rgb`` and ``colour_seen_at[name]`` (monotonic
    time of the last frame of each colour). Audio: a rolling buffer of the last ``window`` seconds of mono
    samples, ``last_sound_at`` (monotonic time of the last frame above ``silence_rms``), ``level`` (RMS of
    the last frame) and ``frequency`` (dominant frequency of the buffer).
    """

    POLL = 0.02  # seconds between checks in the waits
    FRESH = 0.25  # a tone counts as present if a non-silent frame arrived this recently

    def __init__(self, track: MediaStreamTrack, *, window: float = 0.5,
                 silence_rms: float = SILENCE_RMS) -> None:
        self.track = track
        self.kind = track.kind
        self.window = window
        self.silence_rms = silence_rms
        self.started_at = time.monotonic()
        self.frames = 0
        self.last_frame_at: float | None = None
        self.ended = False
        self.error: BaseException | None = None
        # video
        self.last_colour: str | None = None
        self.last_rgb: tuple[int, int, int] | None = None
        self.colour_seen_at: dict[str, float] = {}
        self.black_run = 0  # consecutive black frames up to the last one
        # audio
        self.rate: int | None = None
        self.audio_format: str | None = None
        self.level = 0.0
        self.last_sound_at: float | None = None
        self._buffer = numpy.zeros(0, dtype=numpy.float32)
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                now = time.monotonic()
                self.frames += 1
                self.last_frame_at = now
                if isinstance(frame, av.VideoFrame):
                    self._on_video(frame, now)
                elif isinstance(frame, av.AudioFrame):
                    self._on_audio(frame, now)
        except MediaStreamError:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # kept for the wait messages; a probe never crashes the test loop
            self.error = exc
        finally:
            self.ended = True

    def _on_video(self, frame: av.VideoFrame, now: float) -> None:
        self.last_rgb = mean_colour(frame)
        self.last_colour = nearest_colour(self.last_rgb)
        self.black_run = self.black_run + 1 if max(self.last_rgb) < BLACK_LEVEL else 0
        if self.last_colour is not None:
            self.colour_seen_at[self.last_colour] = now

    def _on_audio(self, frame: av.AudioFrame, now: float) -> None:
        samples = audio_samples(frame)
        self.rate = frame.sample_rate
        self.audio_format = (f"{frame.format.name} {frame.layout.name} {frame.sample_rate} Hz"
                             f" {frame.samples} samples")
        keep = int(self.window * self.rate)
        self._buffer = numpy.concatenate([self._buffer, samples])[-keep:]
        self.level = rms(samples)
        if self.level > self.silence_rms:
            self.last_sound_at = now

    @property
    def frequency(self) -> float:
        """Dominant frequency (Hz) of the rolling audio buffer; 0.0 before any audio."""
        return dominant_frequency(self._buffer, self.rate) if self.rate and self._buffer.size else 0.0

    @property
    def buffer(self) -> numpy.ndarray:
        """A copy of the rolling buffer of the last ``window`` seconds of mono samples."""
        return self._buffer.copy()

    def describe(self) -> str:
        """What the probe has seen so far, for assertion messages."""
        now = time.monotonic()
        ago = f"{now - self.last_frame_at:.2f}s ago" if self.last_frame_at is not None else "never"
        text = f"{self.kind} track: {self.frames} frames, last {ago}"
        if self.kind == "video":
            seen = {name: f"{now - at:.2f}s ago" for name, at in self.colour_seen_at.items()}
            text += f"; last colour {self.last_colour} {self.last_rgb}; colours seen {seen}"
        else:
            sound = f"{now - self.last_sound_at:.2f}s ago" if self.last_sound_at is not None else "never"
            text += (f"; level {self.level:.3f}, dominant {self.frequency:.1f} Hz, last sound {sound}"
                     f"; format {self.audio_format}")
        if self.ended:
            text += f"; track ended ({self.error!r})" if self.error else "; track ended"
        return text

    async def wait_for_colour(self, name: str, timeout: float) -> float:
        """Wait until a frame of colour ``name`` arrives (after this call); return its monotonic time."""
        if name not in PALETTE:
            raise ValueError(f"unknown colour {name!r}")
        start = time.monotonic()
        deadline = start + timeout
        while True:
            seen = self.colour_seen_at.get(name)
            if seen is not None and seen >= start:
                return seen
            if time.monotonic() >= deadline or self.ended:
                raise AssertionError(f"no {name} frame within {timeout}s: {self.describe()}")
            await asyncio.sleep(self.POLL)

    async def wait_for_tone(self, freq: float, timeout: float, tolerance: float = 25.0) -> float:
        """Wait until the audio is not silent and its dominant frequency is within ``tolerance`` Hz of
        ``freq``; return the measured frequency."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            sounding = self.last_sound_at is not None and now - self.last_sound_at < self.FRESH
            if sounding:
                measured = self.frequency
                if abs(measured - freq) <= tolerance:
                    return measured
            if now >= deadline or self.ended:
                raise AssertionError(f"no {freq:.0f} Hz tone (±{tolerance:.0f} Hz) within {timeout}s: "
                                     f"{self.describe()}")
            await asyncio.sleep(self.POLL)

    async def wait_for_sound(self, timeout: float) -> float:
        """Wait until a non-silent audio frame arrives (after this call); return its monotonic time."""
        start = time.monotonic()
        while not (self.last_sound_at is not None and self.last_sound_at >= start):
            if time.monotonic() >= start + timeout or self.ended:
                raise AssertionError(f"no sound within {timeout}s: {self.describe()}")
            await asyncio.sleep(self.POLL)
        return self.last_sound_at

    async def wait_for_picture(self, timeout: float, frames: int = 5) -> None:
        """Wait until ``frames`` more non-black video frames arrive (a real picture, not a gated track)."""
        deadline = time.monotonic() + timeout
        target = self.frames + frames
        while not (self.frames >= target and self.last_rgb and max(self.last_rgb) > 40):
            if time.monotonic() >= deadline or self.ended:
                raise AssertionError(f"no picture within {timeout}s: {self.describe()}")
            await asyncio.sleep(self.POLL)

    async def wait_for_black(self, timeout: float, frames: int = 10) -> None:
        """Wait until ``frames`` consecutive black frames have arrived: a stopped video shows black, and
        frames keep coming (not a frozen last picture)."""
        deadline = time.monotonic() + timeout
        while self.black_run < frames:
            if time.monotonic() >= deadline or self.ended:
                raise AssertionError(f"no {frames} black frames in a row within {timeout}s: {self.describe()}")
            await asyncio.sleep(self.POLL)

    async def wait_for_silence(self, timeout: float, quiet_for: float = 0.5) -> float:
        """Wait until no non-silent audio frame has arrived for ``quiet_for`` seconds (silent frames or no
        frames at all); return how long it has been quiet."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            quiet = now - (self.last_sound_at if self.last_sound_at is not None else self.started_at)
            if quiet >= quiet_for:
                return quiet
            if now >= deadline:
                raise AssertionError(f"audio not silent for {quiet_for}s within {timeout}s: "
                                     f"{self.describe()}")
            await asyncio.sleep(self.POLL)

    def stop(self) -> None:
        """Stop reading the track (the track itself is left alone)."""
        if not self._task.done():
            self._task.cancel()

    async def aclose(self) -> None:
        """Stop reading the track and wait for the background task to finish."""
        self.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
