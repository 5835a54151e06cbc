"""Reception plans: the recurrence rule, holiday moves, the legal minimum, and materialising sessions."""

from __future__ import annotations

import calendar as month_calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.permissions import Action
from audit.services import record
from core.errors import DomainError
from offices.models import Office
from scheduling.models import HolidayRule, PlanSite, ReceptionPlan
from sessions import services as session_services
from sessions.models import (
    LIVE_STATUSES,
    ReceptionSession,
    SessionEvent,
    SessionKind,
    SessionSite,
    SessionSlot,
    SessionStatus,
)
from workdays import calendar as workdays


class PlanError(DomainError):
    pass


ALLOWED_FREQUENCIES = {DAILY, WEEKLY, MONTHLY, YEARLY}
MAX_OCCURRENCES_PER_YEAR = 366


def parse_rrule(text: str, starts_on: date):
    """Parse an RFC 5545 RRULE (without the ``RRULE:`` prefix or with it). Refuses sub-daily frequencies,
    COUNT/UNTIL conflicts and anything dateutil cannot read, with a message naming the field."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > 500 or "\n" in text or "DTSTART" in text.upper():
        raise PlanError(_("Quy tắc lặp không hợp lệ."), "invalid_rrule", "rrule")
    try:
        rule = rrulestr(f"RRULE:{text}", dtstart=datetime.combine(starts_on, time()), forceset=False)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PlanError(_("Quy tắc lặp không hợp lệ: %(e)s") % {"e": str(exc)[:120]}, "invalid_rrule", "rrule") from exc
    if getattr(rule, "_freq", None) not in ALLOWED_FREQUENCIES:
        raise PlanError(_("Quy tắc lặp phải theo ngày, tuần, tháng hoặc năm."), "invalid_rrule", "rrule")
    first = datetime.combine(starts_on, time())
    if not rule.between(first, first + timedelta(days=800), inc=True, count=1):
        # e.g. BYMONTHDAY=99, which dateutil accepts but which never happens.
        raise PlanError(_("Quy tắc lặp không cho ngày nào trong hai năm tới."), "invalid_rrule", "rrule")
    return rule


def occurrence_dates(plan: ReceptionPlan, start: date, end: date) -> list[tuple[date, date]]:
    """``(occurrence_date, held_on)`` pairs with ``start <= occurrence_date <= end``: the rule's dates, and the
    day each is held after the plan's holiday rule. A moved occurrence that lands on another's day is
    dropped (one reception a day)."""
    rule = parse_rrule(plan.rrule, plan.starts_on)
    start = max(start, plan.starts_on)
    if plan.ends_on:
        end = min(end, plan.ends_on)
    if end < start:
        return []
    cal = workdays.get_calendar()
    pairs, taken = [], set()
    for dt in rule.between(datetime.combine(start, time()), datetime.combine(end, time(23, 59)), inc=True):
        day = dt.date()
        held = day
        if not cal.is_working_day(day):
            if plan.holiday_rule == HolidayRule.SKIP:
                continue
            held = cal.on_or_after(day) if plan.holiday_rule == HolidayRule.NEXT_WORKING_DAY else cal.on_or_before(day)
        if held in taken:
            continue
        taken.add(held)
        pairs.append((day, held))
        if len(pairs) > MAX_OCCURRENCES_PER_YEAR * 3:
            break
    return pairs


def minimum_days_per_month(office: Office) -> int:
    by_kind = settings.RECEPTION_MIN_DAYS_PER_MONTH_BY_KIND
    return by_kind.get(office.kind, settings.RECEPTION_MIN_DAYS_PER_MONTH[office.tier])


@dataclass(frozen=True)
class PlanWarning:
    code: str
    message: str
    months: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "months": list(self.months)}


def legal_minimum_warnings(plan: ReceptionPlan, today: date | None = None) -> list[PlanWarning]:
    """Months of the rolling period (LEGAL_MINIMUM_ROLLING_MONTHS from this month) in which the plan gives
    fewer reception days than the legal minimum for the office (DOMAIN.md: commune 2 a month, province and
    central 1). Months the plan does not fully cover (it starts or ends inside them) are not judged."""
    today = today or timezone.localdate()
    minimum = minimum_days_per_month(plan.office)
    first = today.replace(day=1)
    months = []
    year, month = first.year, first.month
    for _i in range(settings.LEGAL_MINIMUM_ROLLING_MONTHS):
        last_day = date(year, month, month_calendar.monthrange(year, month)[1])
        covered = plan.starts_on <= date(year, month, 1) and (plan.ends_on is None or plan.ends_on >= last_day)
        if covered:
            months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months:
        return []
    end = date(months[-1][0], months[-1][1], month_calendar.monthrange(*months[-1])[1])
    held = Counter((d.year, d.month) for _o, d in occurrence_dates(plan, date(*months[0], 1), end + timedelta(days=7)))
    short = tuple(f"{y:04d}-{m:02d}" for y, m in months if held[(y, m)] < minimum)
    if not short:
        return []
    return [PlanWarning(
        "below_legal_minimum",
        _("Lịch tiếp dưới mức tối thiểu %(n)s ngày/tháng theo quy định cho cấp này (%(months)s).")
        % {"n": minimum, "months": ", ".join(short[:6]) + ("…" if len(short) > 6 else "")},
        short,
    )]


def _validate(office: Office, leader, rrule: str, starts_on: date, ends_on: date | None, start_time: time,
              end_time: time, slot_minutes: int, slot_capacity: int, holiday_rule: str) -> None:
    parse_rrule(rrule, starts_on)
    if ends_on is not None and ends_on < starts_on:
        raise PlanError(_("Ngày kết thúc phải sau ngày bắt đầu."), "invalid_range", "ends_on")
    if end_time <= start_time:
        raise PlanError(_("Giờ kết thúc phải sau giờ bắt đầu."), "invalid_range", "end_time")
    if holiday_rule not in HolidayRule.values:
        raise PlanError(_("Quy tắc ngày nghỉ không hợp lệ."), "invalid_choice", "holiday_rule")
    day = date(2000, 1, 1)
    session_services.validate_slots(slot_minutes, slot_capacity, datetime.combine(day, start_time),
                                    datetime.combine(day, end_time))
    session_services.validate_host(leader, office, field="leader")


def create_plan(*, by, office: Office, leader, title: str, rrule: str, starts_on: date, start_time: time,
                end_time: time, ends_on: date | None = None, holiday_rule: str = HolidayRule.NEXT_WORKING_DAY,
                tentative_content: str = "", slot_minutes: int | None = None, slot_capacity: int | None = None,
                sites: list[tuple[Office, object]] = ()) -> ReceptionPlan:
    if by is not None and not permissions.can(by, Action.SESSION_MANAGE, office):
        raise PlanError(_("Bạn không có quyền lập lịch tiếp cho cơ quan này."), "forbidden", "office")
    if not (title or "").strip():
        raise PlanError(_("Nhập tiêu đề."), "required", "title")
    slot_minutes = settings.SLOT_MINUTES_DEFAULT if slot_minutes is None else slot_minutes
    slot_capacity = settings.SLOT_CAPACITY_DEFAULT if slot_capacity is None else slot_capacity
    _validate(office, leader, rrule, starts_on, ends_on, start_time, end_time, slot_minutes, slot_capacity,
              holiday_rule)
    for site_office, responsible in sites:
        session_services.validate_responsible(responsible, site_office)
    with transaction.atomic():
        plan = ReceptionPlan.objects.create(
            office=office, leader=leader, title=title.strip(), rrule=rrule.strip().removeprefix("RRULE:"),
            starts_on=starts_on, ends_on=ends_on, start_time=start_time, end_time=end_time,
            holiday_rule=holiday_rule, tentative_content=tentative_content, slot_minutes=slot_minutes,
            slot_capacity=slot_capacity, created_by=by,
        )
        PlanSite.objects.bulk_create([PlanSite(plan=plan, office=o, responsible=r) for o, r in sites
                                      if o.pk != office.pk])
        record(actor=by, action="plans.create", obj=plan, details={"office": office.code, "leader": leader.pk,
                                                                    "rrule": plan.rrule})
    return plan


def update_plan(plan: ReceptionPlan, by, *, title: str | None = None, tentative_content: str | None = None) -> ReceptionPlan:
    """Edit a plan's wording. The rhythm (rule, times, sites) is not edited in place: deactivate the plan
    and create a new one, so sessions already published keep the rule they were made from."""
    if by is not None and not permissions.can(by, Action.SESSION_MANAGE, plan.office):
        raise PlanError(_("Bạn không có quyền sửa lịch tiếp này."), "forbidden", "office")
    changes = {}
    if title is not None:
        if not title.strip():
            raise PlanError(_("Nhập tiêu đề."), "required", "title")
        changes["title"] = title.strip()
    if tentative_content is not None:
        changes["tentative_content"] = tentative_content
    if changes:
        with transaction.atomic():
            ReceptionPlan.objects.filter(pk=plan.pk).update(**changes, updated_at=timezone.now())
            record(actor=by, action="plans.update", obj=plan, details={"fields": sorted(changes)})
        for key, value in changes.items():
            setattr(plan, key, value)
    return plan


def deactivate_plan(plan: ReceptionPlan, by) -> None:
    """Stop materialising; sessions already created stay (cancel them one by one, with a reason)."""
    if by is not None and not permissions.can(by, Action.SESSION_MANAGE, plan.office):
        raise PlanError(_("Bạn không có quyền sửa lịch tiếp này."), "forbidden", "office")
    with transaction.atomic():
        ReceptionPlan.objects.filter(pk=plan.pk).update(is_active=False)
        record(actor=by, action="plans.deactivate", obj=plan)


@dataclass
class MaterializeReport:
    plans: int = 0
    created: int = 0
    existing: int = 0
    # Occurrences not created because the plan's leader already hosts a live session at that time:
    # (plan pk, occurrence date, message naming the clash).
    conflicts: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.plans} plans: {self.created} sessions created, {self.existing} already there"
        return text + (f", {len(self.conflicts)} skipped (leader busy)" if self.conflicts else "")


def _busy_map(leader_ids, start: datetime, end: datetime) -> dict[int, list]:
    """Each leader's live sessions between ``start`` and ``end``: [(starts_at, ends_at, title, office)]."""
    busy: dict[int, list] = {}
    rows = (ReceptionSession.objects
            .filter(host_id__in=set(leader_ids), status__in=LIVE_STATUSES, starts_at__lt=end, ends_at__gt=start)
            .values_list("host_id", "starts_at", "ends_at", "title", "host_office__name"))
    for host_id, a, b, title, office in rows:
        busy.setdefault(host_id, []).append((a, b, title, office))
    return busy


def _clash(busy: dict[int, list], plan: ReceptionPlan, starts_at: datetime, ends_at: datetime) -> str | None:
    for a, b, title, office in busy.get(plan.leader_id, ()):
        if a < ends_at and b > starts_at:
            return _("Ngày %(day)s không tạo phiên của lịch \"%(plan)s\": %(name)s đã có phiên tiếp "
                     "\"%(title)s\" (%(office)s) từ %(a)s đến %(b)s.") % {
                "day": timezone.localdate(starts_at).strftime("%d/%m/%Y"), "plan": plan.title,
                "name": plan.leader.full_name, "title": title, "office": office,
                "a": timezone.localtime(a).strftime("%d/%m/%Y %H:%M"),
                "b": timezone.localtime(b).strftime("%H:%M")}
    return None


def skipped_occurrences(plan: ReceptionPlan, today: date | None = None, days_ahead: int | None = None) -> list[str]:
    """The plan's occurrences within the materialisation horizon that have no session because the leader
    was already hosting another one at that time (what :func:`materialize` skipped), as messages."""
    today = today or timezone.localdate()
    end = today + timedelta(days=settings.MATERIALIZE_DAYS_AHEAD if days_ahead is None else days_ahead)
    pairs = occurrence_dates(plan, today, end)
    if not pairs:
        return []
    existing = set(plan.sessions.filter(occurrence_date__gte=today).values_list("occurrence_date", flat=True))
    busy = _busy_map([plan.leader_id], _aware(today, time()), _aware(end + timedelta(days=8), time()))
    messages = []
    for occurrence, held_on in pairs:
        if occurrence in existing:
            continue
        message = _clash(busy, plan, _aware(held_on, plan.start_time), _aware(held_on, plan.end_time))
        if message:
            messages.append(message)
    return messages


def _aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment), timezone.get_default_timezone())


def materialize(*, today: date | None = None, days_ahead: int | None = None, plan_ids=None,
                batch_size: int = 200) -> MaterializeReport:
    """Create the periodic sessions of active plans for the next ``days_ahead`` days (default
    MATERIALIZE_DAYS_AHEAD). Idempotent: an occurrence is identified by (plan, occurrence_date), which the
    database keeps unique; plans are locked while processed, so two runs at once create nothing twice."""
    today = today or timezone.localdate()
    end = today + timedelta(days=settings.MATERIALIZE_DAYS_AHEAD if days_ahead is None else days_ahead)
    report = MaterializeReport()
    plans = ReceptionPlan.objects.filter(is_active=True).order_by("pk")
    if plan_ids is not None:
        plans = plans.filter(pk__in=plan_ids)
    ids = list(plans.values_list("pk", flat=True))
    for offset in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = list(ReceptionPlan.objects.select_for_update(of=("self",))
                         .select_related("office", "leader").prefetch_related("sites")
                         .filter(pk__in=ids[offset:offset + batch_size]).order_by("pk"))
            # The leaders' calendars: locked as session creation locks them, then read once.
            session_services.lock_leaders([plan.leader_id for plan in batch])
            busy = _busy_map([plan.leader_id for plan in batch], _aware(today, time()),
                             _aware(end + timedelta(days=8), time()))
            existing = set(ReceptionSession.objects.filter(plan__in=batch, occurrence_date__gte=today)
                           .values_list("plan_id", "occurrence_date"))
            sessions, extra_sites = [], {}
            for plan in batch:
                report.plans += 1
                for occurrence, held_on in occurrence_dates(plan, today, end):
                    if (plan.pk, occurrence) in existing:
                        report.existing += 1
                        continue
                    starts_at = _aware(held_on, plan.start_time)
                    ends_at = _aware(held_on, plan.end_time)
                    clash = _clash(busy, plan, starts_at, ends_at)
                    if clash:
                        report.conflicts.append((plan.pk, occurrence, clash))
                        continue
                    busy.setdefault(plan.leader_id, []).append((starts_at, ends_at, plan.title, plan.office.name))
                    session = ReceptionSession(
                        kind=SessionKind.PERIODIC, status=SessionStatus.PLANNED, host_office=plan.office,
                        host_id=plan.leader_id, plan=plan, occurrence_date=occurrence, title=plan.title,
                        tentative_content=plan.tentative_content, starts_at=starts_at,
                        ends_at=ends_at, slot_minutes=plan.slot_minutes,
                        slot_capacity=plan.slot_capacity,
                        registration_closes_at=session_services.default_registration_close(starts_at),
                    )
                    sessions.append(session)
                    extra_sites[id(session)] = list(plan.sites.all())
            ReceptionSession.objects.bulk_create(sessions, batch_size=1000)
            sites, slots, events = [], [], []
            for session in sessions:
                sites.append(SessionSite(session=session, office_id=session.host_office_id, is_host=True))
                sites += [SessionSite(session=session, office_id=s.office_id, responsible_id=s.responsible_id)
                          for s in extra_sites[id(session)]]
                slots += session_services.build_slots(session)
                events.append(SessionEvent(session=session, kind="created", to_status=SessionStatus.PLANNED,
                                           data={"from_plan": session.plan_id}))
            SessionSite.objects.bulk_create(sites, batch_size=2000)
            SessionSlot.objects.bulk_create(slots, batch_size=2000)
            SessionEvent.objects.bulk_create(events, batch_size=2000)
            if sessions:  # one entry per batch: the sessions' ids are in their SessionEvent rows
                record(action="sessions.materialized", target_type="scheduling.receptionplan",
                       target_id=",".join(str(p.pk) for p in batch)[:64],
                       details={"plans": [p.pk for p in batch], "sessions": len(sessions),
                                "first": min(s.pk for s in sessions), "last": max(s.pk for s in sessions)})
            report.created += len(sessions)
    return report


def publish_due(now: datetime | None = None) -> int:
    """Publish planned periodic sessions once they are within AUTO_PUBLISH_WORKING_DAYS_AHEAD working days
    while still on time for the legal notice period. A session already inside the notice period is left
    planned: publishing it late needs a person's recorded reason (it shows on the leader's page).
    Idempotent: only planned sessions are touched."""
    now = now or timezone.now()
    horizon = workdays.working_days_after(timezone.localdate(now), settings.AUTO_PUBLISH_WORKING_DAYS_AHEAD)
    due = ReceptionSession.objects.filter(
        kind=SessionKind.PERIODIC, status=SessionStatus.PLANNED, starts_at__gt=now,
        starts_at__lt=_aware(horizon + timedelta(days=1), time()),
    ).order_by("starts_at")
    count = 0
    for session in due.iterator():
        if not session_services.publication_is_timely(session, now):
            continue
        try:
            session_services.publish(session, None, now=now)
            count += 1
        except session_services.SessionError:
            continue  # changed meanwhile (published or cancelled by someone): nothing to do
    return count
