"""A reception morning (issue 18): N rooms opening within a few minutes, with the real mix of frames, against
several Daphne processes, Redis and PostgreSQL on this machine (the load generator too).

Each room: the host (the commune's chairman) and a connected site's officer enter; the host offers its
media (``rtc.offer`` + ``rtc.ice``); ``--citizens`` citizens come in turn: enter the lobby, are admitted,
negotiate media, chat, are muted and asked to unmute, speak ``--talk`` seconds, leave; the host ends the
reception. Every socket pings every 15 s (as the room page does); the secretary autosaves the minutes every
3 s (``minutes.services.save_section_field``, the code the autosave PATCH runs) for the whole session. The
rooms open spread over ``--open-over`` seconds. No media worker runs: ``rtc.*`` frames go to the media group
and are measured only as signaling cost.

Usage: cd bench && ../.venv/bin/python reception_morning.py --rooms 100 --workers 2 [--citizens 3] [--talk 5]
Prints p50/p99 per action (send → the answer the client waits for), the room commands/s the processes
sustained, their CPU per command, and the autosaves' p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import threading
import time
from collections import defaultdict
from datetime import timedelta

from common import ROOT, percentile, prepare_environment, setup_django
from room_fanout import cpu_seconds

SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + "a=x-bench:" + "x" * 1500 + "\r\n"


def make_rooms(count: int, citizens: int):
    """Open sessions at ``count`` communes: host (leader), a site officer and a secretary (session cookies),
    ``citizens`` confirmed registrations (join tokens), the minutes opened with one section per citizen."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment, User
    from minutes import services as minutes_services
    from offices.models import Office, Tier
    from scheduling.links import make_join_token
    from scheduling.services import registrations
    from sessions import services as session_services

    def cookie(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.PhoneOrEmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    rooms = []
    for i, office in enumerate(Office.objects.filter(tier=Tier.COMMUNE).order_by("code")[:count]):
        host = User.objects.create(username=f"mhost{i}", full_name=f"Chủ tịch {i}")
        officer = User.objects.create(username=f"mofficer{i}", full_name=f"Cán bộ {i}")
        secretary = User.objects.create(username=f"msecretary{i}", full_name=f"Thư ký {i}")
        RoleAssignment.objects.create(user=host, office=office, role=Role.LEADER)
        RoleAssignment.objects.create(user=officer, office=office, role=Role.RECEPTION_OFFICER)
        RoleAssignment.objects.create(user=secretary, office=office, role=Role.SECRETARY)
        starts = timezone.now() + timedelta(days=8)
        session = session_services.create_session(
            by=None, kind="regular", host_office=office, host=host, title="Tiếp định kỳ", starts_at=starts,
            ends_at=starts + timedelta(hours=2), slot_minutes=120, slot_capacity=citizens)
        session_services.publish(session, None, reason="bench")
        slot = session.slots.get()
        tokens = []
        for j in range(citizens):
            citizen = User.objects.create(username=f"mc{i}-{j}", full_name=f"Công dân {i}-{j}")
            reg = registrations.register(citizen=citizen, slot_id=slot.pk, matter_kind="petition",
                                         matter_summary="Kiến nghị về đường giao thông nông thôn")
            tokens.append(make_join_token(reg))
        session_services.open_session(session, host, now=starts)
        minutes = minutes_services.open_minutes(session, secretary)
        sections = [minutes_services.add_section(minutes, secretary, citizen_name=f"Công dân {i}-{j}",
                                                 kind="petition").pk for j in range(citizens)]
        rooms.append({"public_id": str(session.public_id), "host": cookie(host), "officer": cookie(officer),
                      "tokens": tokens, "secretary_id": secretary.pk, "sections": sections})
    return rooms


class Sock:
    """A client socket: a reader task queues frames; ``expect`` waits for the first matching one."""

    def __init__(self, ws):
        self.ws, self.queue, self.frames = ws, asyncio.Queue(), 0
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for raw in self.ws:
                self.frames += 1
                await self.queue.put(json.loads(raw))
        except Exception:  # noqa: BLE001 - closed
            pass

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def expect(self, predicate, timeout=120):
        deadline = time.perf_counter() + timeout
        while True:
            frame = await asyncio.wait_for(self.queue.get(), max(0.01, deadline - time.perf_counter()))
            if predicate(frame):
                return frame

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


async def morning(ports, rooms, citizens, talk, open_over, cpu):
    import websockets

    timings: dict[str, list[float]] = defaultdict(list)
    counts = defaultdict(int)  # frames sent by kind
    busy = {"n": 0}
    failures: list[str] = []

    async def open_socket(url, headers):
        for _attempt in range(20):
            try:
                return Sock(await websockets.connect(url, additional_headers=headers, open_timeout=120,
                                                     max_queue=None, ping_interval=None))
            except OSError:
                await asyncio.sleep(0.5)
        raise RuntimeError(f"could not connect {url}")

    async def act(sock, name, frame, predicate):
        """Send a frame and time the answer; a ``busy`` answer is retried after its retry_after."""
        while True:
            began = time.perf_counter()
            counts[frame["type"]] += 1
            await sock.send(frame)
            reply = await sock.expect(lambda fr: predicate(fr) or (fr.get("type") == "error"
                                                                    and fr.get("reply_to") == frame.get("id")))
            if reply.get("type") == "error" and reply.get("code") == "busy":
                busy["n"] += 1
                await asyncio.sleep(reply["details"]["retry_after"] * (1 + random.random()))
                continue
            if reply.get("type") == "error":
                failures.append(f"{name}: {reply.get('code')}")
            timings[name].append(time.perf_counter() - began)
            return reply

    async def pinger(sock):
        await asyncio.sleep(random.uniform(0, 15))
        while True:
            counts["ping"] += 1
            try:
                await sock.send({"type": "ping", "id": "p"})
            except Exception:  # noqa: BLE001 - closed
                return
            await asyncio.sleep(15)

    async def negotiate(sock):
        counts["rtc.offer"] += 1
        await sock.send({"type": "rtc.offer", "id": "o", "pc": "publish", "sdp": SDP})
        for n in range(3):
            counts["rtc.ice"] += 1
            await sock.send({"type": "rtc.ice", "pc": "publish",
                             "candidate": {"candidate": f"candidate:{n} 1 udp 2122260223 10.0.0.{n} 5000{n} typ host",
                                           "sdpMid": "0", "sdpMLineIndex": 0}})

    async def hello(sock, name, expected):
        return await act(sock, name, {"type": "hello", "id": "h"}, lambda fr: fr.get("type") == expected)

    async def room(index, spec):
        await asyncio.sleep(random.uniform(0, open_over))
        port = ports[index % len(ports)]
        base = f"ws://127.0.0.1:{port}/ws/sessions/{spec['public_id']}/"
        origin = {"Origin": f"http://127.0.0.1:{port}"}
        pingers = []
        host = await open_socket(base, {**origin, "Cookie": f"sessionid={spec['host']}"})
        await hello(host, "hello (staff)", "welcome")
        site = await open_socket(base, {**origin, "Cookie": f"sessionid={spec['officer']}"})
        await hello(site, "hello (staff)", "welcome")
        pingers += [asyncio.create_task(pinger(host)), asyncio.create_task(pinger(site))]
        await negotiate(host)
        await negotiate(site)
        for j, token in enumerate(spec["tokens"]):
            citizen = await open_socket(base + f"?token={token}", origin)
            waiting = await hello(citizen, "hello (citizen) → waiting", "waiting")
            pid = waiting["snapshot"]["you"]
            pingers.append(asyncio.create_task(pinger(citizen)))
            await act(host, "host.admit → ack", {"type": "host.admit", "id": f"a{j}", "participant": pid},
                      lambda fr: fr.get("type") == "ack")
            began = time.perf_counter()
            await citizen.expect(lambda fr: fr.get("type") == "admitted")
            timings["admitted (citizen sees it)"].append(time.perf_counter() - began)
            await negotiate(citizen)
            await act(citizen, "chat.send → ack", {"type": "chat.send", "id": f"c{j}", "text": "Kính thưa đồng chí"},
                      lambda fr: fr.get("type") == "ack")
            began = time.perf_counter()
            await site.expect(lambda fr, pid=pid: fr.get("type") == "chat" and fr.get("from") == pid)
            timings["chat (other site sees it)"].append(time.perf_counter() - began)
            await act(host, "host.mute → ack", {"type": "host.mute", "id": f"m{j}", "participant": pid},
                      lambda fr: fr.get("type") == "ack")
            await act(host, "host.ask_unmute → ack", {"type": "host.ask_unmute", "id": f"u{j}", "participant": pid},
                      lambda fr: fr.get("type") == "ack")
            await act(citizen, "self.media → ack", {"type": "self.media", "id": f"s{j}", "audio": True},
                      lambda fr: fr.get("type") == "ack")
            await asyncio.sleep(talk)
            await act(citizen, "leave → ack", {"type": "leave", "id": f"l{j}"}, lambda fr: fr.get("type") == "ack")
            await citizen.close()
        await act(host, "host.end → session.ended", {"type": "host.end", "id": "e"},
                  lambda fr: fr.get("type") == "session.ended")
        for task in pingers:
            task.cancel()
        await host.close()
        await site.close()

    stop = threading.Event()
    saves: list[float] = []

    def secretary(spec):
        """Autosave every 3 s while the room runs (the minutes editor's rhythm)."""
        from django.db import connection

        from accounts.models import User
        from minutes import services as minutes_services

        user = User.objects.get(pk=spec["secretary_id"])
        version, text = 0, ""
        try:
            time.sleep(random.uniform(0, 3))
            while not stop.is_set():
                text += "Công dân trình bày. "
                began = time.perf_counter()
                result = minutes_services.save_section_field(spec["sections"][0], user, field="statement",
                                                             value=text, base_version=version)
                saves.append(time.perf_counter() - began)
                version = result.version
                stop.wait(3)
        finally:
            connection.close()

    writers = [threading.Thread(target=secretary, args=(spec,), daemon=True) for spec in rooms]
    for w in writers:
        w.start()
    cpu_before, began = cpu(), time.perf_counter()
    results = await asyncio.gather(*(room(i, spec) for i, spec in enumerate(rooms)), return_exceptions=True)
    wall, cpu_used = time.perf_counter() - began, cpu() - cpu_before
    stop.set()
    for w in writers:
        w.join(10)
    failures += [repr(r) for r in results if isinstance(r, BaseException)]
    return timings, counts, busy["n"], failures, wall, cpu_used, saves


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--citizens", type=int, default=3)
    parser.add_argument("--talk", type=float, default=5.0, help="seconds each citizen speaks")
    parser.add_argument("--open-over", type=float, default=60.0, help="rooms open spread over this many seconds")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1]),
                                                resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    env = prepare_environment(fresh=True)
    os.environ["DB_POOL_MAX"] = str(args.rooms + 10)  # the secretaries' threads
    setup_django()
    rooms = make_rooms(args.rooms, args.citizens)
    from django.db import connections

    connections.close_all()
    base_port = int(os.environ.get("BENCH_PORT", 18300))
    ports = [base_port + i for i in range(args.workers)]
    procs = [subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "project.server", "-e",
                               f"tcp:port={p}:interface=127.0.0.1:backlog=4096", "project.asgi:application"],
                              cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=open(f"/tmp/bench-morning-{p}.log", "wb"), stderr=subprocess.STDOUT)
             for p in ports]
    try:
        import urllib.request

        for p in ports:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/healthz", timeout=1)
                    break
                except Exception:  # noqa: BLE001 - starting
                    time.sleep(0.2)
        timings, counts, busy, failures, wall, cpu_used, saves = asyncio.run(morning(
            ports, rooms, args.citizens, args.talk, args.open_over,
            cpu=lambda: sum(cpu_seconds(proc.pid) for proc in procs)))
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    commands = sum(n for kind, n in counts.items() if not kind.startswith("rtc."))
    print(f"rooms={args.rooms} daphne_workers={args.workers} citizens/room={args.citizens} talk={args.talk}s "
          f"open_over={args.open_over}s wall={wall:.1f}s")
    for name, values in sorted(timings.items()):
        print(f"  {name:32s} n={len(values):5d} p50={percentile(values, 50) * 1000:8.1f} ms "
              f"p99={percentile(values, 99) * 1000:8.1f} ms max={max(values) * 1000:8.1f} ms")
    print(f"  minutes autosave (services)      n={len(saves):5d} p50={percentile(saves, 50) * 1000:8.1f} ms "
          f"p99={percentile(saves, 99) * 1000:8.1f} ms")
    print(f"frames sent: {dict(counts)}; room commands (database) {commands}, rtc.* {counts['rtc.offer'] + counts['rtc.ice']}")
    print(f"sustained: {commands / wall:.1f} room commands/s over the morning; daphne CPU {cpu_used:.1f} s = "
          f"{cpu_used / max(1, commands) * 1000:.1f} ms per room command (rtc.* and deliveries included); "
          f"busy answers {busy}; failures {len(failures)} {failures[:5]}")


if __name__ == "__main__":
    main()
