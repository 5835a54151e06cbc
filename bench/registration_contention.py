"""500 concurrent registrations for one slot, through the real HTTP stack (Daphne → Django → PostgreSQL).

Usage: .venv/bin/python bench/registration_contention.py [--citizens 500] [--capacity 3] [--workers 1]
Prints: outcomes (must show confirmed == capacity), latency p50/p99, throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from common import ROOT, prepare_environment, setup_django, summary


def database_transactions() -> int:
    """Committed + rolled-back transactions of the bench database so far (PostgreSQL's statistics)."""
    from common import database_url

    sql = ("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
    return int(subprocess.run(["psql", database_url(), "-Atc", sql], check=True, capture_output=True,
                              text=True).stdout.strip())


def make_fixture(citizens: int, capacity: int):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import grant_role
    from offices.models import Office
    from sessions import services as session_services

    office = Office.objects.get(code="X00004")
    host = User.objects.create(username=f"bench-host-{timezone.now().timestamp():.0f}", full_name="Chủ tịch Bench")
    grant_role(None, host, office, Role.LEADER)
    starts = timezone.now() + timedelta(days=20)
    session = session_services.create_session(by=None, kind="regular", host_office=office, host=host, title="Bench",
                                              starts_at=starts, ends_at=starts + timedelta(hours=1),
                                              slot_minutes=30, slot_capacity=capacity)
    session_services.publish(session, None, reason="bench")
    slot = session.slots.get(index=0)
    password = make_password("bench-password-1")
    users = User.objects.bulk_create([User(username=f"bench{i}", full_name=f"Công dân {i}", password=password)
                                      for i in range(citizens)])
    # Sessions as logging in creates them: through the configured engine (cached_db with Redis: in the cache
    # too, as the citizens' logins would have left them).
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.PhoneOrEmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append(store.session_key)
    return slot.pk, cookies


async def fire(ports: list[int], slot_id: int, cookies: list[str]):
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    csrf = "b" * 32
    body = {"slot": slot_id, "matter_kind": "complaint", "people_count": 1,
            "matter_summary": "Khiếu nại quyết định thu hồi đất của Ủy ban nhân dân xã"}
    latencies, outcomes = [], Counter()
    limits = httpx.Limits(max_connections=len(cookies), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start_gate = asyncio.Event()

        async def one(i, session_key):
            port = ports[i % len(ports)]
            await start_gate.wait()
            t0 = time.perf_counter()
            try:
                response = await client.post(
                    f"http://127.0.0.1:{port}/api/registrations", json=body,
                    headers={"X-CSRFToken": csrf, "Cookie": f"sessionid={session_key}; csrftoken={csrf}"},
                )
            except httpx.HTTPError as exc:
                outcomes[f"transport error {type(exc).__name__}"] += 1
                return
            latencies.append(time.perf_counter() - t0)
            if response.status_code == 201:
                outcomes[response.json()["status"]] += 1
            else:
                try:
                    outcomes[f"{response.status_code} {response.json()['error']['type']}"] += 1
                except Exception:
                    outcomes[f"{response.status_code}"] += 1

        tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(cookies)]
        await asyncio.sleep(0.5)
        t0 = time.perf_counter()
        start_gate.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    return latencies, outcomes, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="Daphne processes")
    args = parser.parse_args()
    env = prepare_environment(fresh=True)
    setup_django()
    slot_id, cookies = make_fixture(args.citizens, args.capacity)
    from django.db import connections

    connections.close_all()
    ports = [int(__import__("os").environ.get("BENCH_PORT", 18100)) + i for i in range(args.workers)]
    # Twisted's default listen backlog is 50: a burst of hundreds of connects overflows it and the kernel
    # resets connections. The endpoint string raises it (production: the same in the Procfile).
    procs = [subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "project.server", "-e", f"tcp:port={p}:interface=127.0.0.1:backlog=1024",
                               "project.asgi:application"], cwd=ROOT, env=env,
                              stdout=open(f"/tmp/bench-daphne-{p}.log", "wb"), stderr=subprocess.STDOUT)
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
        from room_fanout import cpu_seconds

        cpu_before = sum(cpu_seconds(proc.pid) for proc in procs)
        xacts_before = database_transactions()
        client_cpu = time.process_time()
        latencies, outcomes, wall = asyncio.run(fire(ports, slot_id, cookies))
        client_cpu = time.process_time() - client_cpu
        cpu_used = sum(cpu_seconds(proc.pid) for proc in procs) - cpu_before
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    # An idle backend flushes its statistics only every 10 s; one that exits (the servers stopped) at once.
    time.sleep(1)
    xacts = database_transactions() - xacts_before
    confirmed = outcomes.get("confirmed", 0)
    print(f"citizens={args.citizens} capacity={args.capacity} daphne_workers={args.workers}")
    print(f"outcomes: {dict(outcomes)}")
    print(f"confirmed == capacity: {confirmed == args.capacity}")
    # What the database holds afterwards: the answers must match it exactly.
    from django.conf import settings
    from django.db.models import Count

    from scheduling.models import Registration
    from sessions.models import SessionSlot

    slot = SessionSlot.objects.get(pk=slot_id)
    stored = dict(Registration.objects.filter(slot_id=slot_id).values_list("status").annotate(n=Count("pk")))
    print(f"database: {stored}; slot counters confirmed={slot.confirmed_count} waitlist={slot.waitlist_count} "
          f"(capacity {slot.capacity}, waiting list max {settings.WAITLIST_MAX_PER_SLOT}); waiting list exact: "
          f"{stored.get('waitlisted', 0) == slot.waitlist_count == outcomes.get('waitlisted', 0)}")
    print(f"latency: {summary(latencies)}")
    print(f"throughput: {len(latencies) / wall:.1f} requests/s over {wall:.2f} s; daphne CPU {cpu_used:.1f} s = "
          f"{cpu_used / max(1, len(latencies)) * 1000:.1f} ms per request")
    print(f"bench client (httpx, this process) CPU {client_cpu:.1f} s")
    print(f"database transactions (each autocommit statement or atomic block): {xacts} = "
          f"{xacts / max(1, len(latencies)):.1f} per request")
    sys.exit(0 if confirmed == args.capacity else 1)


if __name__ == "__main__":
    main()
