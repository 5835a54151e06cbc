"""Room control-plane fan-out: N concurrent sockets in rooms of 5 (a host and 4 admitted citizens), on
Daphne with the Redis channel layer and PostgreSQL.

Usage: .venv/bin/python bench/room_fanout.py --sockets 500 --workers 1 [--rounds 3]
Measures: time from a host command (host.mute) to its delivery (participant.updated) at every participant
of the room, p50/p99; delivered frames per second during the command phase; Daphne memory per socket
(RSS growth from before the sockets connect to after, divided by the sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
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


def make_rooms(count: int):
    """``count`` open sessions at seeded communes, each with a host and 4 citizens with confirmed
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
            ends_at=starts + timedelta(hours=2), slot_minutes=120, slot_capacity=4)
        session_services.publish(session, None, reason="bench")
        slot = session.slots.get()
        tokens = []
        for j in range(4):
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
    def __init__(self, ws):
        self.ws, self.frames, self.waiters = ws, [], []

    async def pump(self, on_frame):
        try:
            async for raw in self.ws:
                on_frame(self, json.loads(raw))
        except Exception:
            pass


async def run(ports, rooms, rounds):
    import websockets

    received = {}  # (room index, round) -> list of arrival times
    sent_at = {}
    delivered = 0

    def on_frame(client, frame):
        nonlocal delivered
        delivered += 1
        if frame.get("type") == "participant.updated" and frame["participant"].get("muted_by_host") is not None:
            key = client.expect
            if key is not None and key in sent_at:
                received.setdefault(key, []).append(time.perf_counter())

    async def open_socket(url, headers):
        for _attempt in range(5):
            try:
                return await websockets.connect(url, additional_headers=headers, open_timeout=60, max_queue=None)
            except OSError:
                await asyncio.sleep(0.5)
        raise RuntimeError(f"could not connect {url}")

    hosts, citizens_by_room = [], []
    t_connect = time.perf_counter()
    for index, (public_id, cookie, tokens) in enumerate(rooms):
        port = ports[index % len(ports)]
        base = f"ws://127.0.0.1:{port}/ws/sessions/{public_id}/"
        origin = {"Origin": f"http://127.0.0.1:{port}"}
        host_ws = await open_socket(base, {**origin, "Cookie": f"sessionid={cookie}"})
        await host_ws.send(json.dumps({"type": "hello"}))
        await host_ws.recv()
        citizens = []
        for token in tokens:
            ws = await open_socket(base + f"?token={token}", origin)
            await ws.send(json.dumps({"type": "hello"}))
            waiting = json.loads(await ws.recv())
            citizens.append((ws, waiting["snapshot"]["you"]))
        for _ws, pid in citizens:
            await host_ws.send(json.dumps({"type": "host.admit", "participant": pid}))
        hosts.append(Client(host_ws))
        citizens_by_room.append([Client(ws) for ws, _pid in citizens])
        citizens_by_room[-1][0].pid = citizens[0][1]
    connect_time = time.perf_counter() - t_connect
    everyone = [c for c in hosts] + [c for room in citizens_by_room for c in room]
    for client in everyone:
        client.expect = None
    pumps = [asyncio.create_task(c.pump(on_frame)) for c in everyone]
    await asyncio.sleep(2)  # admissions settle
    delivered = 0
    t0 = time.perf_counter()
    for r in range(rounds):
        for index, host in enumerate(hosts):
            key = (index, r)
            for client in [host, *citizens_by_room[index]]:
                client.expect = key
            target = citizens_by_room[index][0].pid
            sent_at[key] = time.perf_counter()
            await host.ws.send(json.dumps({"type": "host.mute" if r % 2 == 0 else "host.ask_unmute",
                                           "participant": target}))
        await asyncio.sleep(1.0)
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and sum(len(received.get((i, r), [])) for i in range(len(hosts))) \
                < len(hosts) * 5:
            await asyncio.sleep(0.2)
    wall = time.perf_counter() - t0
    latencies = [arrival - sent_at[key] for key, arrivals in received.items() for arrival in arrivals]
    expected = len(hosts) * 5 * rounds
    for c in everyone:
        await c.ws.close()
    for p in pumps:
        p.cancel()
    return latencies, expected, delivered, wall, connect_time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    env = prepare_environment(fresh=True)
    setup_django()
    rooms = make_rooms(args.sockets // 5)
    from django.db import connections

    connections.close_all()
    ports = [18200 + i for i in range(args.workers)]
    procs = [subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "project.server", "-e", f"tcp:port={p}:interface=127.0.0.1:backlog=4096",
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
        latencies, expected, delivered, wall, connect_time = asyncio.run(run(ports, rooms, args.rounds))
        after = sum(rss_kb(proc.pid) for proc in procs)
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"sockets={len(rooms) * 5} rooms={len(rooms)} daphne_workers={args.workers} rounds={args.rounds}")
    print(f"connect+join+admit all: {connect_time:.1f} s")
    print(f"host command → every participant: {summary(latencies)}; delivered {len(latencies)}/{expected}")
    print(f"frames delivered during the command phase: {delivered} in {wall:.1f} s = {delivered / wall:.0f}/s")
    print(f"daphne RSS: {before / 1024:.0f} MB → {after / 1024:.0f} MB; "
          f"{(after - before) / max(1, len(rooms) * 5):.0f} KB per socket")


if __name__ == "__main__":
    main()
