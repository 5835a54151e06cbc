"""Report roll-up on PostgreSQL at national scale: 3,356 offices (seed_offices), 1,000,000 cases with their
transitions and 200,000 sessions (with minutes sections), generated in SQL (INSERT … SELECT generate_series).

Measures, for the yearly report (year-2026):
  * the central roll-up (every office) and one province's (the one with the most communes): wall seconds,
    CPU seconds of this process, and the number of queries (the same for every office count);
  * the XLSX of the central roll-up (34 province rows; then every office on request), written write-only
    to a spooled temporary file: seconds, size, tracemalloc peak.

Usage (from the repository root):
  .venv/bin/python bench/report_rollup.py                # generate (about 2-4 min), then measure
  .venv/bin/python bench/report_rollup.py --reuse        # measure on the data already generated
  options: --cases 1000000 --sessions 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import prepare_environment, setup_django  # noqa: E402


def _fill(cursor, table: str, given: dict[str, str], source: str) -> None:
    """INSERT INTO table (given columns + every other NOT NULL column with a neutral value) SELECT … FROM source."""
    cursor.execute("""SELECT column_name, data_type FROM information_schema.columns
                      WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""", [table])
    neutral = {"character varying": "''", "text": "''", "boolean": "false", "integer": "0", "smallint": "0",
               "bigint": "0", "jsonb": "'{}'::jsonb", "timestamp with time zone": "now()", "date": "current_date",
               "uuid": "gen_random_uuid()"}
    columns = dict(given)
    for name, kind in cursor.fetchall():
        if name not in columns and name != "id":
            columns[name] = neutral[kind]
    cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} FROM {source}")


def generate(n_cases: int, n_sessions: int) -> None:
    from django.db import connection, transaction

    from accounts.models import Role, RoleAssignment, User
    from offices.models import Office

    started = time.perf_counter()
    offices = list(Office.objects.values_list("pk", flat=True))
    users = User.objects.bulk_create([User(username=f"bench-leader-{pk}", full_name=f"Lãnh đạo {pk}",
                                           password="!") for pk in offices], batch_size=2000)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, office_id=pk, role=Role.LEADER)
                                        for u, pk in zip(users, offices, strict=True)], batch_size=2000)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_office AS SELECT row_number() OVER (ORDER BY o.id) AS n, o.id, "
                       "ra.user_id FROM offices_office o JOIN accounts_roleassignment ra ON ra.office_id = o.id "
                       "AND ra.role = 'leader'")
        cursor.execute("SELECT count(*) FROM bench_office")
        n_offices = cursor.fetchone()[0]
        # Sessions over 15 Dec 2025 – 14 Dec 2026, kinds and statuses mixed.
        _fill(cursor, "reception_sessions_receptionsession", {
            "public_id": "gen_random_uuid()",
            "kind": "(ARRAY['periodic','regular','regular','adhoc'])[1 + g % 4]",
            "status": "(ARRAY['held','held','held','cancelled','published'])[1 + g % 5]",
            "host_office_id": "o.id", "host_id": "o.user_id", "title": "'Phiên tiếp'",
            "starts_at": "timestamptz '2025-12-15 08:00+07' + ((g * 7919) % 365)::int * interval '1 day'",
            "ends_at": "timestamptz '2025-12-15 11:00+07' + ((g * 7919) % 365)::int * interval '1 day'",
            "registration_closes_at": "timestamptz '2025-12-14 08:00+07'",
            "adhoc_reason": "CASE WHEN g % 4 = 3 THEN 'many_people' ELSE '' END",
            "slot_minutes": "15", "slot_capacity": "1", "sequence": "0",
        }, f"generate_series(1::bigint, {n_sessions}) g JOIN bench_office o ON o.n = 1 + (g * 31) % {n_offices}")
        # Minutes for every second session, two citizen sections each (one a group of 6 every tenth).
        _fill(cursor, "minutes_minutes", {"session_id": "s.id", "state": "'draft'"},
              "reception_sessions_receptionsession s WHERE s.id % 2 = 0")
        _fill(cursor, "minutes_citizensection", {"minutes_id": "m.id", "ordinal": "k",
                                                 "kind": "'complaint'",
                                                 "people_count": "CASE WHEN (m.id + k) % 10 = 0 THEN 6 ELSE 1 END"},
              "minutes_minutes m CROSS JOIN generate_series(1, 2) k")
        # Cases received over two years (so some are carried over), states spread over the workflow.
        states = "(ARRAY['received','classified','accepted','verifying','concluded','guided','transferred'," \
                 "'filed','ended','concluded'])"
        _fill(cursor, "cases_case", {
            "public_id": "gen_random_uuid()", "number": "'B-' || g",
            "kind": "(ARRAY['complaint','complaint','petition','report','denunciation'])[1 + g % 5]",
            "field": "(ARRAY['land','compensation_site_clearance','construction_order','policy_benefits',"
                     "'justice','other'])[1 + g % 6]",
            "summary": "''", "people_count": "CASE WHEN g % 50 = 0 THEN 8 ELSE 1 END", "is_group": "g % 50 = 0",
            "office_id": "o.id", "source": "'paper'", "state": f"{states}[1 + g % 10]",
            "received_on": "date '2025-01-01' + ((g * 7919) % 700)::int",
            "concluded_on": "CASE WHEN g % 10 IN (4, 9) THEN date '2025-01-01' + ((g * 7919) % 700)::int + 40 END",
            "resolution_due": "date '2025-01-01' + ((g * 7919) % 700)::int + 30 + (g % 20)::int",
            "transfer_to_office_id": "CASE WHEN g % 10 = 6 THEN o.id END",
            "transfer_document_number": "CASE WHEN g % 10 = 6 THEN 'CV' ELSE '' END",
            "end_document_number": "CASE WHEN g % 10 = 8 THEN 'TB' ELSE '' END",
            "guided_to_body": "CASE WHEN g % 10 = 5 THEN 'Tòa án' ELSE '' END",
            "filed_until": "CASE WHEN g % 10 = 7 THEN date '2027-01-01' END",
            "is_complex": "false", "is_second_time": "false", "denouncer_secret": "g % 5 = 4",
            # The marks cases.services copies from the history, equal to the transitions written below.
            "closed_at": "CASE WHEN g % 10 IN (4, 9) THEN date '2025-01-01' + ((g * 7919) % 700)::int + 40 + time '15:00' "
                         "WHEN g % 10 IN (5, 6, 7, 8) THEN date '2025-01-01' + ((g * 7919) % 700)::int + 5 + time '09:00' "
                         "END",
            "decided_at": "CASE WHEN g % 10 >= 2 THEN date '2025-01-01' + ((g * 7919) % 700)::int + 5 + time '09:00' END",
            "decision": "CASE WHEN g % 10 >= 2 THEN (ARRAY['accepted','accepted','accepted','guided','transferred',"
                        "'filed','ended','accepted'])[g % 10 - 1] ELSE '' END",
        }, f"generate_series(1::bigint, {n_cases}) g JOIN bench_office o ON o.n = 1 + (g * 17) % {n_offices}")
        # Transitions: received at intake; classified 2 days later; the outcome 5 days later; a conclusion at
        # concluded_on. (Each case in its present state has the history that led there.)
        _fill(cursor, "cases_casetransition", {"case_id": "c.id", "from_state": "''", "to_state": "'received'",
                                               "action": "'create'", "at": "c.received_on + time '09:00'"},
              "cases_case c")
        _fill(cursor, "cases_casetransition", {"case_id": "c.id", "from_state": "'received'",
                                               "to_state": "'classified'", "action": "'classify'",
                                               "at": "c.received_on + 2 + time '09:00'"},
              "cases_case c WHERE c.state <> 'received'")
        _fill(cursor, "cases_casetransition", {
            "case_id": "c.id", "from_state": "'classified'",
            "to_state": "CASE WHEN c.state IN ('verifying','concluded') THEN 'accepted' ELSE c.state END",
            "action": "'decide'", "at": "c.received_on + 5 + time '09:00'"},
            "cases_case c WHERE c.state NOT IN ('received','classified')")
        _fill(cursor, "cases_casetransition", {"case_id": "c.id", "from_state": "'accepted'",
                                               "to_state": "'concluded'", "action": "'conclude'",
                                               "at": "c.concluded_on + time '15:00'"},
              "cases_case c WHERE c.state = 'concluded'")
    with connection.cursor() as cursor:  # outside the transaction: the visibility map for index-only scans
        cursor.execute("VACUUM ANALYZE")
    print(f"generated in {time.perf_counter() - started:.1f} s")


def _server_cpu() -> float:
    """CPU seconds (user + system) used so far by this connection's PostgreSQL backend (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(label, fn, repeat):
    """Best of ``repeat``: wall seconds (the machine is shared: see the load), CPU seconds of this process, and
    CPU seconds of the PostgreSQL backend with parallel workers off (so that the backend does all the work and
    its CPU is the query's whole cost). Then the wall seconds with PostgreSQL's default parallel query (two
    workers per gather; what a deployment runs)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best_wall = best_cpu = best_server = float("inf")
    queries = 0
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
    parallel_wall = float("inf")
    for _ in range(repeat):
        wall0 = time.perf_counter()
        fn()
        parallel_wall = min(parallel_wall, time.perf_counter() - wall0)
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    for _ in range(repeat):
        server0, cpu0, wall0 = _server_cpu(), time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall0)
        best_cpu = min(best_cpu, time.process_time() - cpu0)
        best_server = min(best_server, _server_cpu() - server0)
        queries = len(captured.captured_queries)
    print(f"{label}: wall {parallel_wall:.3f} s with PostgreSQL's parallel query; serial: wall {best_wall:.3f} s, "
          f"CPU: PostgreSQL {best_server:.2f} s + this process {best_cpu:.3f} s (best of {repeat}), {queries} queries, "
          f"load {os.getloadavg()[0]:.1f}")
    return result


def measure(repeat: int) -> None:
    from django.db import connection
    from django.db.models import Count

    from cases.models import Case, CaseTransition
    from offices.models import Office
    from oversight import periods
    from reports import files, indicators, services
    from reports.models import Report
    from sessions.models import ReceptionSession

    print(f"offices {Office.objects.count()}, cases {Case.objects.count()}, transitions "
          f"{CaseTransition.objects.count()}, sessions {ReceptionSession.objects.count()}")
    year = periods.parse("year-2026")
    central = Office.objects.get(parent__isnull=True)
    province = (Office.objects.filter(parent=central).annotate(n=Count("children")).order_by("-n").first())
    import openpyxl  # noqa: F401  (its import, ~1 s, is not part of writing a file)

    result = _measure("central yearly roll-up", lambda: indicators.rollup(central, year), repeat)
    from django.db import reset_queries

    reset_queries()
    indicators.rollup(central, year)
    print("  per query (s): " + ", ".join(q["time"] for q in connection.queries))
    print(f"  total received {result['total']['received']}, carried over {result['total']['carried_over']}, "
          f"open at cut-off {result['total']['open_at_cutoff']}, rows {len(result['rows'])}")
    _measure("central yearly roll-up with every office", lambda: indicators.rollup(central, year, all_offices=True),
             repeat)
    result = _measure(f"province {province.code} ({province.n} communes) yearly roll-up",
                      lambda: indicators.rollup(province, year), repeat)
    print(f"  total received {result['total']['received']}")
    commune = Office.objects.filter(parent=province).first()
    _measure("commune yearly roll-up", lambda: indicators.rollup(commune, year), repeat)

    report = services.draft(central, "periodic", "year-2026")
    report.figures = indicators.rollup(central, year, all_offices=True)
    Report.objects.filter(pk=report.pk).update(figures=report.figures)
    for all_offices in (False, True):
        tracemalloc.start()
        wall0 = time.perf_counter()
        out = files.xlsx(report, all_offices=all_offices)
        wall = time.perf_counter() - wall0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = len(out.read())
        print(f"central XLSX ({'every office' if all_offices else 'province rows'}): {wall:.3f} s, "
              f"{size / 1024:.0f} KiB, tracemalloc peak {peak / 1024 / 1024:.1f} MiB")
    print(f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size {cursor.fetchone()[0]}")
    print(f"load: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    os.environ["BENCH_DATABASE"] = os.environ.get("BENCH_DATABASE", "tcd_bench_reports")
    import common

    common.BENCH_DB = os.environ["BENCH_DATABASE"]
    prepare_environment(fresh=not args.reuse)
    setup_django()
    if not args.reuse:
        generate(args.cases, args.sessions)
    measure(args.repeat)


if __name__ == "__main__":
    main()
