"""Room control-plane fan-out: N concurrent sockets in rooms of 5 (a host and 4 admitted citizens), on
Daphne with the Redis channel layer and PostgreSQL (the client runs in this process, on the same machine).

Usage: .venv/bin/python bench/room_fanout.py --sockets 500 --workers 1 [--rounds 5] [--burst 4]
Measures: (1) latency: every host sends one command at the same moment (host.mute / host.ask_unmute in
turn); time from the send to its ``participant.updated`` at each of the 5 sockets of the room, p50/p99;
(2) throughput: every host sends ``--burst`` commands back to back; deliveries per second until the last
arrives; (3) Daphne memory per socket (RSS growth across connecting, divided by the sockets) and Daphne CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import time
from datetime import timedelta

from common import ROOT, prepare_environment, setup_django, summary


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """(the event loop's thread, every other thread: the database thread pool) CPU seconds of a process."""
    main = others = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            seconds = cpu_seconds_of(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            continue  # the thread ended
        if int(tid) == pid:
            main += seconds
        else:
            others += seconds
    return main, others


def cpu_seconds_of(path: str) -> float:
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_rooms(count: int, citizens: int = 4):
    """``count`` open sessions at seeded communes, each with a host and ``citizens`` citizens with confirmed
    registrations. Returns [(session public id, host session cookie, [citizen join tokens])]."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment, User
    from offices.models import Office, Tier
    from scheduling.links import make_join_token
    from scheduling.services import registrations
    from sessions import services as session_services

    password = make_password("bench-password-1")
    offices = list(Office.objects.filter(tier=Tier.COMMUNE).order_by("code")[:count])
    rooms = []
    for i, office in enumerate(offices):
        host = User.objects.create(username=f"host{i}", full_name=f"Chủ tịch {i}", password=password)
        RoleAssignment.objects.create(user=host, office=office, role=Role.LEADER)
        starts = timezone.now() + timedelta(days=8)
        session = session_services.create_session(
            by=None, kind="regular", host_office=office, host=host, title="Bench", starts_at=starts,
            ends_at=starts + timedelta(hours=2), slot_minutes=120, slot_capacity=citizens)
        session_services.publish(session, None, reason="bench")
        slot = session.slots.get()
        tokens = []
        for j in range(citizens):
            citizen = User.objects.create(username=f"c{i}-{j}", full_name=f"Công dân {i}-{j}", password=password)
            reg = registrations.register(citizen=citizen, slot_id=slot.pk, matter_kind="petition",
                                         matter_summary="Kiến nghị về đường giao thông nông thôn")
            tokens.append(make_join_token(reg))
        session_services.open_session(session, host, now=starts)
        store = SessionStore()
        store[SESSION_KEY] = str(host.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.PhoneOrEmailBackend"
        store[HASH_SESSION_KEY] = host.get_session_auth_hash()
        store.create()
        rooms.append((str(session.public_id), store.session_key, tokens))
    return rooms


class Client:
    def __init__(self, ws, pid=None):
        self.ws, self.pid = ws, pid


async def run(ports, rooms, rounds, burst, cpu=lambda: 0.0, profile=None, threads=lambda: (0.0, 0.0)):
    """Phase 1 (latency): ``rounds`` times, every host sends one command at once (mute, then ask_unmute, …)
    and we time its ``participant.updated`` at each of the 5 sockets of the room. Phase 2 (throughput):
    every host sends ``burst`` commands back to back; deliveries per second until the last one arrives."""
    import websockets

    arrivals: dict[tuple[int, int], list[float]] = {}  # (room, command number) -> arrival times
    sent_at: dict[tuple[int, int], float] = {}
    counts = {"frames": 0}

    sent_text: dict[tuple[int, str], str] = {}  # (room, frame id) -> the host's frame, to send again on ``busy``

    def on_frame(room_index, client, frame):
        counts["frames"] += 1
        if frame.get("type") == "error" and frame.get("code") == "busy":  # back-pressure: not applied, send again
            counts["busy"] = counts.get("busy", 0) + 1
            text = sent_text.get((room_index, frame.get("reply_to")))
            if text is not None:
                delay = float((frame.get("details") or {}).get("retry_after", 1.0)) * (1 + random.random())
                asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(client.ws.send(text)))
        if frame.get("type") == "participant.updated" and frame["participant"]["pid"] == client.target:
            number = client.updates  # the n-th update of the target seen by this socket = the n-th command
            client.updates += 1
            arrivals.setdefault((room_index, number), []).append(time.perf_counter())

    async def pump(room_index, client):
        try:
            async for raw in client.ws:
                on_frame(room_index, client, json.loads(raw))
        except Exception:  # noqa: BLE001 - closed at the end
            pass

    async def open_socket(url, headers):
        for _attempt in range(10):
            try:
                return await websockets.connect(url, additional_headers=headers, open_timeout=120, max_queue=None,
                                                ping_interval=None)
            except OSError:
                await asyncio.sleep(0.5)
        raise RuntimeError(f"could not connect {url}")

    async def until(ws, frame_type):
        seen = []
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            except TimeoutError:
                raise RuntimeError(f"no {frame_type} within 60 s; got {seen}") from None
            seen.append(frame.get("type") if frame.get("type") != "error" else frame)
            if frame["type"] == frame_type:
                return frame

    async def enter(index, public_id, cookie, tokens):
        """Host in, 4 citizens in the lobby, all admitted (each citizen has its ``admitted`` frame)."""
        port = ports[index % len(ports)]
        base = f"ws://127.0.0.1:{port}/ws/sessions/{public_id}/"
        origin = {"Origin": f"http://127.0.0.1:{port}"}
        host_ws = await open_socket(base, {**origin, "Cookie": f"sessionid={cookie}"})
        await host_ws.send(json.dumps({"type": "hello"}))
        await until(host_ws, "welcome")
        citizens = []
        for token in tokens:
            ws = await open_socket(base + f"?token={token}", origin)
            await ws.send(json.dumps({"type": "hello"}))
            waiting = await until(ws, "waiting")
            citizens.append(Client(ws, waiting["snapshot"]["you"]))
        for number, citizen in enumerate(citizens):
            await host_ws.send(json.dumps({"type": "host.admit", "id": f"a{number}", "participant": citizen.pid}))
            await until(host_ws, "ack")
        for citizen in citizens:
            await until(citizen.ws, "admitted")
        return [Client(host_ws, "host"), *citizens]

    t_connect = time.perf_counter()
    room_clients = []
    for chunk in range(0, len(rooms), 20):  # 20 rooms entering at a time
        room_clients += await asyncio.gather(*(enter(i, *rooms[i]) for i in range(chunk, min(chunk + 20, len(rooms)))))
    connect_time = time.perf_counter() - t_connect
    await asyncio.sleep(2)  # the last admissions' broadcasts settle before the pumps count anything
    for clients in room_clients:
        target = clients[1].pid
        for client in clients:
            client.target, client.updates = target, 0
    pumps = [asyncio.create_task(pump(i, c)) for i, clients in enumerate(room_clients) for c in clients]
    profiler = profile() if profile else None  # py-spy over the latency and burst phases only

    def command(number, target, room_index):
        kind = "host.mute" if number % 2 == 0 else "host.ask_unmute"
        text = json.dumps({"type": kind, "id": f"c{number}", "participant": target})
        sent_text[(room_index, f"c{number}")] = text
        return text

    async def wait_for(numbers, deadline_s):
        deadline = time.perf_counter() + deadline_s
        while time.perf_counter() < deadline:
            if all(len(arrivals.get((i, n), [])) >= 5 for i in range(len(room_clients)) for n in numbers):
                return True
            await asyncio.sleep(0.05)
        return False

    # Daphne's CPU with every socket open and nothing sent (timers, keepalives, idle receives): counted in
    # every phase's CPU below, reported so that short phases can be read net of it.
    idle = cpu()
    await asyncio.sleep(5)
    idle_rate = (cpu() - idle) / 5

    # Phase 1: latency.
    cpu_latency = cpu()
    for number in range(rounds):
        for index, clients in enumerate(room_clients):
            sent_at[(index, number)] = time.perf_counter()
            await clients[0].ws.send(command(number, clients[0].target, index))
        await wait_for([number], 60)
        await asyncio.sleep(0.5)
    cpu_latency = cpu() - cpu_latency
    latencies = [t - sent_at[key] for key, times in arrivals.items() if key in sent_at for t in times]
    latency_expected = len(room_clients) * 5 * rounds

    # Phase 2: throughput.
    numbers = list(range(rounds, rounds + burst))
    before = sum(len(times) for times in arrivals.values())
    cpu_burst, threads_burst = cpu(), threads()
    t0 = time.perf_counter()
    for number in numbers:
        for index, clients in enumerate(room_clients):
            await clients[0].ws.send(command(number, clients[0].target, index))
    complete = await wait_for(numbers, 300)
    wall = time.perf_counter() - t0
    burst_cpu_wall = wall
    cpu_burst = cpu() - cpu_burst
    threads_burst = [after - before for after, before in zip(threads(), threads_burst, strict=True)]
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=120)
    burst_delivered = sum(len(times) for times in arrivals.values()) - before
    last = max((max(arrivals.get((i, n), [t0])) for i in range(len(room_clients)) for n in numbers), default=t0)

    for clients in room_clients:
        for client in clients:
            await client.ws.close()
    for p in pumps:
        p.cancel()
    return {"busy": counts.get("busy", 0),
            "latencies": latencies, "latency_expected": latency_expected, "connect_time": connect_time,
            "burst_commands": len(numbers) * len(room_clients), "burst_delivered": burst_delivered,
            "burst_expected": len(numbers) * len(room_clients) * 5, "burst_seconds": (last - t0) if complete else wall,
            "complete": complete, "cpu_latency": cpu_latency, "cpu_burst": cpu_burst,
            "latency_commands": len(room_clients) * rounds, "threads_burst": threads_burst, "idle_rate": idle_rate,
            "burst_cpu_wall": burst_cpu_wall}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=4)
    parser.add_argument("--pyspy", help="record the Daphne processes with py-spy (raw format) into this file, "
                        "over the latency and burst phases (PY_SPY: the binary, default py-spy)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    env = prepare_environment(fresh=True)
    setup_django()
    rooms = make_rooms(args.sockets // 5)
    from django.db import connections

    connections.close_all()
    # BENCH_PORT: another base port when someone else runs a bench on this machine at the same time.
    ports = [int(os.environ.get("BENCH_PORT", 18200)) + i for i in range(args.workers)]
    procs = [subprocess.Popen([str(ROOT / ".venv/bin/python"), *os.environ.get("BENCH_PY_ARGS", "").split(), "-m", "project.server", "-e", f"tcp:port={p}:interface=127.0.0.1:backlog=4096",
                               "project.asgi:application"], cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open(f"/tmp/bench-room-{p}.log", "wb"), stderr=subprocess.STDOUT)
             for p in ports]
    try:
        import urllib.request

        for p in ports:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/healthz", timeout=1)
                    break
                except Exception:
                    time.sleep(0.2)
        before = sum(rss_kb(proc.pid) for proc in procs)
        cpu_before = sum(cpu_seconds(proc.pid) for proc in procs)
        def profile():
            return subprocess.Popen([os.environ.get("PY_SPY", "py-spy"), "record", "--pid", str(procs[0].pid),
                                     "--rate", "200", "--format", "raw", "--nonblocking", "-o", args.pyspy,
                                     *os.environ.get("PY_SPY_ARGS", "").split()],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        result = asyncio.run(run(ports, rooms, args.rounds, args.burst,
                                 cpu=lambda: sum(cpu_seconds(proc.pid) for proc in procs),
                                 profile=profile if args.pyspy else None,
                                 threads=lambda: [sum(t) for t in zip(*(thread_cpu_seconds(p.pid) for p in procs), strict=True)]))
        after_rss = sum(rss_kb(proc.pid) for proc in procs)
        cpu_used = sum(cpu_seconds(proc.pid) for proc in procs) - cpu_before
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    sockets = len(rooms) * 5
    print(f"sockets={sockets} rooms={len(rooms)} daphne_workers={args.workers} rounds={args.rounds} burst={args.burst}")
    print(f"connect + hello + admit everyone: {result['connect_time']:.1f} s")
    print(f"host command → each participant of the room: {summary(result['latencies'])}; "
          f"delivered {len(result['latencies'])}/{result['latency_expected']}")
    rate = result["burst_delivered"] / result["burst_seconds"]
    print(f"busy answers (back-pressure, sent again after retry_after): {result['busy']}")
    print(f"burst: {result['burst_commands']} commands → {result['burst_delivered']}/{result['burst_expected']} "
          f"deliveries in {result['burst_seconds']:.1f} s = {rate:.0f} deliveries/s "
          f"({result['burst_commands'] / result['burst_seconds']:.0f} commands/s){'' if result['complete'] else ' INCOMPLETE'}")
    per_command = result["cpu_burst"] / max(1, result["burst_commands"])
    print(f"daphne CPU per command (with its deliveries): burst {per_command * 1000:.1f} ms, latency rounds "
          f"{result['cpu_latency'] / max(1, result['latency_commands']) * 1000:.1f} ms → one fully used core would "
          f"sustain ≈ {1 / max(per_command, 1e-9):.0f} commands/s per process")
    idle_share = result["idle_rate"] * result["burst_cpu_wall"]
    print(f"daphne idle CPU (sockets open, nothing sent): {result['idle_rate'] * 100:.1f} % of a core; burst CPU per "
          f"command net of it: {(result['cpu_burst'] - idle_share) / max(1, result['burst_commands']) * 1000:.1f} ms")
    loop_cpu, pool_cpu = result["threads_burst"]
    print(f"burst CPU per command by thread: event loop {loop_cpu / max(1, result['burst_commands']) * 1000:.1f} ms, "
          f"database threads {pool_cpu / max(1, result['burst_commands']) * 1000:.1f} ms")
    print(f"daphne RSS: {before / 1024:.0f} MB → {after_rss / 1024:.0f} MB; "
          f"{(after_rss - before) / max(1, sockets):.0f} KB per socket; daphne CPU during the run {cpu_used:.1f} s")


if __name__ == "__main__":
    main()
