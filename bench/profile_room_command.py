"""cProfile of ``signaling.services.handle`` for room commands (host.mute / host.ask_unmute in turn, as
room_fanout.py sends them) in a room of 5, sequentially, against a bench database of its own. Prints the
wall time per command, the SQL statements per command and the top functions.

Usage: cd bench && BENCH_DATABASE=tcd_prof_x ../.venv/bin/python profile_room_command.py [--commands 400]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time


def main():
    from common import prepare_environment, setup_django

    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--fresh", action="store_true", help="recreate the database")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    prepare_environment(fresh=args.fresh)
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from room_fanout import make_rooms

    from scheduling.models import Registration
    from sessions.models import ReceptionSession
    from signaling import services
    from signaling.protocol import frames as f

    public_id, _cookie, tokens = make_rooms(1, 4)[0] if args.fresh or not ReceptionSession.objects.filter(
        status="open").exists() else (None, None, None)
    session = (ReceptionSession.objects.get(public_id=public_id) if public_id
               else ReceptionSession.objects.filter(status="open").order_by("-pk").first())
    from accounts.models import User

    host = User.objects.get(pk=session.host_id)
    host_entry = services.Entry(session.pk, str(session.public_id), host.pk, host.full_name, "host",
                                session.host_office.code)
    services.join(host_entry)
    citizens = []
    for reg in Registration.objects.filter(session=session).select_related("citizen"):
        entry = services.Entry(session.pk, str(session.public_id), reg.citizen_id, reg.citizen.full_name,
                               "citizen", session.host_office.code, reg.pk)
        services.join(entry, deferred=True)
        try:
            services.handle(host_entry, f.parse_client_frame(f'{{"type": "host.admit", "participant": "{entry.pid}"}}'),
                            deferred=True)
        except services.EntryError:
            pass  # admitted by an earlier run on this database
        citizens.append(entry)
    target = citizens[0].pid
    frames = [f.parse_client_frame(f'{{"type": "host.mute", "participant": "{target}"}}'),
              f.parse_client_frame(f'{{"type": "host.ask_unmute", "participant": "{target}"}}')]
    for i in range(20):  # warm up
        services.handle(host_entry, frames[i % 2], deferred=True)
    with CaptureQueriesContext(connection) as queries:
        for i in range(2):
            services.handle(host_entry, frames[i % 2], deferred=True)
    print(f"SQL per mute + ask_unmute pair: {len(queries.captured_queries)}")
    for q in queries.captured_queries:
        print("   ", q["sql"][:160])
    t0 = time.perf_counter()
    for i in range(args.commands):
        services.handle(host_entry, frames[i % 2], deferred=True)
    wall = time.perf_counter() - t0
    print(f"unprofiled: {wall / args.commands * 1000:.2f} ms per command (wall, sequential, incl. PostgreSQL)")
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(args.commands):
        services.handle(host_entry, frames[i % 2], deferred=True)
    print(f"unprofiled: {(time.process_time() - cpu0) / args.commands * 1000:.2f} ms CPU of this process per command")
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.commands):
        services.handle(host_entry, frames[i % 2], deferred=True)
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
