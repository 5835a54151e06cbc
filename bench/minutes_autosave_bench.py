"""Autosave throughput of the minutes under 50 concurrent editors (issue 6), on PostgreSQL.

Each editor is a thread with its own database connection that saves a field every ``--think`` seconds
(0 = as fast as it can) through ``minutes.services`` (the code the API's PATCH runs: row lock, version
check, merge, revision, audit entry, on-commit event). Two shapes:

* ``same``: all editors on ONE minutes (the worst case: every save of a minutes takes its row lock), each on
  its own citizen's section, a third of the saves from a stale version (merges);
* ``spread``: each editor on the minutes of a different session (a reception day: many sessions at once).

Usage: cd bench && ../.venv/bin/python minutes_autosave_bench.py --editors 50 --saves 20
Prints: saves/s, latency p50/p95/p99/max per shape, outcomes, and that every save has its revision.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from datetime import timedelta

from common import percentile, prepare_environment, setup_django


def make_minutes(count: int, sections: int):
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import grant_role
    from minutes import services
    from offices.models import Office
    from sessions import services as session_services

    office = Office.objects.get(code="X00004")
    secretary = User.objects.create(username=f"bench-secretary-{time.time_ns()}", full_name="Thư ký Bench")
    grant_role(None, secretary, office, Role.SECRETARY)
    host = User.objects.create(username=f"bench-host-{time.time_ns()}", full_name="Chủ tịch Bench")
    grant_role(None, host, office, Role.LEADER)
    result = []
    for i in range(count):
        starts = timezone.now() + timedelta(days=30, hours=i)
        session = session_services.create_session(by=None, kind="regular", host_office=office, host=host,
                                                  title=f"Bench {i}",
                                                  starts_at=starts, ends_at=starts + timedelta(minutes=30),
                                                  slot_minutes=30, slot_capacity=1)
        session_services.publish(session, None, reason="bench")
        minutes = services.open_minutes(session, secretary)
        ids = [services.add_section(minutes, secretary, citizen_name=f"Công dân {j}", kind="complaint").pk
               for j in range(sections)]
        result.append((minutes, ids))
    return secretary, result


def run(shape: str, editors: int, saves: int, think: float) -> None:
    from django.db import connection

    from minutes import services
    from minutes.models import MinutesRevision

    if shape == "same":
        secretary, [(minutes, section_ids)] = make_minutes(1, editors)
        targets = [(minutes, section_ids[i]) for i in range(editors)]
    else:
        secretary, made = make_minutes(editors, 1)
        targets = [(m, ids[0]) for m, ids in made]
    latencies: list[float] = []
    outcomes: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(editors)

    def editor(n: int) -> None:
        _minutes, section_id = targets[n]
        version, text = 0, ""
        rng = random.Random(n)
        try:
            start_gate.wait()
            for i in range(saves):
                text += f"Dòng {i} của người soạn {n}.\n"
                base = version if rng.random() > 1 / 3 else max(0, version - 1)  # a third stale
                began = time.perf_counter()
                result = services.save_section_field(section_id, secretary, field="statement", value=text,
                                                     base_version=base)
                took = time.perf_counter() - began
                version = result.version
                with lock:
                    latencies.append(took)
                    outcomes[result.outcome] += 1
                if think:
                    time.sleep(think)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(editors)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    revisions = MinutesRevision.objects.filter(section_id__in=[s for _m, s in targets]).count()
    total = len(latencies)
    print(f"{shape:6s} editors={editors} saves={total} in {elapsed:.2f} s → {total / elapsed:.0f} saves/s; latency "
          f"p50={percentile(latencies, 50) * 1000:.1f} ms p95={percentile(latencies, 95) * 1000:.1f} ms "
          f"p99={percentile(latencies, 99) * 1000:.1f} ms max={max(latencies) * 1000:.1f} ms; outcomes {dict(outcomes)}; "
          f"revisions {revisions}/{total}; errors {len(errors)}")
    assert not errors, errors[:3]
    assert revisions == total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--saves", type=int, default=20, help="saves per editor")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between an editor's saves")
    parser.add_argument("--shape", choices=["same", "spread", "both"], default="both")
    args = parser.parse_args()
    env = prepare_environment()
    env["DB_POOL_MAX"] = str(args.editors + 5)
    import os

    os.environ["DB_POOL_MAX"] = str(args.editors + 5)
    setup_django()
    for shape in (["same", "spread"] if args.shape == "both" else [args.shape]):
        run(shape, args.editors, args.saves, args.think)


if __name__ == "__main__":
    main()
