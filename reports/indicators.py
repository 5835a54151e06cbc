"""The indicators of a report (shared/DOMAIN.md "Reports"), computed from the data **as of the cut-off**.

Every figure is an aggregate query grouped by ``office_id`` over the whole subtree of the reporting office,
then rolled up in Python along the offices' paths: the number of queries is constant (it does not grow with
the number of offices) and one pass gives both each direct child's rolled-up row and every office's own row.

Reproducibility: a figure depends only on data's own timestamps that never change afterwards —
``received_on``, ``concluded_on``, ``resolution_due`` and the moments copied from the transition history when
it is written (``Case.closed_at``: entered a final state; ``decided_at``/``decision``: left "classified") —
never on a case's *current* state. "Open at a moment" = received by then and no transition into a final state before
it; so the carried-over count of a period is the open-at-cut-off count of the previous one, recomputed the
same at any later date.

Counts only: no identity, no summary; denunciations are counted like any other kind (docs/reports.md).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from cases.models import Case, CaseField
from cases.workflow import CaseState
from minutes.models import CitizenSection
from offices.models import Office
from oversight.periods import Period
from oversight.services import leaders_queryset
from scheduling.models import MatterKind, Registration, RegistrationStatus
from sessions.models import ReceptionSession, SessionKind, SessionStatus

HELD_STATUSES = (SessionStatus.HELD, SessionStatus.OPEN)
SESSION_KINDS = (SessionKind.REGULAR, SessionKind.PERIODIC, SessionKind.ADHOC)
OUTCOMES = (CaseState.ACCEPTED, CaseState.GUIDED, CaseState.TRANSFERRED, CaseState.FILED, CaseState.ENDED)

# The tables of the report: (slug, title, [(indicator key, column label)]). Files and pages print these.
TABLES: list[tuple[str, object, list[tuple[str, object]]]] = [
    ("tiep-cong-dan", _("Kết quả tiếp công dân"), [
        ("sessions_regular", _("Buổi tiếp thường xuyên")),
        ("sessions_periodic", _("Buổi tiếp định kỳ")),
        ("sessions_adhoc", _("Buổi tiếp đột xuất")),
        ("receptions", _("Lượt tiếp")),
        ("receptions_regular", _("Lượt tiếp thường xuyên")),
        ("receptions_periodic", _("Lượt tiếp định kỳ, đột xuất")),
        ("people", _("Số người được tiếp")),
        ("group_delegations", _("Đoàn đông người")),
        ("group_people", _("Số người trong đoàn đông người")),
    ]),
    ("lanh-dao-tiep", _("Tiếp công dân định kỳ của người đứng đầu"), [
        ("head_days_required", _("Số ngày phải tiếp")),
        ("head_days_in_person", _("Số ngày trực tiếp tiếp")),
        ("head_days_delegated", _("Số ngày ủy quyền tiếp")),
        ("heads_below_minimum", _("Số người chưa đạt mức tối thiểu")),
    ]),
    ("tiep-nhan-don", _("Tiếp nhận, phân loại đơn"), [
        ("carried_over", _("Đơn kỳ trước chuyển sang")),
        ("received", _("Đơn tiếp nhận trong kỳ")),
        ("to_handle", _("Tổng số đơn phải xử lý")),
        ("eligible", _("Đơn đủ điều kiện xử lý")),
        *[(f"kind_{k}", label) for k, label in MatterKind.choices],
    ]),
    ("linh-vuc", _("Đơn tiếp nhận theo lĩnh vực"), [(f"field_{k}", label) for k, label in CaseField.choices]),
    ("ket-qua-xu-ly", _("Kết quả xử lý, giải quyết"), [
        ("outcome_accepted", _("Thụ lý giải quyết")),
        ("outcome_guided", _("Hướng dẫn, trả lại đơn")),
        ("outcome_transferred", _("Chuyển đơn")),
        ("outcome_filed", _("Lưu đơn")),
        ("outcome_ended", _("Chấm dứt thụ lý")),
        ("resolved_on_time", _("Giải quyết đúng hạn")),
        ("resolved_late", _("Giải quyết quá hạn")),
        ("open_at_cutoff", _("Còn đang giải quyết tại ngày chốt số liệu")),
    ]),
]
KEYS: list[str] = [key for _slug, _title, columns in TABLES for key, _label in columns]


def empty() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


def window(period: Period) -> tuple[datetime, datetime]:
    """[start, stop) of the period as aware datetimes (local days 15th 00:00 → 15th 00:00)."""
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(period.start, time.min), tz),
            timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), tz))


def subtree(root: Office):
    """``within(office_lookup)`` → the filter "that office is in ``root``'s subtree". For the root of the
    whole tree (the central office, the only root) it is no filter at all: the central roll-up scans the
    million cases without joining each to its office (a quarter of the scan's cost). One query whatever
    the office, so the query count stays the same for every office."""
    whole_tree = not Office.objects.exclude(path__startswith=root.path).exists()

    def within(office_lookup: str) -> Q:
        return Q() if whole_tree else Q(**{f"{office_lookup}__path__startswith": root.path})

    return within


def per_office(root: Office, period: Period) -> dict[int, dict[str, int]]:
    """``{office_id: figures}`` of every office of ``root``'s subtree (its OWN rows, not rolled up).

    On PostgreSQL the queries run with JIT compilation off: for these one-pass aggregate scans LLVM's
    compile time (~0.17 s for the case scan) is more than it saves (measured, docs/benchmarks.md)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # undone by the rollback if anything below fails
            figures = _per_office(root, period)
            cursor.execute("SET LOCAL jit TO DEFAULT")  # not for the rest of a caller's transaction
            return figures
    return _per_office(root, period)


def _per_office(root: Office, period: Period) -> dict[int, dict[str, int]]:
    start, stop = window(period)
    within = subtree(root)
    figures: dict[int, dict[str, int]] = {}

    def put(office_id, values):
        row = figures.setdefault(office_id, empty())
        for key, value in values.items():
            row[key] += value or 0

    # Sessions held (or open) in the period, by kind.
    rows = (ReceptionSession.objects
            .filter(within("host_office"), status__in=HELD_STATUSES, starts_at__gte=start, starts_at__lt=stop)
            .order_by().values("host_office_id")
            .annotate(**{f"sessions_{k}": Count("pk", filter=Q(kind=k)) for k in SESSION_KINDS}))
    for row in rows:
        put(row.pop("host_office_id"), row)

    # Receptions (lượt) and people: minutes sections, plus attended registrations without a section.
    group_min = settings.GROUP_CASE_MIN_PEOPLE

    def receptions(queryset, office_field, kind_field, people_field="people_count"):
        return (queryset.order_by().values(office_field).annotate(
            receptions=Count("pk"),
            receptions_regular=Count("pk", filter=Q(**{kind_field: SessionKind.REGULAR})),
            receptions_periodic=Count("pk", filter=~Q(**{kind_field: SessionKind.REGULAR})),
            people=Coalesce(Sum(people_field), 0),
            group_delegations=Count("pk", filter=Q(**{f"{people_field}__gte": group_min})),
            group_people=Coalesce(Sum(people_field, filter=Q(**{f"{people_field}__gte": group_min})), 0)))

    sections = CitizenSection.objects.filter(within("minutes__session__host_office"),
                                             minutes__session__starts_at__gte=start,
                                             minutes__session__starts_at__lt=stop)
    for row in receptions(sections, "minutes__session__host_office_id", "minutes__session__kind"):
        put(row.pop("minutes__session__host_office_id"), row)
    attended = (Registration.objects
                .filter(within("session__host_office"), status=RegistrationStatus.ATTENDED,
                        session__starts_at__gte=start, session__starts_at__lt=stop)
                .exclude(Exists(CitizenSection.objects.filter(registration_id=OuterRef("pk")))))
    for row in receptions(attended, "session__host_office_id", "session__kind"):
        put(row.pop("session__host_office_id"), row)

    # Heads' periodic reception days: required (legal minimum × months) and held in person, per leader.
    rows = (leaders_queryset(root, period).order_by().values("office_id")
            .annotate(head_days_required=Coalesce(Sum("required"), 0), head_days_in_person=Coalesce(Sum("held"), 0),
                      heads_below_minimum=Count("pk", filter=Q(held__lt=F("required")))))
    for row in rows:
        put(row.pop("office_id"), row)
    # Delegated: held periodic sessions whose host holds no leader role at the host office (distinct days).
    is_leader_there = Exists(RoleAssignment.objects.filter(user_id=OuterRef("host_id"), role=Role.LEADER,
                                                           office_id=OuterRef("host_office_id")))
    rows = (ReceptionSession.objects
            .filter(within("host_office"), kind=SessionKind.PERIODIC, status__in=HELD_STATUSES,
                    starts_at__gte=start, starts_at__lt=stop)
            .exclude(is_leader_there).order_by().values("host_office_id")
            .annotate(head_days_delegated=Count(TruncDate("starts_at"), distinct=True)))
    for row in rows:
        put(row.pop("host_office_id"), row)

    # Cases: one scan of the subtree's cases received by the cut-off.
    for office_id, values in _case_rows(within, period, start, stop):
        put(office_id, values)

    for row in figures.values():
        derive(row)
    return figures


def _case_rows(within, period: Period, start: datetime, stop: datetime):
    """``(office_id, {key: n})`` of the case figures: ONE aggregate scan of the subtree's cases received by
    the cut-off, reading the moments copied from the transition history (``Case.closed_at``,
    ``decided_at``, ``decision``: set once when the transition is written, never changed after).

    * received: ``received_on`` in the period, by kind and field;
    * carried over: received before the period and not closed (entered a final state) before its start;
      open at the cut-off: received by the cut-off and not closed before the next midnight;
    * outcomes: the decision (the move out of ``classified``) taken within the period;
    * resolved on time / late: ``concluded_on`` in the period, against ``resolution_due``."""
    in_period = Q(received_on__gte=period.start)
    decided = Q(decided_at__gte=start, decided_at__lt=stop)
    concluded = Q(concluded_on__gte=period.start, concluded_on__lte=period.end)
    aggregates = {"received": Count("pk", filter=in_period)}
    aggregates |= {f"kind_{k}": Count("pk", filter=in_period & Q(kind=k)) for k in MatterKind.values}
    aggregates |= {f"field_{k}": Count("pk", filter=in_period & Q(field=k)) for k in CaseField.values}
    aggregates["carried_over"] = Count("pk", filter=Q(received_on__lt=period.start)
                                       & (Q(closed_at__isnull=True) | Q(closed_at__gte=start)))
    aggregates["open_at_cutoff"] = Count("pk", filter=Q(closed_at__isnull=True) | Q(closed_at__gte=stop))
    aggregates |= {f"outcome_{s}": Count("pk", filter=decided & Q(decision=s)) for s in OUTCOMES}
    aggregates["resolved_on_time"] = Count("pk", filter=concluded & (Q(resolution_due__isnull=True)
                                                                    | Q(concluded_on__lte=F("resolution_due"))))
    aggregates["resolved_late"] = Count("pk", filter=concluded & Q(concluded_on__gt=F("resolution_due")))
    # A case received before the period and closed before it counts in no figure (every filter above asks
    # for one of these): leaving it out of the aggregation spares its ~35 filters (a quarter of the cases
    # of a national year).
    counts_somewhere = (in_period | Q(closed_at__isnull=True) | Q(closed_at__gte=start) | Q(decided_at__gte=start)
                        | Q(concluded_on__gte=period.start))
    rows = (Case.objects.filter(within("office"), counts_somewhere, received_on__lte=period.end)
            .order_by().values("office_id").annotate(**aggregates))
    for row in rows:
        yield row.pop("office_id"), row


def derive(row: dict[str, int]) -> None:
    """Figures computed from the others (so that sums of parts stay sums)."""
    row["to_handle"] = row["carried_over"] + row["received"]
    row["eligible"] = (row["outcome_accepted"] + row["outcome_guided"] + row["outcome_transferred"]
                       + row["outcome_ended"])


def add(target: dict[str, int], source: dict[str, int]) -> None:
    for key in KEYS:
        target[key] += source.get(key, 0)


def rollup(root: Office, period: Period, *, all_offices: bool = False) -> dict:
    """The report figures of ``root``: its own row, one row per direct child rolled up over the child's
    subtree, and the total (= own + children). ``all_offices`` adds every office of the subtree with its own
    figures (the central roll-up's communes "on request")."""
    offices = list(Office.objects.filter(path__startswith=root.path).order_by("path")
                   .values("id", "code", "name", "tier", "path", "parent_id"))
    own = per_office(root, period)
    by_path = {o["path"]: o for o in offices}
    children = [o for o in offices if o["parent_id"] == root.pk]
    child_rows = {c["id"]: empty() for c in children}
    child_of_path = {}
    for office in offices:
        if office["id"] == root.pk:
            continue
        parts = office["path"][len(root.path):].split("/")
        child_of_path[office["id"]] = by_path[root.path + parts[0] + "/"]["id"]
    for office_id, values in own.items():
        if office_id in child_of_path:
            add(child_rows[child_of_path[office_id]], values)
    own_row = own.get(root.pk, empty())
    total = empty()
    add(total, own_row)
    for values in child_rows.values():
        add(total, values)
    result = {
        "office": {"code": root.code, "name": root.name, "tier": root.tier},
        "period": period.as_dict(),
        "keys": KEYS,
        "own": own_row,
        "rows": [{"code": c["code"], "name": c["name"], "tier": c["tier"], "figures": child_rows[c["id"]]}
                 for c in children],
        "total": total,
    }
    if all_offices:
        result["offices"] = [{"code": o["code"], "name": o["name"], "tier": o["tier"], "parent": None,
                              "figures": own.get(o["id"], empty())} for o in offices]
    return result
