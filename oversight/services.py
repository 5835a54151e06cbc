"""Oversight figures (số liệu giám sát) of an office and every office beneath it, for a report period.

Counts only: no identity, no summary, no denunciation content ever leaves this module. Every counter is an
aggregate query (``Count``/``Sum`` with ``filter=``) grouped by a *bucket*: the direct child of the office
under which a row falls (a ``CASE WHEN path LIKE 'child/%'`` expression), or ``""`` for the office's own
rows. One query per source (sessions, leaders, minutes sections, registrations, cases) gives the
per-child breakdown and, summed, the totals; docs/oversight.md lists what is counted and how.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, RoleAssignment
from cases.models import Case
from cases.workflow import OPEN_STATES, CaseState
from core.errors import DomainError
from minutes.models import CitizenSection
from offices.models import Office
from oversight.periods import Period, required_days
from scheduling.models import MatterKind, Registration, RegistrationStatus
from sessions.models import ReceptionSession, SessionKind, SessionStatus

SELF = ""  # the bucket of the office's own rows
HELD_STATUSES = (SessionStatus.HELD, SessionStatus.OPEN)


def _bucket(children: list[Office], path_field: str) -> SqlCase:
    whens = [When(**{f"{path_field}__startswith": child.path}, then=Value(child.code)) for child in children]
    if not whens:
        return Value(SELF, output_field=CharField())
    return SqlCase(*whens, default=Value(SELF), output_field=CharField())


def _window(period: Period) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    stop = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), tz)
    return start, stop


def _rows(queryset, children, path_field, **aggregates) -> dict[str, dict]:
    """``{bucket: {name: value}}`` of one grouped query."""
    rows = (queryset.annotate(bucket=_bucket(children, path_field)).order_by().values("bucket")
            .annotate(**aggregates))
    return {row.pop("bucket"): row for row in rows}


def per_month_minimum_expression() -> SqlCase:
    """The legal minimum per month of a leader's office (scheduling.services.plans.minimum_days_per_month,
    as an SQL expression over the office's kind and tier)."""
    by_kind = getattr(settings, "RECEPTION_MIN_DAYS_PER_MONTH_BY_KIND", {})
    by_tier = settings.RECEPTION_MIN_DAYS_PER_MONTH
    whens = [When(office__kind=kind, then=Value(n)) for kind, n in by_kind.items()]
    whens += [When(office__tier=tier, then=Value(n)) for tier, n in by_tier.items()]
    return SqlCase(*whens, default=Value(0), output_field=IntegerField())


def _required_expression(period: Period) -> SqlCase:
    by_kind = getattr(settings, "RECEPTION_MIN_DAYS_PER_MONTH_BY_KIND", {})
    by_tier = settings.RECEPTION_MIN_DAYS_PER_MONTH
    months = period.months
    whens = [When(office__kind=kind, then=Value(required_days(n, months))) for kind, n in by_kind.items()]
    whens += [When(office__tier=tier, then=Value(required_days(n, months))) for tier, n in by_tier.items()]
    return SqlCase(*whens, default=Value(0), output_field=IntegerField())


def leaders_queryset(office: Office, period: Period):
    """Leaders (role ``leader``) of the office and beneath, each with ``required`` and ``held`` days:
    held = distinct local days with a HELD or OPEN periodic session hosted by the leader at that office."""
    start, stop = _window(period)
    held = (ReceptionSession.objects
            .filter(kind=SessionKind.PERIODIC, status__in=HELD_STATUSES, host_id=OuterRef("user_id"),
                    host_office_id=OuterRef("office_id"), starts_at__gte=start, starts_at__lt=stop)
            .order_by().values("host_id")
            .annotate(days=Count(TruncDate("starts_at"), distinct=True)).values("days"))
    return (RoleAssignment.objects
            .filter(role=Role.LEADER, office__path__startswith=office.path, user__is_active=True)
            .annotate(per_month=per_month_minimum_expression(), required=_required_expression(period),
                      held=Coalesce(Subquery(held, output_field=IntegerField()), 0)))


def empty_counters() -> dict:
    return {
        "sessions": {"total": 0, "by_kind": {k: 0 for k in SessionKind.values},
                     "by_status": {s: 0 for s in SessionStatus.values}},
        "reception_days": {"leaders": 0, "required": 0, "held": 0, "below_minimum": 0},
        "receptions": {"count": 0, "people": 0},
        "cases": {"received": 0, "people": 0, "by_kind": {k: 0 for k in MatterKind.values},
                  "by_state": {s: 0 for s in CaseState.values}, "group": 0, "repeated": 0,
                  "transferred_in": 0, "transferred_out": 0, "repeated_transfers": 0},
        "current": {"open": 0, "overdue": 0, "overdue_group": 0},
    }


def _add(target: dict, source: dict) -> None:
    for key, value in source.items():
        if isinstance(value, dict):
            _add(target[key], value)
        else:
            target[key] += value


def counters(office: Office, children: list[Office], period: Period, today: date) -> dict[str, dict]:
    """``{bucket: counters}`` for the office's own rows (``SELF``) and each child's subtree."""
    start, stop = _window(period)
    buckets = {SELF: empty_counters(), **{child.code: empty_counters() for child in children}}

    def put(bucket, section, values):
        if bucket in buckets:
            _add(buckets[bucket][section], values)

    # Sessions by kind and status.
    aggregates = {"total": Count("pk")}
    aggregates |= {f"k_{k}": Count("pk", filter=Q(kind=k)) for k in SessionKind.values}
    aggregates |= {f"s_{s}": Count("pk", filter=Q(status=s)) for s in SessionStatus.values}
    sessions = ReceptionSession.objects.filter(host_office__path__startswith=office.path, starts_at__gte=start,
                                               starts_at__lt=stop)
    for bucket, row in _rows(sessions, children, "host_office__path", **aggregates).items():
        put(bucket, "sessions", {"total": row["total"],
                                 "by_kind": {k: row[f"k_{k}"] for k in SessionKind.values},
                                 "by_status": {s: row[f"s_{s}"] for s in SessionStatus.values}})

    # Reception days held versus required, per leader, summed.
    for bucket, row in _rows(leaders_queryset(office, period), children, "office__path",
                             n_leaders=Count("pk"), n_below=Count("pk", filter=Q(held__lt=F("required"))),
                             sum_required=Coalesce(Sum("required"), 0), sum_held=Coalesce(Sum("held"), 0)).items():
        put(bucket, "reception_days", {"leaders": row["n_leaders"], "required": row["sum_required"],
                                       "held": row["sum_held"], "below_minimum": row["n_below"]})

    # Receptions (lượt tiếp) and people: citizen sections of the minutes, plus attended registrations that
    # have no section (a session without minutes still counts its attendance).
    sections = CitizenSection.objects.filter(minutes__session__host_office__path__startswith=office.path,
                                             minutes__session__starts_at__gte=start,
                                             minutes__session__starts_at__lt=stop)
    for bucket, row in _rows(sections, children, "minutes__session__host_office__path",
                             count=Count("pk"), people=Coalesce(Sum("people_count"), 0)).items():
        put(bucket, "receptions", row)
    attended = (Registration.objects
                .filter(status=RegistrationStatus.ATTENDED, session__host_office__path__startswith=office.path,
                        session__starts_at__gte=start, session__starts_at__lt=stop)
                .exclude(pk__in=CitizenSection.objects.filter(registration__isnull=False).values("registration_id")))
    for bucket, row in _rows(attended, children, "session__host_office__path",
                             count=Count("pk"), people=Coalesce(Sum("people_count"), 0)).items():
        put(bucket, "receptions", row)

    # Cases received in the period, by kind and by their state now.
    aggregates = {"received": Count("pk"), "people": Coalesce(Sum("people_count"), 0),
                  "group": Count("pk", filter=Q(is_group=True)),
                  "repeated": Count("pk", filter=Q(previous_case__isnull=False)),
                  "transferred_in": Count("pk", filter=Q(transferred_from__isnull=False)),
                  "transferred_out": Count("pk", filter=Q(state=CaseState.TRANSFERRED)),
                  # received after two transfers or more (cases/duplicates.py: "repeated transfer")
                  "repeated_transfers": Count("pk", filter=Q(transferred_from__transferred_from__isnull=False))}
    aggregates |= {f"k_{k}": Count("pk", filter=Q(kind=k)) for k in MatterKind.values}
    aggregates |= {f"s_{s}": Count("pk", filter=Q(state=s)) for s in CaseState.values}
    cases = Case.objects.filter(office__path__startswith=office.path, received_on__gte=period.start,
                                received_on__lte=period.end)
    for bucket, row in _rows(cases, children, "office__path", **aggregates).items():
        by_kind = {k: row.pop(f"k_{k}") for k in MatterKind.values}
        by_state = {s: row.pop(f"s_{s}") for s in CaseState.values}
        put(bucket, "cases", {**row, "by_kind": by_kind, "by_state": by_state})

    # Now (whatever the period): open cases, and those past a due date (Case.objects.overdue, the same
    # rule as the case inbox's ?overdue=1).
    overdue = Q(pk__in=Case.objects.overdue(today).filter(office__path__startswith=office.path).values("pk"))
    current = Case.objects.filter(office__path__startswith=office.path, state__in=OPEN_STATES)
    for bucket, row in _rows(current, children, "office__path", open=Count("pk"),
                             overdue=Count("pk", filter=overdue),
                             overdue_group=Count("pk", filter=overdue & Q(is_group=True))).items():
        put(bucket, "current", row)
    return buckets


def case_matrix(office: Office, period: Period) -> dict[str, dict[str, int]]:
    """``{kind: {state: n}}`` of the cases received in the period (the whole subtree)."""
    matrix = {k: {s: 0 for s in CaseState.values} for k in MatterKind.values}
    rows = (Case.objects.filter(office__path__startswith=office.path, received_on__gte=period.start,
                                received_on__lte=period.end)
            .order_by().values("kind", "state").annotate(n=Count("pk")))
    for row in rows:
        matrix[row["kind"]][row["state"]] = row["n"]
    return matrix


def leader_rows(office: Office, children: list[Office], period: Period) -> list[dict]:
    """One row per leader of the office itself and of its direct children (deeper offices: drill down)."""
    rows = (leaders_queryset(office, period)
            .filter(office__in=[office, *children])
            .order_by("office__path", "user__full_name", "user_id")
            .values("user_id", "user__full_name", "office__code", "office__name", "per_month", "required", "held"))
    return [{"name": r["user__full_name"], "office": r["office__code"], "office_name": r["office__name"],
             "per_month": r["per_month"], "required": r["required"], "held": r["held"],
             "below_minimum": r["held"] < r["required"]} for r in rows]


def office_stats(office: Office, period: Period, *, today: date | None = None) -> dict:
    """Everything the dashboard shows for ``office`` over ``period``: totals over the subtree, the office's
    own figures, one entry per child office (drill-down), leaders, and the case matrix."""
    today = today or timezone.localdate()
    children = list(Office.objects.filter(parent=office).order_by("path"))
    buckets = counters(office, children, period, today)
    totals = empty_counters()
    for values in buckets.values():
        _add(totals, values)
    return {
        "office": {"code": office.code, "name": office.name, "tier": office.tier},
        "period": period.as_dict(),
        "today": today.isoformat(),
        "totals": totals,
        "own": buckets[SELF],
        "children": [{"code": c.code, "name": c.name, "tier": c.tier, "is_active": c.is_active,
                      "counters": buckets[c.code]} for c in children],
        "leaders": leader_rows(office, children, period),
        "case_matrix": case_matrix(office, period),
    }


# --- Resolving a request (API and page share it) ---------------------------------------------------------


class OversightError(DomainError):
    """A refused oversight request (unknown office, not allowed, bad period)."""


MAX_RANGE_DAYS = 3 * 366


def resolve(user, *, office_code: str = "", period_key: str = "", start: date | None = None,
            end: date | None = None, today: date | None = None) -> tuple[Office, Period]:
    """The office and the period a request asks for. Without an office: the user's highest overseen
    office; without a period: the current report period (``from``/``to`` give a custom one)."""
    from oversight import access, periods

    today = today or timezone.localdate()
    if office_code:
        office = Office.objects.filter(code=office_code).first()
        if office is None:
            raise OversightError(_("Không tìm thấy cơ quan."), "not_found", "office")
        if not access.may_oversee(user, office):
            raise OversightError(_("Bạn không có quyền xem số liệu giám sát của cơ quan này."), "forbidden")
    else:
        office = access.home_office(user)
        if office is None:
            raise OversightError(_("Bạn không có quyền xem số liệu giám sát của cơ quan nào."), "forbidden")
    if start is not None or end is not None:
        if start is None or end is None:
            raise OversightError(_("Cần cả ngày bắt đầu và ngày kết thúc."), "required",
                                 "from" if start is None else "to")
        if end < start:
            raise OversightError(_("Ngày kết thúc phải sau ngày bắt đầu."), "invalid", "to")
        if (end - start).days > MAX_RANGE_DAYS:
            raise OversightError(_("Khoảng thời gian tối đa là 3 năm."), "invalid", "to")
        return office, Period("", start, end)
    if period_key:
        found = periods.parse(period_key)
        if found is None:
            raise OversightError(_("Kỳ báo cáo không hợp lệ."), "invalid", "period")
        return office, found
    return office, periods.current(today)


def breadcrumb(office: Office) -> list[Office]:
    """The chain of offices from the root down to ``office`` (central → province → commune)."""
    codes = [code for code in office.path.split("/") if code]
    by_code = {o.code: o for o in Office.objects.filter(code__in=codes)}
    return [by_code[code] for code in codes if code in by_code]


# --- Public results of complaint resolution (no login) ---------------------------------------------------


def public_results(office: Office | None = None):
    """Concluded complaints (never a denunciation, petition or report), newest conclusion first, as
    dictionaries of public fields only: office, number, field, received and concluded dates, and the
    number of the conclusion document (the last transition's document number)."""
    from cases.models import CaseTransition

    decision = (CaseTransition.objects.filter(case_id=OuterRef("pk")).exclude(document_number="")
                .order_by("-at", "-pk").values("document_number")[:1])
    queryset = Case.objects.filter(kind=MatterKind.COMPLAINT, state=CaseState.CONCLUDED)
    if office is not None:
        queryset = queryset.filter(office__path__startswith=office.path)
    return (queryset.annotate(decision_number=Coalesce(Subquery(decision, output_field=CharField()),
                                                       F("conclusion_document_number")))
            .order_by("-concluded_on", "-pk")
            .values("number", "field", "received_on", "concluded_on", "decision_number", "office__code",
                    "office__name"))
