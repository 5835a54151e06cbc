"""Media benchmarks: Daphne + one media worker (aiortc SFU) + aiortc clients, all on this machine.

Usage:
  .venv/bin/python bench/media_bench.py join [--joins 20]
      citizen admitted → first decoded video frame of the citizen at the leader, p50/p95.
  .venv/bin/python bench/media_bench.py cpu [--participants 2 3 4] [--seconds 20] [--fps 30]
      every participant publishes 640×360 moving video at --fps and a tone; the worker's CPU seconds per
      media-second, per subscribed video stream (n·(n−1) of them), and the frame rate the subscribers
      actually decode (a room "holds" at a rate when every subscriber decodes ≥ 95 % of it).
The clients (encoding and decoding their own media) share the 2 cores with the worker: the worker's CPU
is measured from its own process; the room sizes are bounded by the clients as much as by the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from fractions import Fraction

from common import ROOT, percentile, prepare_environment, setup_django, summary

sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def moving_track(width: int, height: int, fps: int, seed: int):
    """Moving video (a gradient that shifts every frame, plus a block of the sender's own colour), so the
    encoder works as for a camera, not for a still picture."""
    import av
    import numpy
    from aiortc import VideoStreamTrack

    class Moving(VideoStreamTrack):
        def __init__(self):
            super().__init__()
            y, x = numpy.mgrid[0:height, 0:width]
            self.base = ((x + y * 2 + seed * 50) % 256).astype(numpy.uint8)
            self.n, self.start = 0, None

        async def recv(self):
            if self.start is None:
                self.start = time.monotonic()
            self.n += 1
            wait = self.start + self.n / fps - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            plane = numpy.roll(self.base, self.n * 3, axis=1)
            frame = av.VideoFrame.from_ndarray(numpy.dstack([plane, plane[::-1], plane.T[:height, :width]
                                                             if width == height else plane]), format="rgb24")
            frame.pts, frame.time_base = int(self.n * 90000 / fps), Fraction(1, 90000)
            return frame

    return Moving()


class FrameCounter:
    def __init__(self, track):
        self.track, self.count, self.first_at = track, 0, None
        self.task = asyncio.ensure_future(self.run())

    async def run(self):
        try:
            while True:
                await self.track.recv()
                self.count += 1
                if self.first_at is None:
                    self.first_at = time.perf_counter()
        except Exception:  # noqa: BLE001 - the track ended
            pass


def start_servers(env):
    port = 18300
    daphne = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "project.server", "-b", "127.0.0.1", "-p",
                               str(port), "project.asgi:application"], cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open("/tmp/bench-media-daphne.log", "wb"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(ROOT / ".venv/bin/python"), "manage.py", "media_worker", "--id", "bench"],
                              cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open("/tmp/bench-media-worker.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.2)
    return base, [daphne, worker]


def client_class():
    from aiortc import RTCPeerConnection

    from tests.media_clients import ToneTrack
    from tests.test_media_e2e import LOCAL_ONLY, MediaClient

    class BenchClient(MediaClient):
        """A MediaClient whose received video is only counted (no colour analysis) and whose video is
        moving 640×360 at the benchmark's frame rate."""

        video_size, fps, seed = (640, 360), 30, 0

        async def publish(self):
            old = self.pcs.pop("publish", None)
            if old is not None:
                await old.close()
            pc = self.pcs["publish"] = RTCPeerConnection(LOCAL_ONLY)
            pc.addTrack(ToneTrack(440.0 + 110 * self.seed))
            pc.addTrack(moving_track(*self.video_size, self.fps, self.seed))
            await pc.setLocalDescription(await pc.createOffer())
            await self.send({"type": "rtc.offer", "pc": "publish", "sdp": pc.localDescription.sdp})

        async def on_offer(self, frame):
            from aiortc import RTCSessionDescription

            publisher = frame["pc"][4:]
            old = self.pcs.pop(frame["pc"], None)
            if old is not None:
                await old.close()
            pc = self.pcs[frame["pc"]] = RTCPeerConnection(LOCAL_ONLY)

            @pc.on("track")
            def on_track(track):
                if track.kind == "video":
                    self.counters[publisher] = FrameCounter(track)
                else:
                    self.audio_sinks.append(FrameCounter(track))  # audio must be consumed too

            await pc.setRemoteDescription(RTCSessionDescription(frame["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send({"type": "rtc.answer", "pc": frame["pc"], "sdp": pc.localDescription.sdp})

        async def close(self):
            for counter in [*self.counters.values(), *self.audio_sinks]:
                counter.task.cancel()
            self.probes = {}
            await super().close()

    return BenchClient


def make_clients(BenchClient, base, public_id, cookie, tokens):
    host = BenchClient("host", "red", cookie=f"sessionid={cookie}")
    citizens = [BenchClient(f"citizen{i}", "blue", token=t) for i, t in enumerate(tokens)]
    for index, client in enumerate([host, *citizens]):
        client.session, client.counters, client.audio_sinks, client.seed = public_id, {}, [], index
    return host, citizens


async def admit(host, citizen, base):
    assert (await citizen.open(base))["type"] == "waiting"
    t0 = time.perf_counter()
    await host.send({"type": "host.admit", "participant": citizen.pid})
    await citizen.until(lambda f: f["type"] == "admitted")
    return t0


async def bench_join(base, rooms, joins):
    BenchClient = client_class()
    public_id, cookie, tokens = rooms[0]
    host, citizens = make_clients(BenchClient, base, public_id, cookie, tokens[:joins])
    BenchClient.fps = 15
    latencies = []
    try:
        assert (await host.open(base))["type"] == "welcome"
        await asyncio.sleep(3)  # the worker claims the room and asks the host to publish
        for citizen in citizens:
            t0 = await admit(host, citizen, base)
            deadline = time.perf_counter() + 30
            while not (citizen.pid in host.counters and host.counters[citizen.pid].first_at):
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"no frame from {citizen.name}")
                await asyncio.sleep(0.01)
            latencies.append(host.counters[citizen.pid].first_at - t0)
            await citizen.send({"type": "leave", "id": "bye"})
            await citizen.close()
            await asyncio.sleep(1)  # the worker drops the leaver's connections
    finally:
        await host.close()
    print(f"join → first remote frame at the leader ({len(latencies)} joins): {summary(latencies)}; "
          f"p95={percentile(latencies, 95) * 1000:.1f} ms")


async def bench_cpu(base, rooms, sizes, seconds, fps, worker_pid):
    BenchClient = client_class()
    BenchClient.fps = fps
    results = []
    for room_index, n in enumerate(sizes):
        public_id, cookie, tokens = rooms[room_index]
        host, citizens = make_clients(BenchClient, base, public_id, cookie, tokens[: n - 1])
        try:
            assert (await host.open(base))["type"] == "welcome"
            for citizen in citizens:
                await admit(host, citizen, base)
            everyone = [host, *citizens]
            deadline = time.perf_counter() + 60
            while sum(len(c.counters) for c in everyone) < n * (n - 1):
                if time.perf_counter() > deadline:
                    raise RuntimeError("not every subscription came up")
                await asyncio.sleep(0.2)
            await asyncio.sleep(5)  # warm-up
            counts0 = {(c.name, p): k.count for c in everyone for p, k in c.counters.items()}
            cpu0, t0 = cpu_seconds(worker_pid), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu1, t1 = cpu_seconds(worker_pid), time.perf_counter()
            rates = [(k.count - counts0[(c.name, p)]) / (t1 - t0) for c in everyone for p, k in c.counters.items()]
            streams = n * (n - 1)
            per_stream = (cpu1 - cpu0) / (t1 - t0) / streams
            results.append((n, streams, (cpu1 - cpu0) / (t1 - t0), per_stream, min(rates), sum(rates) / len(rates)))
            print(f"n={n}: {streams} subscribed video streams; worker CPU {(cpu1 - cpu0) / (t1 - t0):.2f} s/s "
                  f"= {per_stream:.3f} CPU-s per media-second per stream; decoded fps min {min(rates):.1f} "
                  f"mean {sum(rates) / len(rates):.1f} (sent {fps})", flush=True)
        finally:
            for client in [host, *citizens]:
                await client.close()
            await asyncio.sleep(2)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["join", "cpu"])
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--participants", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    env = prepare_environment(fresh=True)
    setup_django()
    from room_fanout import make_rooms

    if args.what == "join":
        rooms = make_rooms(1, citizens=args.joins)
    else:
        rooms = make_rooms(len(args.participants), citizens=max(args.participants) - 1)
    from django.db import connections

    connections.close_all()
    base, procs = start_servers(env)
    time.sleep(2)
    try:
        if args.what == "join":
            asyncio.run(bench_join(base, rooms, args.joins))
        else:
            asyncio.run(bench_cpu(base, rooms, args.participants, args.seconds, args.fps, procs[1].pid))
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
