"""Weak lines: a four-participant room, one participant behind the impairing relay (tests/tools/udp_impair.py).

Usage (from bench/):
  ../.venv/bin/python weak_line_bench.py [--rate-kbps 300] [--rtt-ms 200] [--seconds 30]

Daphne and a media worker as processes (as media_bench.py), four aiortc clients in this process: a host and two
other participants on clean lines, and a "citizen" whose every connection crosses the relay. Phases:
  1. the weak line (rate, RTT, 2 % loss both ways): audio delivery both ways (received / sent on the frames'
     own timestamps, longest hole), the citizen's level(s), video frames per second the citizen receives;
  2. 10 % loss both ways: the same, the level reached, and when it was announced;
  3. recovery (0 % loss, same rate and RTT): seconds until the citizen receives pictures again, and its level.
Worker CPU-seconds per second of each phase (from /proc), and the machine's load.
Test clients send Opus at a browser's 32 kbit/s with FEC (tests/weak_line.py) and 15 fps 320×240 video.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from common import ROOT, prepare_environment, setup_django
from media_bench import cpu_seconds, load, start_servers, stop_servers

sys.path.insert(0, str(ROOT))


def video_fps(client, publishers, since: float, until: float) -> float:
    total = 0
    for p in publishers:
        probe = client.probes.get((p.pid, "video"))
        if probe is not None:
            total += sum(1 for _, at in probe.stamps if since <= at < until)
    return total / max(until - since, 1e-6)


async def scenario(base, room, args, worker_pid):
    from tests.tools.udp_impair import Direction, Line
    from tests.weak_line import ImpairedClient, LineClient, audio_delivery

    public_id, cookie, tokens = room
    weak = {"delay": args.rtt_ms / 2000, "loss": 0.02, "rate_bps": args.rate_kbps * 1000}
    line = Line(Direction(seed=1, **weak), Direction(seed=2, **weak))
    host = LineClient("host", "red", cookie=f"sessionid={cookie}")
    second = LineClient("site2", "green", token=tokens[1])
    third = LineClient("site3", "magenta", token=tokens[2])
    citizen = ImpairedClient("citizen", "blue", token=tokens[0], line=line)
    others, everyone = (host, second, third), (host, second, third, citizen)
    for c in everyone:
        c.session = public_id
    results = {}
    try:
        assert (await host.open(base))["type"] == "welcome"
        for c in (second, third, citizen):
            await c.open(base)
            await host.send({"type": "host.admit", "id": c.name, "participant": c.pid})
            await c.until(lambda f: f["type"] == "admitted", 30)
        for c in everyone:  # everyone receives everyone
            for p in everyone:
                if p is not c:
                    for kind in ("audio", "video"):
                        await c.probe(p.pid, kind, 60)
        await asyncio.sleep(10)

        async def phase(name, seconds):
            marks = {(a.name, b.name): (probe, probe.mark()) for a in everyone for b in everyone if a is not b
                     for probe in [a.probes[(b.pid, "audio")]]}
            levels_before = len(citizen.levels())
            cpu0, t0 = cpu_seconds(worker_pid), time.monotonic()
            await asyncio.sleep(seconds)
            cpu1, t1 = cpu_seconds(worker_pid), time.monotonic()
            audio = {k: audio_delivery(probe.stamps[mark:]) for k, (probe, mark) in marks.items()}
            to_citizen = [v for (a, _), v in audio.items() if a == "citizen"]
            from_citizen = [v for (_, b), v in audio.items() if b == "citizen"]
            results[name] = {
                "audio to citizen: min ratio": round(min(v["ratio"] for v in to_citizen), 3),
                "audio to citizen: max gap ms": round(max(v["max_gap_ms"] for v in to_citizen)),
                "audio from citizen: min ratio": round(min(v["ratio"] for v in from_citizen), 3),
                "audio from citizen: max gap ms": round(max(v["max_gap_ms"] for v in from_citizen)),
                "audio between the others: min ratio": round(min(v["ratio"] for (a, b), v in audio.items()
                                                                 if "citizen" not in (a, b)), 3),
                "citizen levels": citizen.levels()[levels_before:],
                "video fps to citizen (last 10 s)": round(video_fps(citizen, others, t1 - 10, t1), 1),
                "video fps to host (last 10 s)": round(video_fps(host, (second, third, citizen), t1 - 10, t1), 1),
                "citizen sends video": citizen.camera.running.is_set() if citizen.camera else None,
                "worker CPU-s/s": round((cpu1 - cpu0) / (t1 - t0), 3),
                "line": line.stats(),
            }
            print(name, results[name], flush=True)

        await phase(f"{args.rate_kbps} kbit/s, {args.rtt_ms} ms, 2 %", args.seconds)
        line.set(loss=0.10)
        await phase(f"{args.rate_kbps} kbit/s, {args.rtt_ms} ms, 10 %", args.seconds)
        line.set(loss=0.0)
        recovered = time.monotonic()
        probe = citizen.probes[(host.pid, "video")]
        back = await probe.wait_for_frames(10, 60, after=recovered)
        results["recovery"] = {"picture back after s": round(back - recovered, 1)}
        print("recovery", results["recovery"], flush=True)
        await phase(f"{args.rate_kbps} kbit/s, {args.rtt_ms} ms, 0 % (recovered)", args.seconds)
    finally:
        for c in everyone:
            await c.close()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate-kbps", type=float, default=300)
    parser.add_argument("--rtt-ms", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    env = prepare_environment(fresh=True)
    setup_django()
    from room_fanout import make_rooms

    from tests.weak_line import browser_like_opus

    browser_like_opus()
    room = make_rooms(1, citizens=3)[0]
    from django.db import connections

    connections.close_all()
    print(f"# weak-line bench; load before: {load()}", flush=True)
    base, procs = start_servers(env, "forward", port=18320)
    try:
        asyncio.run(scenario(base, room, args, procs[1].pid))
    finally:
        stop_servers(procs)
    print(f"# load after: {load()}", flush=True)


if __name__ == "__main__":
    main()
