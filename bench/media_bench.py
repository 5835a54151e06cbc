"""Media benchmarks: Daphne + media worker(s) (aiortc SFU) + aiortc clients, all on this machine.

Usage (from bench/):
  ../.venv/bin/python media_bench.py all [--seconds 15] [--max-room 4 6 8 9 10] [--joins 20]
      ONE run, side by side (docs/benchmarks.md, issue 12):
      * worker CPU-s per media-second per forwarded subscriber stream, ``forward`` vs the old ``relay``
        (decode → re-encode), rooms of 3 and 4 at 30 fps;
      * the largest room (forwarding) where every subscriber receives ≥ 29 fps of the 30 fps source, and the
        worker's CPU then;
      * admitted → first remote frame (p50/p95), and a subscriber joining mid-stream → its first frame;
      * worker CPU with recording on vs off.
  ../.venv/bin/python media_bench.py cpu --relay forward|relay [--participants 3 4] [--seconds 15]
  ../.venv/bin/python media_bench.py join [--joins 20]
  ../.venv/bin/python media_bench.py sync [--minutes 10] [--period 5]
      A/V sync of a recording: two participants publish a pre-encoded file with a sync marker (a white
      flash and a 1 kHz beep at the same instant every ``period`` seconds); the host records ``minutes``;
      each recorded WebM is decoded and every flash is paired with its beep by the file's own timestamps:
      the audio − video offset at the start, at the end, and its drift.

The clients cost almost nothing, so the worker is what is measured: publishers send **pre-encoded** media
(a VP8 640×360 30 fps + Opus WebM made once, ``MediaPlayer(..., decode=False)``: no encoder), and
subscribers count the encoded frames and keyframes their receivers assemble (a tap on the receiver's
decoder queue, as the worker's: no decoder); one subscription's first frames are decoded at the end to
check the picture. The join measurements use live-encoded publishers (they answer keyframe requests, as
browsers do; a pre-encoded file can only wait for its next keyframe).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from fractions import Fraction
from pathlib import Path

from common import ROOT, percentile, prepare_environment, setup_django, summary

sys.path.insert(0, str(ROOT))


SOURCE = Path("/tmp/bench-media-source-640x360-30fps.webm")
SOURCE_SECONDS = 75


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def make_source(path: Path = SOURCE, seconds: int = SOURCE_SECONDS) -> Path:
    """The pre-encoded media every publisher plays: VP8 640×360 at 30 fps (moving gradient, keyframe every
    2 s, ~800 kbit/s) and a 440 Hz Opus tone. Made once (encoding takes a minute), kept in /tmp."""
    import av
    import numpy

    if path.exists():
        return path
    tmp = path.with_suffix(".part.webm")
    out = av.open(str(tmp), "w", format="webm")
    video = out.add_stream("libvpx", rate=30, options={"deadline": "realtime", "cpu-used": "8"})
    video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
    video.bit_rate, video.gop_size = 800_000, 60
    audio = out.add_stream("libopus", rate=48000)
    audio.layout = "mono"
    y, x = numpy.mgrid[0:360, 0:640]
    base = ((x + y * 2) % 256).astype(numpy.uint8)
    samples = 0
    for n in range(seconds * 30):
        plane = numpy.roll(base, n * 3, axis=1)
        rgb = numpy.dstack([plane, plane[::-1], numpy.full_like(plane, 60)])
        rgb[120:240, 240:400] = (220, 30, 30)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = n, Fraction(1, 30)
        for packet in video.encode(frame):
            out.mux(packet)
        while samples < (n + 1) * 1600:  # 48000 / 30 samples per video frame
            t = (samples + numpy.arange(960)) / 48000
            wave = (0.3 * 32767 * numpy.sin(2 * numpy.pi * 440 * t)).astype(numpy.int16).reshape(1, -1)
            chunk = av.AudioFrame.from_ndarray(wave, format="s16", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = 48000, samples, Fraction(1, 48000)
            for packet in audio.encode(chunk):
                out.mux(packet)
            samples += 960
    for stream in (video, audio):
        for packet in stream.encode(None):
            out.mux(packet)
    out.close()
    tmp.rename(path)
    return path


SYNC_SOURCE = Path("/tmp/bench-media-sync-320x240-30fps.webm")
SYNC_FLASH_FRAMES = 3  # the flash: 3 white frames (100 ms); the beep: 100 ms of 1 kHz


def make_sync_source(minutes: float, period: float, path: Path = SYNC_SOURCE) -> Path:
    """VP8 320×240 30 fps, dark grey with a white flash, and Opus silence with a 1 kHz beep, both starting
    exactly in the middle of every ``period`` seconds: the marker the sync bench finds in the recording.
    One period is encoded (a keyframe first) and its packets repeated with shifted timestamps, long enough
    for ``minutes`` plus the set-up; made once per length."""
    import av
    import numpy

    seconds = int(minutes * 60 + 90)
    path = path.with_name(f"{path.stem}-{seconds}s-{period:g}.webm")
    if path.exists():
        return path
    frames, mark = round(period * 30), round(period * 30) // 2
    once = av.open(str(path.with_suffix(".once.webm")), "w", format="webm")
    video = once.add_stream("libvpx", rate=30, options={"deadline": "realtime", "cpu-used": "8"})
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    video.bit_rate, video.gop_size = 300_000, frames
    audio = once.add_stream("libopus", rate=48000)
    audio.layout = "mono"
    dark = numpy.full((240, 320, 3), 40, dtype=numpy.uint8)
    white = numpy.full((240, 320, 3), 250, dtype=numpy.uint8)
    vpackets, apackets = [], []
    for n in range(frames):
        frame = av.VideoFrame.from_ndarray(white if mark <= n < mark + SYNC_FLASH_FRAMES else dark, format="rgb24")
        frame.pts, frame.time_base = n, Fraction(1, 30)
        vpackets += [(bytes(p), p.pts, p.is_keyframe) for p in video.encode(frame)]
    vpackets += [(bytes(p), p.pts, p.is_keyframe) for p in video.encode(None)]
    beep_at = mark * 1600  # the flash's first frame, in 48 kHz samples
    for samples in range(0, frames * 1600, 960):
        t = samples + numpy.arange(960)
        beep = (t >= beep_at) & (t < beep_at + 4800)
        wave = numpy.where(beep, 0.5 * 32767 * numpy.sin(2 * numpy.pi * 1000 * t / 48000), 0)
        chunk = av.AudioFrame.from_ndarray(wave.astype(numpy.int16).reshape(1, -1), format="s16", layout="mono")
        chunk.sample_rate, chunk.pts, chunk.time_base = 48000, samples, Fraction(1, 48000)
        apackets += [(bytes(p), p.pts) for p in audio.encode(chunk)]
    apackets += [(bytes(p), p.pts) for p in audio.encode(None)]
    once.close()
    path.with_suffix(".once.webm").unlink(missing_ok=True)
    assert vpackets[0][2], "a period starts at a keyframe"
    tmp = path.with_suffix(".part.webm")
    out = av.open(str(tmp), "w", format="webm")
    vout = out.add_stream("libvpx", rate=30)
    vout.width, vout.height, vout.pix_fmt = 320, 240, "yuv420p"
    aout = out.add_stream("libopus", rate=48000)
    aout.layout = "mono"
    step = {"v": frames, "a": frames * 1600}
    ai = 0
    for k in range(int(seconds / period) + 1):
        for data, pts, key in vpackets:
            video_pts = k * step["v"] + pts
            while ai < len(apackets) and apackets[ai][1] * 30 <= pts * 48000:  # interleave by time
                adata, apts = apackets[ai]
                packet = av.Packet(adata)
                packet.pts = packet.dts = k * step["a"] + apts
                packet.time_base, packet.stream = Fraction(1, 48000), aout
                out.mux(packet)
                ai += 1
            packet = av.Packet(data)
            packet.pts = packet.dts = video_pts
            packet.time_base, packet.stream, packet.is_keyframe = Fraction(1, 30), vout, key
            out.mux(packet)
        for adata, apts in apackets[ai:]:
            packet = av.Packet(adata)
            packet.pts = packet.dts = k * step["a"] + apts
            packet.time_base, packet.stream = Fraction(1, 48000), aout
            out.mux(packet)
        ai = 0
    out.close()
    tmp.rename(path)
    return path


def sync_markers(path: str) -> tuple[list[float], list[float], float]:
    """The flash onsets (video) and beep onsets (audio) in a recorded WebM, in seconds of the file's own
    timestamps, and the file's duration."""
    import av
    import numpy

    flashes, beeps = [], []
    with av.open(path) as container:
        bright = False
        for frame in container.decode(video=0):
            now = frame.to_ndarray(format="gray").mean() > 150
            if now and not bright:
                flashes.append(float(frame.pts * frame.time_base))
            bright = now
            end = float(frame.pts * frame.time_base)
    with av.open(path) as container:
        quiet_since = -1.0
        for frame in container.decode(audio=0):
            x = numpy.abs(frame.to_ndarray()[0])
            start = float(frame.pts * frame.time_base)
            loud = numpy.flatnonzero(x > 0.1 * (1.0 if x.dtype.kind == "f" else 32767))
            if loud.size:
                if quiet_since >= 0 and start + loud[0] / frame.sample_rate - quiet_since > 1.0:
                    beeps.append(start + loud[0] / frame.sample_rate)
                quiet_since = start + (loud[-1] + 1) / frame.sample_rate
            elif quiet_since < 0:
                quiet_since = start
    return flashes, beeps, end


async def bench_sync(base, room, minutes: float, source: Path):
    """Host and one citizen publish the sync source; the host records ``minutes``. Returns the number of
    saved recordings' paths (decrypted to /tmp)."""
    from channels.db import database_sync_to_async

    from media import sealing
    from media.models import Recording

    BenchClient = client_class()
    host, (citizen,) = make_clients(BenchClient, room, 2)
    for client in (host, citizen):
        client.source = source
    try:
        assert (await host.open(base))["type"] == "welcome"
        await admit(host, citizen, base)
        await wait_frames(host, 1)
        await wait_frames(citizen, 1)
        await host.send({"type": "host.recording", "id": "rec", "on": True})
        await host.until(lambda f: f["type"] == "room.updated" and f.get("recording") is True)
        print(f"recording {minutes} min; load {load()}", flush=True)
        await asyncio.sleep(minutes * 60)
        await host.send({"type": "host.recording", "id": "rec-off", "on": False})
        deadline = time.monotonic() + 60
        while await database_sync_to_async(Recording.objects.count)() < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("the recordings were not saved")
            await asyncio.sleep(0.5)
    finally:
        await host.close()
        await citizen.close()

    def unseal() -> list[str]:
        paths = []
        for recording in Recording.objects.order_by("participant"):
            path = f"/tmp/bench-media-sync-{recording.participant}.webm"
            with recording.file.open("rb") as handle, open(path, "wb") as out:
                for chunk in sealing.open_plain(handle):
                    out.write(chunk)
            paths.append(path)
        return paths

    return await database_sync_to_async(unseal)()


def report_sync(path: str, period: float) -> dict:
    flashes, beeps, end = sync_markers(path)
    pairs = []
    for flash in flashes:
        near = min(beeps, key=lambda b: abs(b - flash), default=None)
        if near is not None and abs(near - flash) < period / 2:
            pairs.append((flash, near - flash))
    offsets = [o for _, o in pairs]
    head, tail = offsets[: max(1, len(offsets) // 10)], offsets[-max(1, len(offsets) // 10):]
    result = {"file": path, "seconds": end, "flashes": len(flashes), "beeps": len(beeps), "pairs": len(pairs),
              "min": min(offsets), "max": max(offsets), "first": sum(head) / len(head),
              "last": sum(tail) / len(tail)}
    result["drift"] = result["last"] - result["first"]
    print(f"{path}: {end:.1f} s of video; {len(flashes)} flashes, {len(beeps)} beeps, {len(pairs)} paired; "
          f"audio − video offset min {result['min'] * 1000:+.0f} ms max {result['max'] * 1000:+.0f} ms; "
          f"first tenth {result['first'] * 1000:+.0f} ms, last tenth {result['last'] * 1000:+.0f} ms: drift "
          f"{result['drift'] * 1000:+.0f} ms", flush=True)
    return result


class EncodedCounter:
    """Counts the encoded frames (and VP8 keyframes) a client's receiver assembles, without decoding: the
    receiver's decoder queue is tapped as the worker's is (media.router.EncodedTap). Its REMB feedback is
    throttled as the worker's (media.router.ThrottledRemb), as a browser's is: aiortc's own answers every
    packet on a loaded machine, and the worker would be measured handling that RTCP storm."""

    def __init__(self, receiver, kind: str, keep_sample: bool = False):
        from media.router import EncodedTap, ThrottledRemb, is_vp8_keyframe

        estimator = getattr(receiver, "_RTCRtpReceiver__remote_bitrate_estimator", None)
        if estimator is not None:
            receiver._RTCRtpReceiver__remote_bitrate_estimator = ThrottledRemb(estimator)

        self.kind, self.count, self.keyframes, self.first_at = kind, 0, 0, None
        self.is_keyframe = is_vp8_keyframe
        self.sample: list[bytes] | None = [] if keep_sample else None
        receiver._RTCRtpReceiver__decoder_queue = EncodedTap(self.on_frame)

    def on_frame(self, codec, frame) -> None:
        self.count += 1
        if self.first_at is None:
            self.first_at = time.perf_counter()
        if self.kind == "video":
            key = self.is_keyframe(frame.data)
            self.keyframes += key
            if self.sample is not None and (self.sample or key) and len(self.sample) < 60:
                self.sample.append(frame.data)

    def check_sample(self) -> str:
        """Decode the kept frames (from a keyframe): the picture is really there."""
        import av

        if not self.sample:
            return "no sample"
        codec = av.CodecContext.create("vp8", "r")
        frames = [f for data in self.sample for f in codec.decode(av.Packet(data))]
        if not frames:
            return "sample did not decode"
        rgb = frames[-1].to_ndarray(format="rgb24")
        return f"{len(frames)} frames decoded, {frames[-1].width}×{frames[-1].height}, mean RGB " \
               f"{tuple(int(v) for v in rgb.mean(axis=(0, 1)))}"


def start_servers(env, relay: str = "forward", port: int = 18300):
    daphne = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "project.server", "-b", "127.0.0.1", "-p",
                               str(port), "project.asgi:application"], cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open("/tmp/bench-media-daphne.log", "wb"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(ROOT / ".venv/bin/python"), "manage.py", "media_worker", "--id", f"bench-{relay}",
                               "--relay", relay], cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open(f"/tmp/bench-media-worker-{relay}.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # up to 2 minutes: Django starts slowly on a loaded machine
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.2)
    time.sleep(2)
    return base, [daphne, worker]


def stop_servers(procs) -> None:
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def client_class():
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    from tests.media_clients import ColourTrack, ToneTrack
    from tests.test_media_e2e import LOCAL_ONLY, MediaClient

    class BenchClient(MediaClient):
        """Publishes the pre-encoded file (``live`` False) or a live-encoded 320×240 colour (``live`` True);
        counts what it receives without decoding."""

        live = False
        source = SOURCE

        async def publish(self):
            old = self.pcs.pop("publish", None)
            if old is not None:
                await old.close()
            pc = self.pcs["publish"] = RTCPeerConnection(LOCAL_ONLY)
            if self.live:
                pc.addTrack(ToneTrack(440.0))
                pc.addTrack(ColourTrack(self.colour))
            else:
                self.player = MediaPlayer(str(self.source), decode=False)
                # One clock for both tracks, as a camera and a microphone share one: aiortc paces each
                # track from its own first read, which puts the audio ~0.1 s behind the video.
                self.player.audio._start = self.player.video._start = time.time()
                pc.addTrack(self.player.audio)
                pc.addTrack(self.player.video)
            await pc.setLocalDescription(await pc.createOffer())
            await self.send({"type": "rtc.offer", "pc": "publish", "sdp": pc.localDescription.sdp})

        async def on_offer(self, frame):
            publisher = frame["pc"][4:]
            old = self.pcs.pop(frame["pc"], None)
            if old is not None:
                await old.close()
            pc = self.pcs[frame["pc"]] = RTCPeerConnection(LOCAL_ONLY)

            @pc.on("track")
            def on_track(track):
                receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
                counter = EncodedCounter(receiver, track.kind, keep_sample=not self.counters)
                if track.kind == "video":
                    self.counters[publisher] = counter
                else:
                    self.audio_counters[publisher] = counter

            await pc.setRemoteDescription(RTCSessionDescription(frame["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send({"type": "rtc.answer", "pc": frame["pc"], "sdp": pc.localDescription.sdp})

        async def close(self):
            self.probes = {}
            await super().close()

    return BenchClient


def make_clients(BenchClient, room, n: int, live: bool = False):
    public_id, cookie, tokens = room
    host = BenchClient("host", "red", cookie=f"sessionid={cookie}")
    citizens = [BenchClient(f"citizen{i}", "blue", token=t) for i, t in enumerate(tokens[: n - 1])]
    for client in (host, *citizens):
        client.session, client.counters, client.audio_counters, client.live = public_id, {}, {}, live
    return host, citizens


async def admit(host, citizen, base):
    assert (await citizen.open(base))["type"] == "waiting"
    t0 = time.perf_counter()
    await host.send({"type": "host.admit", "participant": citizen.pid})
    await citizen.until(lambda f: f["type"] == "admitted")
    return t0


async def wait_frames(client, publishers: int, timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    while sum(1 for k in client.counters.values() if k.count) < publishers:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{client.name}: {len(client.counters)} of {publishers} subscriptions came up")
        await asyncio.sleep(0.2)


def snapshot(client) -> dict:
    return {p: (k.count, k.keyframes) for p, k in client.counters.items()}


def rates_since(client, before: dict, elapsed: float) -> tuple[list[float], int]:
    rates = [(k.count - before.get(p, (0, 0))[0]) / elapsed for p, k in client.counters.items()]
    keyframes = sum(k.keyframes - before.get(p, (0, 0))[1] for p, k in client.counters.items())
    return rates, keyframes


async def participant(base: str, session: str, token: str, seed: int, publishers: int) -> None:
    """One citizen in its own process (``media_bench.py participant``): the clients of a big room share the
    cores with the worker, so they are spread over processes like real participants' machines. Talks to the
    benchmark on stdin/stdout: ``waiting <pid>`` → (admitted, all subscriptions up) ``ready`` →
    ``measure <s>`` → a JSON line of received rates → ``stop``."""
    import json

    BenchClient = client_class()
    client = BenchClient(f"citizen{seed}", "blue", token=token)
    client.session, client.counters, client.audio_counters, client.live = session, {}, {}, False
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    try:
        assert (await client.open(base))["type"] == "waiting"
        print(f"waiting {client.pid}", flush=True)
        await client.until(lambda f: f["type"] == "admitted", 120)
        await wait_frames(client, publishers)
        print("ready", flush=True)
        while True:
            line = (await stdin.readline()).decode().split()
            if not line or line[0] == "stop":
                break
            before, t0 = snapshot(client), time.perf_counter()
            await asyncio.sleep(float(line[1]))
            rates, keyframes = rates_since(client, before, time.perf_counter() - t0)
            print(json.dumps({"rates": rates, "keyframes": keyframes}), flush=True)
    finally:
        await client.close()


async def expect(child, predicate, timeout: float) -> str:
    """The next line of a participant process that ``predicate`` accepts (log lines are skipped)."""
    deadline = time.perf_counter() + timeout
    while True:
        raw = await asyncio.wait_for(child.stdout.readline(), max(0.1, deadline - time.perf_counter()))
        if not raw:
            raise RuntimeError("a participant process ended")
        line = raw.decode().strip()
        if predicate(line):
            return line


async def bench_room(base, room, n, seconds, worker_pid, recording: bool | None = None):
    """A room of ``n``: the host here, each citizen in its own process; the worker's CPU and every
    subscriber's received frame rate over the same ``seconds``."""
    import json

    BenchClient = client_class()
    public_id, cookie, tokens = room
    host = BenchClient("host", "red", cookie=f"sessionid={cookie}")
    host.session, host.counters, host.audio_counters, host.live = public_id, {}, {}, False
    children = []
    try:
        assert (await host.open(base))["type"] == "welcome"
        for i, token in enumerate(tokens[: n - 1]):
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "participant", "--base", base, "--session", public_id, "--token", token,
                "--seed", str(i + 1), "--publishers", str(n - 1), cwd=Path(__file__).parent,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            children.append(child)
            line = (await expect(child, lambda x: x.startswith("waiting "), 120)).split()
            await host.send({"type": "host.admit", "participant": line[1]})
        for child in children:
            await expect(child, lambda x: x == "ready", 180)
        await wait_frames(host, n - 1)
        await asyncio.sleep(4)  # warm-up

        async def measure() -> dict:
            for child in children:
                child.stdin.write(f"measure {seconds}\n".encode())
            before, cpu0, t0 = snapshot(host), cpu_seconds(worker_pid), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu1, t1 = cpu_seconds(worker_pid), time.perf_counter()
            rates, keyframes = rates_since(host, before, t1 - t0)
            for child in children:
                result = json.loads(await expect(child, lambda x: x.startswith("{"), 60))
                rates += result["rates"]
                keyframes += result["keyframes"]
            cpu = (cpu1 - cpu0) / (t1 - t0)
            streams = n * (n - 1)
            delivered = sum(rates) / 30  # stream-seconds of a 30 fps source delivered per second
            return {"n": n, "streams": streams, "cpu": cpu, "per_stream": cpu / streams,
                    "per_delivered": cpu / delivered if delivered else float("nan"), "min_fps": min(rates),
                    "mean_fps": sum(rates) / len(rates), "keyframes": keyframes, "load": load()}

        result = await measure()
        if recording:
            await host.send({"type": "host.recording", "id": "rec", "on": True})
            await host.until(lambda f: f["type"] == "room.updated" and f.get("recording") is True)
            await asyncio.sleep(3)
            result["recording"] = await measure()
            await host.send({"type": "host.recording", "id": "rec-off", "on": False})
            await asyncio.sleep(2)
        result["sample"] = next(k for k in host.counters.values() if k.sample is not None).check_sample()
        return result
    finally:
        for child in children:
            if child.returncode is None:
                with contextlib.suppress(Exception):
                    child.stdin.write(b"stop\n")
        for child in children:
            try:
                await asyncio.wait_for(child.wait(), 20)
            except TimeoutError:
                child.kill()
        await host.close()
        await asyncio.sleep(2)


def show(label: str, r: dict) -> None:
    print(f"{label}: n={r['n']} ({r['streams']} subscribed video streams) worker {r['cpu']:.2f} CPU-s/s = "
          f"{r['per_delivered']:.4f} CPU-s per delivered media-second per stream ({r['per_stream']:.4f} per "
          f"subscribed stream-second); received fps min {r['min_fps']:.1f} "
          f"mean {r['mean_fps']:.1f}; keyframes {r['keyframes']}; load {r['load']}", flush=True)


async def bench_join(base, room, joins: int):
    """Admitted → first remote frame at the host (p50/p95), and a third participant joining mid-stream."""
    BenchClient = client_class()
    host, citizens = make_clients(BenchClient, room, joins + 1, live=True)
    latencies, late = [], []
    try:
        assert (await host.open(base))["type"] == "welcome"
        await asyncio.sleep(3)  # the worker claims the room and asks the host to publish
        stay = None
        for citizen in citizens:
            t0 = await admit(host, citizen, base)
            deadline = time.perf_counter() + 30
            others = [host.pid] + ([stay.pid] if stay is not None else [])
            while not (citizen.pid in host.counters and host.counters[citizen.pid].first_at
                       and all(p in citizen.counters and citizen.counters[p].first_at for p in others)):
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"no frame from/to {citizen.name}")
                await asyncio.sleep(0.005)
            latencies.append(host.counters[citizen.pid].first_at - t0)
            if stay is None:
                stay = citizen  # stays: the next ones are joining a running room
                continue
            late.append(citizen.counters[host.pid].first_at - t0)  # the joiner's first frame of the host
            late.append(citizen.counters[stay.pid].first_at - t0)  # and of the one already there
            await citizen.send({"type": "leave", "id": "bye"})
            await citizen.close()
            await asyncio.sleep(1)  # the worker drops the leaver's connections
    finally:
        await host.close()
        for citizen in citizens:
            if hasattr(citizen, "reader"):
                await citizen.close()
    return latencies, late


def run_all(args, env) -> None:
    from room_fanout import make_rooms

    make_source()
    sizes = args.participants
    needed = 2 * len(sizes) + len(args.max_room) + 2
    rooms = iter(make_rooms(needed, citizens=max(max(args.max_room), max(sizes), args.joins + 1) - 1))
    from django.db import connections

    connections.close_all()
    print(f"# media bench, one run; load before: {load()}", flush=True)
    table = {}
    for relay in ("forward", "relay"):
        base, procs = start_servers(env, relay)
        try:
            for n in sizes:
                r = asyncio.run(bench_room(base, next(rooms), n, args.seconds, procs[1].pid))
                show(f"{relay:7}", r)
                table[(relay, n)] = r
        finally:
            stop_servers(procs)
    base, procs = start_servers(env, "forward")
    try:
        largest = None
        for n in args.max_room:
            r = asyncio.run(bench_room(base, next(rooms), n, args.seconds, procs[1].pid))
            show("max-room", r)
            if r["min_fps"] >= 29:
                largest = r
            else:
                break
        if largest:
            print(f"largest room with every subscriber ≥ 29 fps: {largest['n']} participants "
                  f"({largest['streams']} streams), worker {largest['cpu']:.2f} CPU-s/s", flush=True)
        latencies, late = asyncio.run(bench_join(base, next(rooms), args.joins))
        print(f"admitted → first remote frame ({len(latencies)} joins): {summary(latencies)}; "
              f"p95={percentile(latencies, 95) * 1000:.1f} ms", flush=True)
        print(f"joiner of a running room → first frame of each one already there ({len(late)}): {summary(late)}; "
              f"p95={percentile(late, 95) * 1000:.1f} ms", flush=True)
        r = asyncio.run(bench_room(base, next(rooms), sizes[-1], args.seconds, procs[1].pid, recording=True))
        show("recording off", r)
        show("recording on ", r["recording"])
        print(f"sample check: {r['sample']}", flush=True)
    finally:
        stop_servers(procs)
    for n in sizes:
        f, o = table[("forward", n)], table[("relay", n)]
        print(f"n={n}: forward {f['per_stream']:.4f} vs relay {o['per_stream']:.4f} CPU-s per media-second per "
              f"stream: {o['per_stream'] / f['per_stream']:.1f}× less; per delivered media-second "
              f"{f['per_delivered']:.4f} vs {o['per_delivered']:.4f}: {o['per_delivered'] / f['per_delivered']:.1f}× "
              f"less; fps min {f['min_fps']:.1f} vs "
              f"{o['min_fps']:.1f}", flush=True)
    print(f"# load after: {load()}", flush=True)


def run_sync(args, env) -> None:
    from room_fanout import make_rooms

    source = make_sync_source(args.minutes, args.period)
    rooms = make_rooms(1, citizens=1)
    from django.db import connections

    connections.close_all()
    print(f"# media sync bench; load before: {load()}", flush=True)
    base, procs = start_servers(env, "forward", port=18310)
    try:
        paths = asyncio.run(bench_sync(base, rooms[0], args.minutes, source))
    finally:
        stop_servers(procs)
    results = [report_sync(path, args.period) for path in paths]
    worst = max(max(abs(r["min"]), abs(r["max"])) for r in results)
    print(f"worst audio − video offset over {args.minutes:g} min: {worst * 1000:.0f} ms "
          f"({'within' if worst <= 0.1 else 'OUTSIDE'} ±100 ms); load after: {load()}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["all", "join", "cpu", "source", "participant", "sync"])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--period", type=float, default=5)
    parser.add_argument("--base")
    parser.add_argument("--session")
    parser.add_argument("--token")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--participants", type=int, nargs="+", default=[3, 4])
    parser.add_argument("--max-room", type=int, nargs="+", default=[4, 6, 8, 9, 10])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--relay", choices=["forward", "relay"], default="forward")
    args = parser.parse_args()
    if args.what == "source":
        print(make_source())
        return
    if args.what == "participant":
        setup_django()
        asyncio.run(participant(args.base, args.session, args.token, args.seed, args.publishers))
        return
    if args.what == "sync":  # its own database and channel prefix: it can run beside the other benches
        import common

        common.BENCH_DB = os.environ.get("BENCH_DATABASE", "tcd_bench") + "_sync"
        os.environ["CHANNEL_LAYER_PREFIX"] = os.environ["CACHE_PREFIX"] = "tcdbenchsync"
    env = prepare_environment(fresh=True)
    if args.what == "sync":
        env["CHANNEL_LAYER_PREFIX"] = env["CACHE_PREFIX"] = os.environ["CHANNEL_LAYER_PREFIX"] = "tcdbenchsync"
    setup_django()
    if args.what == "all":
        run_all(args, env)
        return
    if args.what == "sync":
        run_sync(args, env)
        return
    from room_fanout import make_rooms

    make_source()
    rooms = make_rooms(len(args.participants) + 1, citizens=max(max(args.participants), args.joins + 1) - 1)
    from django.db import connections

    connections.close_all()
    base, procs = start_servers(env, args.relay)
    try:
        if args.what == "join":
            latencies, late = asyncio.run(bench_join(base, rooms[0], args.joins))
            print(f"admitted → first remote frame: {summary(latencies)}; p95={percentile(latencies, 95) * 1000:.1f} ms")
            print(f"joiner of a running room → first frame: {summary(late)}; p95={percentile(late, 95) * 1000:.1f} ms")
        else:
            for room, n in zip(rooms[1:], args.participants, strict=False):
                show(args.relay, asyncio.run(bench_room(base, room, n, args.seconds, procs[1].pid)))
    finally:
        stop_servers(procs)


if __name__ == "__main__":
    main()
