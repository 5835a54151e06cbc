"""Materialising one year of periodic receptions for every office of the directory.

Usage: .venv/bin/python bench/materialize_year.py
Every seeded office (central, 34 provinces, 3,321 communes) gets a leader and a plan at its legal minimum
(communes: the 10th and 25th; provinces and central: the 15th), then ``materialize(days_ahead=365)`` runs
(and once more, to time the idempotent re-run).
"""

from __future__ import annotations

import time
from datetime import time as clock

from common import prepare_environment, setup_django


def main():
    prepare_environment(fresh=True)
    setup_django()
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment, User
    from offices.models import Office, Tier
    from scheduling.models import ReceptionPlan
    from scheduling.services import plans
    from sessions.models import ReceptionSession, SessionSite, SessionSlot

    offices = list(Office.objects.all())
    password = make_password("x-bench-1234")
    leaders = User.objects.bulk_create([User(username=f"lead-{o.code}", full_name=f"Lãnh đạo {o.code}",
                                             password=password) for o in offices])
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, office=o, role=Role.LEADER)
                                        for u, o in zip(leaders, offices, strict=True)])
    today = timezone.localdate()
    ReceptionPlan.objects.bulk_create([ReceptionPlan(
        office=o, leader=u, title=f"Tiếp định kỳ {o.name}", starts_on=today, start_time=clock(8),
        end_time=clock(11, 30), rrule="FREQ=MONTHLY;BYMONTHDAY=10,25" if o.tier == Tier.COMMUNE
        else "FREQ=MONTHLY;BYMONTHDAY=15") for u, o in zip(leaders, offices, strict=True)])
    t0 = time.perf_counter()
    report = plans.materialize(today=today, days_ahead=365)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = plans.materialize(today=today, days_ahead=365)
    second = time.perf_counter() - t0
    print(f"offices/plans: {len(offices)}")
    print(f"first run: {report} in {first:.1f} s ({report.created / first:.0f} sessions/s)")
    print(f"second run (idempotent): {again} in {second:.1f} s")
    print(f"rows: sessions={ReceptionSession.objects.count()} slots={SessionSlot.objects.count()} "
          f"sites={SessionSite.objects.count()}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
