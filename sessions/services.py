"""Every write to reception sessions goes through here: creation (with sites and slots), publication,
postponement, cancellation, opening and closing. Each change is recorded in the session's history and
announced on commit to the host office's event group.

Registrations live in ``scheduling``; what a postponement or cancellation does to them is delegated to
``scheduling.services.registrations`` (imported lazily: scheduling depends on sessions, not the reverse).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Role
from accounts.permissions import Action
from core.errors import DomainError
from core.events import office_group, send_event_on_commit
from offices.models import Office
from sessions.models import (
    LIVE_STATUSES,
    AdhocReason,
    ReceptionSession,
    SessionEvent,
    SessionKind,
    SessionSite,
    SessionSlot,
    SessionStatus,
)
from workdays import calendar as workdays


class SessionError(DomainError):
    pass


TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.PLANNED: {SessionStatus.PUBLISHED, SessionStatus.POSTPONED, SessionStatus.CANCELLED},
    SessionStatus.PUBLISHED: {SessionStatus.OPEN, SessionStatus.POSTPONED, SessionStatus.CANCELLED},
    SessionStatus.OPEN: {SessionStatus.HELD},
    SessionStatus.HELD: set(),
    SessionStatus.POSTPONED: set(),
    SessionStatus.CANCELLED: set(),
}

MAX_SESSION_HOURS = 12
# Registrations of a session created later than its default deadline close this long before the start.
SHORT_NOTICE_REGISTRATION_CLOSES_MINUTES = 5


def _require(user, action, obj) -> None:
    """``user`` None is the system itself (materialisation, beat tasks)."""
    if user is not None and not permissions.can(user, action, obj):
        raise SessionError(_("Bạn không có quyền thực hiện thao tác này với phiên tiếp."), "forbidden")


def slot_windows(starts_at: datetime, ends_at: datetime, minutes: int) -> list[tuple[datetime, datetime]]:
    """The session's time split into slots of ``minutes``; a remainder shorter than a slot is dropped."""
    step = timedelta(minutes=minutes)
    windows, cursor = [], starts_at
    while cursor + step <= ends_at:
        windows.append((cursor, cursor + step))
        cursor += step
    return windows


def build_slots(session: ReceptionSession) -> list[SessionSlot]:
    return [SessionSlot(session=session, index=i, starts_at=a, ends_at=b, capacity=session.slot_capacity)
            for i, (a, b) in enumerate(slot_windows(session.starts_at, session.ends_at, session.slot_minutes))]


def default_registration_close(starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=settings.REGISTRATION_CLOSES_HOURS_BEFORE)


def validate_slots(slot_minutes: int, slot_capacity: int, starts_at: datetime, ends_at: datetime) -> None:
    if not isinstance(slot_capacity, int) or slot_capacity < 1:
        raise SessionError(_("Mỗi lượt phải nhận ít nhất 1 người."), "min_value", "slot_capacity")
    if slot_capacity > 500:
        raise SessionError(_("Số người mỗi lượt quá lớn."), "max_value", "slot_capacity")
    if not isinstance(slot_minutes, int) or not 5 <= slot_minutes <= 240:
        raise SessionError(_("Thời lượng mỗi lượt từ 5 đến 240 phút."), "out_of_range", "slot_minutes")
    if starts_at + timedelta(minutes=slot_minutes) > ends_at:
        raise SessionError(_("Buổi tiếp ngắn hơn một lượt."), "too_short", "slot_minutes")


def validate_host(host, office: Office, field: str = "host") -> None:
    """Every session has a host leader (lãnh đạo chủ trì) of the host office: nobody else has the host's
    controls in the room."""
    if host is None:
        raise SessionError(_("Chọn lãnh đạo chủ trì buổi tiếp."), "required", field)
    if not host.role_assignments.filter(office=office, role=Role.LEADER).exists():
        raise SessionError(_("Người chủ trì phải là lãnh đạo của cơ quan chủ trì."), "not_a_leader", field)


def validate_responsible(responsible, office: Office, field: str = "sites") -> None:
    """The person responsible for a site (cán bộ phụ trách điểm cầu) is staff of that site's office."""
    if responsible is None:
        return
    if not responsible.role_assignments.filter(office=office).exists():
        raise SessionError(_("Người phụ trách điểm cầu phải là cán bộ của cơ quan đó."), "not_staff_of_site", field)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def lock_leaders(leader_ids) -> None:
    """Serialise every booking of these leaders' calendars (session creation, plan materialisation): a row
    lock on each leader, always taken in the same (pk) order so two bookings cannot deadlock."""
    from accounts.models import User

    ids = sorted({pk for pk in leader_ids if pk is not None})
    if ids:
        list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def leader_conflict(host, starts_at: datetime, ends_at: datetime, *, exclude_pk=None,
                    engagements: bool = True) -> str | None:
    """A message naming what the leader already has at that time: a live session (any office) or another
    engagement (lịch công tác); None if the calendar is free."""
    from scheduling.models import LeaderEngagement

    sessions = (ReceptionSession.objects
                .filter(host=host, status__in=LIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at)
                .select_related("host_office").order_by("starts_at", "pk"))
    if exclude_pk is not None:
        sessions = sessions.exclude(pk=exclude_pk)
    clash = sessions.first()
    if clash is not None:
        return _("%(name)s đã có phiên tiếp \"%(title)s\" (%(office)s) từ %(a)s đến %(b)s.") % {
            "name": host.full_name, "title": clash.title, "office": clash.host_office.name,
            "a": _local(clash.starts_at), "b": _local(clash.ends_at)}
    if engagements:
        engagement = (LeaderEngagement.objects.filter(leader=host, starts_at__lt=ends_at, ends_at__gt=starts_at)
                      .order_by("starts_at", "pk").first())
        if engagement is not None:
            return _("%(name)s có lịch công tác \"%(title)s\" từ %(a)s đến %(b)s.") % {
                "name": host.full_name, "title": engagement.title, "a": _local(engagement.starts_at),
                "b": _local(engagement.ends_at)}
    return None


def _record(session, actor, kind, from_status="", to_status="", **data) -> None:
    """The session's own history (SessionEvent) and the platform's hash-chained audit trail (issue 16)."""
    from audit.services import record

    SessionEvent.objects.create(session=session, actor=actor, kind=kind, from_status=from_status,
                                to_status=to_status, data=data)
    record(actor=actor, action=f"sessions.{kind}", obj=session,
           details={"session": str(session.public_id), "office": session.host_office_id, "from": from_status,
                    "to": to_status, **data})
    send_event_on_commit(office_group(session.host_office_id), f"session.{kind}", {
        "session": str(session.public_id), "status": session.status, "starts_at": session.starts_at.isoformat(),
    })


@transaction.atomic
def create_session(*, by, kind: str, host_office: Office, title: str, starts_at: datetime, ends_at: datetime,
                   host=None, tentative_content: str = "", adhoc_reason: str = "", adhoc_note: str = "",
                   sites: list[tuple[Office, object]] = (), slot_minutes: int | None = None,
                   slot_capacity: int | None = None, registration_closes_at: datetime | None = None,
                   now: datetime | None = None) -> ReceptionSession:
    """An ad-hoc or regular session (periodic ones come from plans), with its host site, other connected
    sites of any tier, and its registration slots."""
    now = now or timezone.now()
    _require(by, Action.SESSION_MANAGE, host_office)
    if kind not in SessionKind.values:
        raise SessionError(_("Hình thức tiếp không hợp lệ."), "invalid_choice", "kind")
    if kind == SessionKind.ADHOC and adhoc_reason not in AdhocReason.values:
        raise SessionError(_("Tiếp đột xuất cần nêu lý do theo quy định."), "required", "adhoc_reason")
    if kind == SessionKind.PERIODIC and host is None:
        raise SessionError(_("Tiếp định kỳ do người đứng đầu chủ trì."), "required", "host")
    if host is None:
        raise SessionError(_("Chọn lãnh đạo chủ trì buổi tiếp."), "required", "host")
    if not (title or "").strip():
        raise SessionError(_("Nhập tiêu đề."), "required", "title")
    if ends_at <= starts_at:
        raise SessionError(_("Giờ kết thúc phải sau giờ bắt đầu."), "invalid_range", "ends_at")
    if ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
        raise SessionError(_("Một buổi tiếp không quá %(h)s giờ.") % {"h": MAX_SESSION_HOURS}, "too_long", "ends_at")
    if starts_at <= now:
        raise SessionError(_("Thời gian bắt đầu đã qua."), "in_past", "starts_at")
    slot_minutes = settings.SLOT_MINUTES_DEFAULT if slot_minutes is None else slot_minutes
    slot_capacity = settings.SLOT_CAPACITY_DEFAULT if slot_capacity is None else slot_capacity
    validate_slots(slot_minutes, slot_capacity, starts_at, ends_at)
    validate_host(host, host_office)
    for office, responsible in sites:
        validate_responsible(responsible, office)
    closes = registration_closes_at or default_registration_close(starts_at)
    if registration_closes_at is None and closes <= now:
        # A session called at short notice (an ad-hoc one the same day) takes registrations until shortly
        # before it starts instead of closing them at once.
        closes = starts_at - timedelta(minutes=SHORT_NOTICE_REGISTRATION_CLOSES_MINUTES)
    if closes > starts_at:
        raise SessionError(_("Hạn đăng ký phải trước giờ bắt đầu."), "invalid_range", "registration_closes_at")
    lock_leaders([host.pk])
    conflict = leader_conflict(host, starts_at, ends_at)
    if conflict:
        raise SessionError(_("Lãnh đạo chủ trì bị trùng lịch: %(c)s") % {"c": conflict}, "leader_busy", "host")
    session = ReceptionSession.objects.create(
        kind=kind, host_office=host_office, host=host, title=title.strip(), tentative_content=tentative_content,
        starts_at=starts_at, ends_at=ends_at, adhoc_reason=adhoc_reason if kind == SessionKind.ADHOC else "",
        adhoc_note=adhoc_note, slot_minutes=slot_minutes, slot_capacity=slot_capacity,
        registration_closes_at=max(min(closes, starts_at), now),
    )
    SessionSlot.objects.bulk_create(build_slots(session))
    SessionSite.objects.create(session=session, office=host_office, is_host=True)
    for office, responsible in sites:
        if office.pk != host_office.pk:
            SessionSite.objects.get_or_create(session=session, office=office, defaults={"responsible": responsible})
    _record(session, by, "created", to_status=session.status)
    return session


def add_site(session: ReceptionSession, by, office: Office, responsible=None) -> SessionSite:
    """Connect another site (điểm cầu) of any tier."""
    _require(by, Action.SESSION_MANAGE, session.host_office)
    if session.status not in (SessionStatus.PLANNED, SessionStatus.PUBLISHED, SessionStatus.OPEN):
        raise SessionError(_("Phiên đã kết thúc, không thể thêm điểm cầu."), "invalid_transition", "status")
    validate_responsible(responsible, office, "responsible")
    with transaction.atomic():
        site, created = SessionSite.objects.get_or_create(session=session, office=office,
                                                          defaults={"responsible": responsible})
        if created:
            _record(session, by, "site_added", office=office.code)
    return site


def remove_site(session: ReceptionSession, by, office: Office) -> None:
    """Disconnect a site (điểm cầu) until the session is held; the host site stays."""
    _require(by, Action.SESSION_MANAGE, session.host_office)
    with transaction.atomic():
        session = _lock(session)
        if session.status not in LIVE_STATUSES:
            raise SessionError(_("Phiên đã kết thúc, không thể bỏ điểm cầu."), "invalid_transition", "status")
        site = SessionSite.objects.filter(session=session, office=office).first()
        if site is None:
            raise SessionError(_("Cơ quan này không phải điểm cầu của phiên."), "not_found", "office")
        if site.is_host:
            raise SessionError(_("Không thể bỏ điểm cầu chủ trì."), "host_site", "office")
        site.delete()
        _record(session, by, "site_removed", office=office.code)


def _lock(session: ReceptionSession) -> ReceptionSession:
    return ReceptionSession.objects.select_for_update().select_related("host_office").get(pk=session.pk)


def _move(session: ReceptionSession, to: str, by, kind: str, **data) -> None:
    if to not in TRANSITIONS[session.status]:
        raise SessionError(
            _("Không thể chuyển phiên từ trạng thái \"%(a)s\" sang \"%(b)s\".") % {
                "a": SessionStatus(session.status).label, "b": SessionStatus(to).label},
            "invalid_transition", "status",
        )
    before = session.status
    session.status = to
    _record(session, by, kind, from_status=before, to_status=to, **data)
    from scheduling.services import full_slots, registrations

    if before in registrations.REGISTRABLE_STATUSES:
        # Only a session taking registrations has "slot full" flags (scheduling.services.full_slots): none of
        # them outlives this commit, whatever the answer becomes.
        full_slots.invalidate_session(session.pk)


def publication_is_timely(session: ReceptionSession, now: datetime | None = None) -> bool:
    """Public at least PUBLICATION_MIN_WORKING_DAYS working days before the reception day."""
    today = timezone.localdate(now or timezone.now())
    latest = workdays.working_days_after(today, settings.PUBLICATION_MIN_WORKING_DAYS)
    return timezone.localdate(session.starts_at) >= latest


def publish(session: ReceptionSession, by, reason: str = "", now: datetime | None = None) -> ReceptionSession:
    """Make the session public. Later than the legal notice period, only with a recorded reason."""
    now = now or timezone.now()
    _require(by, Action.SESSION_MANAGE, session.host_office)
    reason = (reason or "").strip()
    with transaction.atomic():
        session = _lock(session)
        if session.starts_at <= now:
            raise SessionError(_("Phiên đã bắt đầu hoặc đã qua."), "in_past", "starts_at")
        timely = publication_is_timely(session, now)
        if not timely and not reason:
            raise SessionError(
                _("Lịch tiếp phải công bố trước ít nhất %(n)s ngày làm việc; công bố muộn cần nêu lý do.")
                % {"n": settings.PUBLICATION_MIN_WORKING_DAYS}, "late_publication_needs_reason",
                "late_publication_reason",
            )
        _move(session, SessionStatus.PUBLISHED, by, "published", timely=timely)
        session.published_at = now
        session.late_publication_reason = "" if timely else reason
        session.sequence += 1
        session.save(update_fields=["status", "published_at", "late_publication_reason", "sequence", "updated_at"])
    return session


def postpone(session: ReceptionSession, by, reason: str, new_starts_at: datetime | None = None,
             new_ends_at: datetime | None = None, now: datetime | None = None) -> ReceptionSession:
    """Postpone (hoãn) with a public reason. With a new time, a replacement session is created and published
    and the registrations move to it (same slot number) where they fit; registered citizens are notified."""
    from scheduling.services import registrations

    now = now or timezone.now()
    _require(by, Action.SESSION_MANAGE, session.host_office)
    reason = (reason or "").strip()
    if not reason:
        raise SessionError(_("Cần nêu lý do hoãn."), "required", "reason")
    if new_ends_at is not None and new_starts_at is None:
        raise SessionError(_("Nhập thời gian bắt đầu mới."), "required", "new_starts_at")
    with transaction.atomic():
        session = _lock(session)
        replacement = None
        if new_starts_at is not None:  # lock order: leaders before the audit head (create_session below)
            lock_leaders([session.host_id])
        _move(session, SessionStatus.POSTPONED, by, "postponed", reason=reason,
              new_starts_at=new_starts_at.isoformat() if new_starts_at else None)
        # Saved before the replacement is created: the postponed session no longer books its leader.
        session.save(update_fields=["status", "updated_at"])
        if new_starts_at is not None:
            new_ends_at = new_ends_at or new_starts_at + (session.ends_at - session.starts_at)
            replacement = create_session(
                by=by, kind=session.kind, host_office=session.host_office, host=session.host, title=session.title,
                starts_at=new_starts_at, ends_at=new_ends_at, tentative_content=session.tentative_content,
                adhoc_reason=session.adhoc_reason or "", adhoc_note=session.adhoc_note,
                sites=[(s.office, s.responsible) for s in session.sites.filter(is_host=False)],
                slot_minutes=session.slot_minutes, slot_capacity=session.slot_capacity, now=now,
            )
            if session.published_at:
                publish(replacement, by, reason=_("Hoãn từ phiên %(d)s: %(r)s") % {
                    "d": timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M"), "r": reason}, now=now)
            session.replaced_by = replacement
        session.status_reason = reason
        session.sequence += 1
        session.save(update_fields=["status", "status_reason", "replaced_by", "sequence", "updated_at"])
        registrations.on_session_postponed(session, replacement, now=now)
    return session


def cancel(session: ReceptionSession, by, reason: str, now: datetime | None = None) -> ReceptionSession:
    from scheduling.services import registrations

    _require(by, Action.SESSION_MANAGE, session.host_office)
    reason = (reason or "").strip()
    if not reason:
        raise SessionError(_("Cần nêu lý do hủy."), "required", "reason")
    with transaction.atomic():
        session = _lock(session)
        _move(session, SessionStatus.CANCELLED, by, "cancelled", reason=reason)
        session.status_reason = reason
        session.sequence += 1
        session.save(update_fields=["status", "status_reason", "sequence", "updated_at"])
        registrations.on_session_cancelled(session, now=now or timezone.now())
    return session


def open_session(session: ReceptionSession, by, now: datetime | None = None) -> ReceptionSession:
    """The host or an officer of the host office opens the room, from SESSION_OPEN_EARLY_MINUTES before
    the start until the planned end (beat opens it SESSION_AUTO_OPEN_MINUTES_BEFORE: auto_open_due)."""
    now = now or timezone.now()
    _require(by, Action.SESSION_HOST, session.host_office)
    with transaction.atomic():
        session = _lock(session)
        if not session.starts_at - timedelta(minutes=settings.SESSION_OPEN_EARLY_MINUTES) <= now <= session.ends_at:
            raise SessionError(_("Chỉ mở phiên trong khung giờ của buổi tiếp."), "outside_window", "starts_at")
        _move(session, SessionStatus.OPEN, by, "opened")
        session.save(update_fields=["status", "updated_at"])
    return session


def auto_open_due(now: datetime | None = None) -> int:
    """Beat: open the rooms of published sessions SESSION_AUTO_OPEN_MINUTES_BEFORE their start (a late beat
    still opens a session that has not ended). Idempotent: only published sessions are touched, under the
    session's row lock, so running twice opens once."""
    now = now or timezone.now()
    due = (ReceptionSession.objects
           .filter(status=SessionStatus.PUBLISHED, ends_at__gt=now,
                   starts_at__lte=now + timedelta(minutes=settings.SESSION_AUTO_OPEN_MINUTES_BEFORE))
           .order_by("starts_at", "pk"))
    opened = 0
    for session in due.iterator():
        with transaction.atomic():
            locked = _lock(session)
            if locked.status != SessionStatus.PUBLISHED or locked.ends_at <= now:
                continue  # opened, postponed or cancelled meanwhile
            _move(locked, SessionStatus.OPEN, None, "opened", automatic=True)
            locked.save(update_fields=["status", "updated_at"])
            opened += 1
    return opened


def close_session(session: ReceptionSession, by) -> ReceptionSession:
    """Open → held, by the session's host leader (Action.SESSION_CLOSE, as the room's host.end). The live
    room ends with it (everyone connected is told)."""
    from signaling import services as room_services

    _require(by, Action.SESSION_CLOSE, session)
    with transaction.atomic():
        session = _lock(session)
        room_services.lock_room(session.pk)  # lock order: session, room, then the audit head (_record)
        _move(session, SessionStatus.HELD, by, "held")
        session.save(update_fields=["status", "updated_at"])
        room_services.end_room(session.pk, by.full_name if by is not None else "")
    return session
