"""Leaders' other engagements (lịch công tác khác) and their conflicts with reception days.

The head receives citizens in person on fixed periodic days and "does not schedule other meetings on a
reception day" (shared/DOMAIN.md, "Kinds of reception"). This module is the only writer of
``LeaderEngagement``: every engagement, typed in or imported from an iCalendar file, is refused when it
touches a local day (Asia/Ho_Chi_Minh) on which the leader hosts a periodic reception (a live periodic
session, or a future day of one of the leader's active plans not materialised into a session yet).
Engagements entered before a plan existed are not removed: :func:`conflicts` lists them so the staff can
move them.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Role, RoleAssignment
from accounts.permissions import Action
from core.errors import DomainError
from scheduling.models import EngagementSource, LeaderEngagement, ReceptionPlan
from sessions.models import LIVE_STATUSES, ReceptionSession, SessionKind

MAX_ENGAGEMENT_DAYS = 14
MAX_TITLE = 255
MAX_UID = 255
MAX_ICAL_BYTES = 1024 * 1024
MAX_ICAL_EVENTS = 2000
# How far a holiday may move a plan's occurrence (Tết is about 9 days off in a row).
_HOLIDAY_SHIFT = timedelta(days=21)


class EngagementError(DomainError):
    pass


# --- time helpers ----------------------------------------------------------------------------------------

def _tz():
    return timezone.get_default_timezone()


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), _tz())


def as_local(value: date | datetime) -> datetime:
    """An aware datetime in the platform's time zone: a date is its local midnight, a naive datetime is
    read as local time (a "floating" iCalendar time), an aware one is converted."""
    if not isinstance(value, datetime):
        return _midnight(value)
    if timezone.is_naive(value):
        return timezone.make_aware(value, _tz())
    return value.astimezone(_tz())


def local_dates(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The local days a period [starts_at, ends_at) touches; an end at midnight does not touch that day."""
    first = timezone.localdate(starts_at, _tz())
    last = timezone.localdate(max(ends_at - timedelta(microseconds=1), starts_at), _tz())
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- reception days --------------------------------------------------------------------------------------

def _periodic_sessions(leader, start: date, end: date):
    """The leader's live periodic sessions touching the local days ``start``..``end``."""
    return (ReceptionSession.objects
            .filter(kind=SessionKind.PERIODIC, host=leader, status__in=LIVE_STATUSES,
                    starts_at__lt=_midnight(end + timedelta(days=1)), ends_at__gt=_midnight(start))
            .order_by("starts_at", "pk"))


def _unmaterialised_plan_days(leader, start: date, end: date) -> set[date]:
    """Future days of the leader's active plans whose session is not created yet (beyond the
    materialisation horizon). An occurrence that has a session, whatever its status, is judged by it."""
    from scheduling.services.plans import occurrence_dates

    today = timezone.localdate()
    start = max(start, today)
    if end < start:
        return set()
    days = set()
    for plan in ReceptionPlan.objects.filter(leader=leader, is_active=True):
        pairs = [(o, h) for o, h in occurrence_dates(plan, start - _HOLIDAY_SHIFT, end + _HOLIDAY_SHIFT)
                 if start <= h <= end]
        if not pairs:
            continue
        existing = set(plan.sessions.filter(occurrence_date__in=[o for o, _h in pairs])
                       .values_list("occurrence_date", flat=True))
        days.update(h for o, h in pairs if o not in existing)
    return days


def reception_days(leader, start: date, end: date, *, include_plans: bool = False) -> set[date]:
    """Local dates in ``start``..``end`` on which ``leader`` hosts a periodic reception (a periodic session
    that still takes place: planned, published or open). With ``include_plans``, also the future days of the
    leader's active plans that are not materialised into sessions yet."""
    days: set[date] = set()
    for starts_at, ends_at in _periodic_sessions(leader, start, end).values_list("starts_at", "ends_at"):
        days.update(d for d in local_dates(starts_at, ends_at) if start <= d <= end)
    if include_plans:
        days |= _unmaterialised_plan_days(leader, start, end)
    return days


# --- writes ----------------------------------------------------------------------------------------------

def _require(by, leader) -> None:
    """``by`` None is the system itself."""
    if by is not None and not permissions.can(by, Action.ENGAGEMENT_MANAGE, leader):
        raise EngagementError(_("Bạn không có quyền quản lý lịch công tác của lãnh đạo này."), "forbidden")


def is_leader(user) -> bool:
    return RoleAssignment.objects.filter(user_id=user.pk, role=Role.LEADER).exists()


def _validate(leader, title: str, starts_at: datetime, ends_at: datetime, blocked: set[date] | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise EngagementError(_("Nhập nội dung công tác."), "required", "title")
    if len(title) > MAX_TITLE:
        raise EngagementError(_("Nội dung công tác quá dài (tối đa %(n)s ký tự).") % {"n": MAX_TITLE},
                              "too_long", "title")
    if not isinstance(starts_at, datetime):
        raise EngagementError(_("Thời gian bắt đầu không hợp lệ."), "invalid", "starts_at")
    if not isinstance(ends_at, datetime):
        raise EngagementError(_("Thời gian kết thúc không hợp lệ."), "invalid", "ends_at")
    if ends_at <= starts_at:
        raise EngagementError(_("Giờ kết thúc phải sau giờ bắt đầu."), "invalid_range", "ends_at")
    if ends_at - starts_at > timedelta(days=MAX_ENGAGEMENT_DAYS):
        raise EngagementError(_("Một lịch công tác không dài quá %(n)s ngày.") % {"n": MAX_ENGAGEMENT_DAYS},
                              "too_long", "ends_at")
    days = local_dates(starts_at, ends_at)
    if blocked is None:
        blocked = reception_days(leader, days[0], days[-1], include_plans=True)
    clashes = sorted(blocked.intersection(days))
    if clashes:
        raise EngagementError(
            _("Không thể xếp lịch công tác khác vào ngày tiếp công dân định kỳ của lãnh đạo (%(dates)s): "
              "người đứng đầu không bố trí cuộc họp, công việc khác trong ngày tiếp công dân.")
            % {"dates": ", ".join(_fmt(d) for d in clashes)},
            "reception_day_conflict", "starts_at",
        )
    return title


def _require_leader(leader) -> None:
    if not is_leader(leader):
        raise EngagementError(_("Người này không giữ vai trò lãnh đạo tiếp công dân."), "not_a_leader", "leader")


def _save(*, leader, title: str, starts_at: datetime, ends_at: datetime, source: str, external_uid: str,
          blocked: set[date] | None = None, assume_new: bool = False,
          retry: bool = True) -> tuple[LeaderEngagement, bool]:
    """Validate, then create the engagement or update the leader's one with ``external_uid``, in a savepoint
    of its own. Returns ``(engagement, created)``. ``blocked``: the leader's reception days when the caller
    already has them for the engagement's days (else they are read); ``assume_new``: the caller knows the
    UID is not taken (a concurrent insert is still caught by the unique constraint). Permissions are the
    caller's business."""
    if source not in EngagementSource.values:
        raise EngagementError(_("Nguồn lịch không hợp lệ."), "invalid_choice", "source")
    starts_at, ends_at = (as_local(v) if isinstance(v, datetime) else v for v in (starts_at, ends_at))
    title = _validate(leader, title, starts_at, ends_at, blocked)
    external_uid = normalise_uid(external_uid)
    values = {"title": title, "starts_at": starts_at, "ends_at": ends_at, "source": source}
    try:
        with transaction.atomic():
            if external_uid and not assume_new:
                current = (LeaderEngagement.objects.select_for_update()
                           .filter(leader=leader, external_uid=external_uid).first())
                if current is not None:
                    for name, value in values.items():
                        setattr(current, name, value)
                    current.save(update_fields=list(values))
                    return current, False
            return LeaderEngagement.objects.create(leader=leader, external_uid=external_uid, **values), True
    except IntegrityError:
        if not external_uid or not retry:
            raise
    # Another request created the same external_uid meanwhile: update that one.
    return _save(leader=leader, title=title, starts_at=starts_at, ends_at=ends_at, source=source,
                 external_uid=external_uid, blocked=blocked, retry=False)


def normalise_uid(external_uid: str) -> str:
    external_uid = (external_uid or "").strip()
    if len(external_uid) > MAX_UID:
        return "sha256-" + hashlib.sha256(external_uid.encode()).hexdigest()
    return external_uid


def create_engagement(*, by, leader, title: str, starts_at: datetime, ends_at: datetime,
                      source: str = EngagementSource.MANUAL, external_uid: str = "") -> LeaderEngagement:
    """Enter an engagement in ``leader``'s calendar (``by`` None: the system). Refused with
    ``reception_day_conflict`` when it touches a reception day of the leader (also a future day of one of
    the leader's plans not yet materialised). With an ``external_uid`` the leader already has, that
    engagement is updated instead. Naive datetimes are read as local time."""
    _require(by, leader)
    _require_leader(leader)
    return _save(leader=leader, title=title, starts_at=starts_at, ends_at=ends_at, source=source,
                 external_uid=external_uid)[0]


def delete_engagement(by, engagement: LeaderEngagement) -> None:
    _require(by, engagement.leader)
    LeaderEngagement.objects.filter(pk=engagement.pk).delete()


# --- iCalendar import ------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    refused: list[dict] = field(default_factory=list)  # [{uid, summary, reason, code}]
    skipped: int = 0
    removed: int = 0  # engagements imported earlier whose event is now cancelled in the source

    def as_dict(self) -> dict:
        return asdict(self)


def _text(component, name: str) -> str:
    value = component.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _event_times(event) -> tuple[datetime, datetime]:
    """DTSTART and DTEND (or DTSTART + DURATION) as aware local datetimes; an all-day event covers whole
    local days. Raises ValueError (icalendar's own errors included) for missing or broken values."""
    start, end = event.start, event.end
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError("DTSTART and DTEND are of different types")
    return as_local(start), as_local(end)


def _event_uid(event, summary: str, starts_at: datetime | None) -> str:
    uid = _text(event, "UID")
    if not uid:
        seed = f"{summary}|{starts_at.isoformat() if starts_at else ''}"
        uid = "noid-" + hashlib.sha256(seed.encode()).hexdigest()[:40]
    recurrence = event.get("RECURRENCE-ID")
    if recurrence is not None:  # one modified instance of a recurring event: its own identity
        moment = getattr(recurrence, "dt", None)
        uid = f"{uid}/{moment.isoformat() if moment is not None else _text(event, 'RECURRENCE-ID')}"
    return uid


def _parse(data: bytes):
    from icalendar import Calendar

    if not isinstance(data, bytes | bytearray):
        raise EngagementError(_("Tệp lịch không hợp lệ."), "invalid_ical", "file")
    if len(data) > MAX_ICAL_BYTES:
        raise EngagementError(_("Tệp lịch quá lớn (tối đa 1 MB)."), "too_large", "file")
    try:
        calendar = Calendar.from_ical(bytes(data))
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is not iCalendar
        raise EngagementError(_("Tệp không phải lịch iCalendar (.ics) hợp lệ."), "invalid_ical", "file") from exc
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise EngagementError(_("Tệp không phải lịch iCalendar (.ics) hợp lệ."), "invalid_ical", "file")
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if len(events) > MAX_ICAL_EVENTS:
        raise EngagementError(_("Tệp lịch có quá nhiều sự kiện (tối đa %(n)s).") % {"n": MAX_ICAL_EVENTS},
                              "too_large", "file")
    return events


@transaction.atomic
def import_ical(*, by, leader, data: bytes) -> ImportReport:
    """Import the VEVENTs of an iCalendar file into ``leader``'s engagements (source ``ical``).

    * An event is identified by its UID (with RECURRENCE-ID for a modified instance); an event without UID
      gets one from a hash of its summary and start. Re-importing the same file updates, never duplicates.
    * Times become aware datetimes in Asia/Ho_Chi_Minh; a floating time is read as local; an all-day event
      covers whole local days; DURATION stands in for DTEND.
    * **Skipped** (counted in ``skipped``, nothing written): cancelled events (``STATUS:CANCELLED``; an
      engagement imported earlier under that UID is deleted and counted in ``removed``) and recurring
      masters (``RRULE``/``RDATE``): their occurrences are not expanded.
    * **Refused** (listed with the reason, not raised): events that fail validation, above all those on a
      reception day (``reception_day_conflict``). Each event is written in its own savepoint, so one
      refusal does not undo the others.

    The whole file is refused with ``invalid_ical`` when it cannot be parsed, and with ``too_large`` above
    1 MB or 2,000 events.
    """
    _require(by, leader)
    _require_leader(leader)
    report = ImportReport()
    pending = []  # (uid, summary, starts_at, ends_at) of the events to write
    for event in _parse(data):
        summary = _text(event, "SUMMARY")[:MAX_TITLE]
        try:
            starts_at, ends_at = _event_times(event)
        except Exception as exc:  # noqa: BLE001 - icalendar raises ValueError subclasses and others
            starts_at = ends_at = None
            problem = str(exc)[:200]
        uid = _event_uid(event, summary, starts_at)
        if _text(event, "STATUS").upper() == "CANCELLED":
            report.skipped += 1
            report.removed += LeaderEngagement.objects.filter(
                leader=leader, external_uid=normalise_uid(uid), source=EngagementSource.ICAL).delete()[0]
        elif "RRULE" in event or "RDATE" in event:
            report.skipped += 1
        elif starts_at is None:
            report.refused.append({"uid": uid, "summary": summary, "code": "invalid_event",
                                   "reason": _("Sự kiện thiếu hoặc sai thời gian (%(e)s).") % {"e": problem}})
        else:
            pending.append((uid, summary, starts_at, ends_at))
    uids = [normalise_uid(p[0]) for p in pending]
    taken = set(LeaderEngagement.objects.filter(leader=leader, external_uid__in=uids)
                .values_list("external_uid", flat=True))
    blocked = None  # the reception days over the whole file, read once when the span is reasonable
    if pending:
        first = min(timezone.localdate(p[2]) for p in pending)
        last = max(timezone.localdate(max(p[2], p[3])) for p in pending)
        if (last - first).days <= 3 * 366:
            blocked = reception_days(leader, first, last, include_plans=True)
    for uid, summary, starts_at, ends_at in pending:
        try:  # _save writes inside its own savepoint (an atomic block nested in this one)
            _engagement, created = _save(
                leader=leader, title=summary or _("Lịch công tác"), starts_at=starts_at, ends_at=ends_at,
                source=EngagementSource.ICAL, external_uid=uid, blocked=blocked,
                assume_new=normalise_uid(uid) not in taken)
        except EngagementError as exc:
            report.refused.append({"uid": uid, "summary": summary, "code": exc.code, "reason": exc.message})
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    return report


# --- conflicts -------------------------------------------------------------------------------------------

def conflicts(leader, start: date, end: date) -> list[dict]:
    """Existing engagements of ``leader`` that fall on one of the leader's reception days in
    ``start``..``end`` (they were entered before the plan or its sessions existed). One entry per
    (engagement, reception session) pair, in time order."""
    sessions = list(_periodic_sessions(leader, start, end))
    if not sessions:
        return []
    by_day: dict[date, list[ReceptionSession]] = {}
    for session in sessions:
        for day in local_dates(session.starts_at, session.ends_at):
            if start <= day <= end:
                by_day.setdefault(day, []).append(session)
    engagements = LeaderEngagement.objects.filter(
        leader=leader, starts_at__lt=_midnight(end + timedelta(days=1)), ends_at__gt=_midnight(start),
    ).order_by("starts_at", "pk")
    found = []
    for engagement in engagements:
        for day in local_dates(engagement.starts_at, engagement.ends_at):
            for session in by_day.get(day, ()):
                found.append({
                    "engagement_id": engagement.pk, "title": engagement.title,
                    "starts_at": engagement.starts_at, "ends_at": engagement.ends_at, "reception_date": day,
                    "session_public_id": session.public_id,
                })
    return found
