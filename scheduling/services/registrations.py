"""Citizens' registrations for session slots: capacity, no double booking, the waiting list.

Concurrency is settled by the database, not by Python checks alone:

* the citizen's row is locked first (``SELECT … FOR UPDATE``): one citizen's registrations are serialised,
  so two simultaneous requests for overlapping slots cannot both pass the overlap check;
* the slot's row is locked next: its ``confirmed_count`` is read and written under the lock, and a
  CHECK constraint refuses it above ``capacity``;
* on PostgreSQL an exclusion constraint (``registration_no_overlap``) refuses overlapping confirmed
  registrations of one citizen whatever path wrote them.

Lock order is always citizen → slot, so registrations never deadlock each other.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.events import send_event_on_commit, user_group
from scheduling.models import (
    ACTIVE_REGISTRATION_STATUSES,
    MatterKind,
    Registration,
    RegistrationStatus,
    new_join_nonce,
)
from scheduling.services import full_slots
from sessions.models import ReceptionSession, SessionSlot, SessionStatus

REGISTRABLE_STATUSES = (SessionStatus.PUBLISHED, SessionStatus.OPEN)
MIN_SUMMARY, MAX_SUMMARY = 10, 4000


class RegistrationError(DomainError):
    pass


def representatives_required(people_count: int) -> tuple[int, int]:
    """(minimum, maximum) representatives for a group (đông người), shared/DOMAIN.md: 5 to 10 people name
    1 or 2 representatives; more than 10 name up to 5. Fewer than 5 people: none required."""
    if people_count < settings.GROUP_CASE_MIN_PEOPLE:
        return 0, 0
    if people_count <= settings.GROUP_CASE_LARGE_THRESHOLD:
        return 1, settings.GROUP_CASE_REPRESENTATIVES_SMALL
    return 1, settings.GROUP_CASE_REPRESENTATIVES_LARGE


def _clean_representatives(people_count: int, representatives) -> list[dict]:
    low, high = representatives_required(people_count)
    reps = representatives or []
    if not isinstance(reps, list) or not all(isinstance(r, dict) for r in reps):
        raise RegistrationError(_("Danh sách người đại diện không hợp lệ."), "invalid", "representatives")
    cleaned = []
    for rep in reps:
        name = " ".join(str(rep.get("full_name", "")).split())
        if not name or len(name) > 255:
            raise RegistrationError(_("Mỗi người đại diện cần họ và tên."), "invalid", "representatives")
        cleaned.append({"full_name": name, "phone": str(rep.get("phone", ""))[:20]})
    if low and not low <= len(cleaned) <= high:
        raise RegistrationError(
            _("Đoàn %(n)s người cử từ %(low)s đến %(high)s người đại diện.") % {"n": people_count, "low": low,
                                                                               "high": high},
            "representatives_required", "representatives")
    if not low and len(cleaned) > settings.GROUP_CASE_REPRESENTATIVES_SMALL:
        raise RegistrationError(_("Quá nhiều người đại diện."), "too_many", "representatives")
    return cleaned


def _validate_matter(matter_kind: str, matter_summary: str, people_count) -> str:
    if matter_kind not in MatterKind.values:
        raise RegistrationError(_("Loại việc không hợp lệ."), "invalid_choice", "matter_kind")
    summary = (matter_summary or "").strip()
    if len(summary) < MIN_SUMMARY:
        raise RegistrationError(_("Tóm tắt nội dung ít nhất %(n)s ký tự.") % {"n": MIN_SUMMARY}, "too_short",
                                "matter_summary")
    if len(summary) > MAX_SUMMARY:
        raise RegistrationError(_("Tóm tắt nội dung quá dài."), "too_long", "matter_summary")
    if not isinstance(people_count, int) or isinstance(people_count, bool) or not (
            1 <= people_count <= settings.MAX_PEOPLE_PER_REGISTRATION):
        raise RegistrationError(_("Số người không hợp lệ."), "out_of_range", "people_count")
    return summary


def validate_matter(matter_kind: str, matter_summary: str, people_count, representatives) -> tuple[str, list[dict]]:
    """The checks of a registration's matter, before any about the citizen or the slot: (summary, cleaned
    representatives), or a RegistrationError."""
    summary = _validate_matter(matter_kind, matter_summary, people_count)
    return summary, _clean_representatives(people_count, representatives)


def _overlapping_confirmed(citizen_id: int, starts_at: datetime, ends_at: datetime):
    return Registration.objects.filter(citizen_id=citizen_id, status=RegistrationStatus.CONFIRMED,
                                       slot_starts_at__lt=ends_at, slot_ends_at__gt=starts_at)


def _audit(by, action: str, registration: Registration, **details) -> None:
    """The hash-chained audit trail (issue 16): ids and statuses only, never the matter's summary. A citizen
    acting on a denunciation's registration is labelled ``citizen`` (docs/secrecy.md)."""
    from audit.services import record

    secret = registration.is_secret
    record(actor=by, action=f"registrations.{action}", obj=registration,
           actor_label="citizen" if secret and by is not None and by.pk == registration.citizen_id else None,
           details={"registration": str(registration.public_id), "session": registration.session_id,
                    "status": registration.status, **details})


def _announce(registration: Registration) -> None:
    send_event_on_commit(user_group(registration.citizen_id), "registration.updated", {
        "registration": str(registration.public_id), "status": registration.status,
        "session": str(registration.session.public_id) if registration.session_id else None,
    })


def register(*, citizen: User, slot_id: int, matter_kind: str, matter_summary: str, people_count: int = 1,
             representatives=None, now: datetime | None = None, ignore_deadline: bool = False) -> Registration:
    """Register ``citizen`` for a slot: confirmed while the slot has room, wait-listed after that (up to
    WAITLIST_MAX_PER_SLOT), refused beyond. Every refusal names its reason and field."""
    now = now or timezone.now()
    summary, reps = validate_matter(matter_kind, matter_summary, people_count, representatives)
    if not citizen.is_authenticated or not citizen.is_active:
        raise RegistrationError(_("Cần đăng nhập để đăng ký."), "forbidden")
    # Read before the slot is (full_slots: a flag from this read never outlives a later freeing write).
    generation = full_slots.generation(slot_id)
    full = _full_without_lock(citizen, slot_id, now, ignore_deadline)
    if full is not None:
        full_slots.mark_full(full, generation)
        if not _citizen_blocked(citizen, full):
            # A burst on one slot (issue 18): once the slot and its waiting list are full, the answer is known
            # without queueing behind the slot's row lock. Counts only grow under that lock, or shrink when a
            # place frees — a request read as full a moment before is answered as it would have been then.
            raise slot_full_error()
    full = None
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=citizen.pk).first()  # serialise this citizen
            slot = (SessionSlot.objects.select_for_update(of=("self",)).select_related("session")
                    .filter(pk=slot_id).first())
            if slot is None:
                raise RegistrationError(_("Không tìm thấy lượt tiếp."), "unknown_slot", "slot")
            session = slot.session
            if session.status not in REGISTRABLE_STATUSES:
                raise RegistrationError(_("Phiên tiếp chưa mở đăng ký hoặc đã kết thúc."), "not_open", "session")
            if slot.starts_at <= now:
                raise RegistrationError(_("Lượt tiếp này đã qua."), "slot_in_past", "slot")
            if session.registration_closes_at <= now and not ignore_deadline:
                raise RegistrationError(_("Đã hết hạn đăng ký cho phiên này."), "registration_closed", "session")
            if Registration.objects.filter(session=session, citizen=citizen,
                                           status__in=ACTIVE_REGISTRATION_STATUSES).exists():
                raise RegistrationError(_("Bạn đã đăng ký phiên tiếp này."), "already_registered", "session")
            if _overlapping_confirmed(citizen.pk, slot.starts_at, slot.ends_at).exists():
                raise RegistrationError(_("Bạn đã có lịch tiếp khác trùng giờ."), "double_booking", "slot")
            if slot.confirmed_count < slot.capacity:
                status = RegistrationStatus.CONFIRMED
                SessionSlot.objects.filter(pk=slot.pk).update(confirmed_count=F("confirmed_count") + 1)
            elif slot.waitlist_count < settings.WAITLIST_MAX_PER_SLOT:
                status = RegistrationStatus.WAITLISTED
                SessionSlot.objects.filter(pk=slot.pk).update(waitlist_count=F("waitlist_count") + 1)
            else:
                full = slot
                raise slot_full_error()
            registration = Registration.objects.create(
                session=session, slot=slot, citizen=citizen, status=status, slot_starts_at=slot.starts_at,
                slot_ends_at=slot.ends_at, matter_kind=matter_kind, matter_summary=summary,
                people_count=people_count, representatives=reps,
                confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
            )
            _audit(citizen, "register", registration, slot=slot.pk)
            _announce(registration)
            if (slot.confirmed_count + (status == RegistrationStatus.CONFIRMED) >= slot.capacity
                    and slot.waitlist_count + (status == RegistrationStatus.WAITLISTED)
                    >= settings.WAITLIST_MAX_PER_SLOT):
                # This registration took the last place: the flag is written as it commits, before anyone
                # has to be refused to learn it (a burst's requests check it as early as they can).
                full_slots.mark_full(slot, generation)
    except IntegrityError as exc:
        # The database's own guards (exclusion constraint, unique active registration) won a race.
        raise RegistrationError(_("Bạn đã có lịch tiếp khác trùng giờ."), "double_booking", "slot") from exc
    except RegistrationError:
        if full is not None:  # found full under the lock (after the transaction above was rolled back)
            full_slots.mark_full(full, generation)
        raise
    return registration


def slot_full_error() -> RegistrationError:
    """The refusal of a full slot whose waiting list is full too (also answered by scheduling.fast_refusal)."""
    return RegistrationError(_("Lượt tiếp đã đủ người và danh sách chờ đã đầy."), "slot_full", "slot")


def _full_without_lock(citizen: User, slot_id: int, now: datetime, ignore_deadline: bool) -> SessionSlot | None:
    """The slot (its session loaded) when, read without a lock, it is full and its waiting list too, while
    every refusal the locked path checks before ``slot_full`` for any citizen (session status, start,
    deadline) passes. The citizen's own refusals (``_citizen_blocked``) are checked by the caller: any of
    them sends the request down the locked path, to be answered in order."""
    slot = SessionSlot.objects.select_related("session").filter(pk=slot_id).first()
    if slot is None or slot.confirmed_count < slot.capacity or slot.waitlist_count < settings.WAITLIST_MAX_PER_SLOT:
        return None
    session = slot.session
    if (session.status not in REGISTRABLE_STATUSES or slot.starts_at <= now
            or (session.registration_closes_at <= now and not ignore_deadline)):
        return None
    return slot


def _citizen_blocked(citizen: User, slot: SessionSlot) -> bool:
    """The locked path would refuse this citizen before ``slot_full``: already registered for the session,
    or a confirmed booking overlapping the slot (scheduling.fast_refusal asks the same in one statement)."""
    if Registration.objects.filter(session_id=slot.session_id, citizen=citizen,
                                   status__in=ACTIVE_REGISTRATION_STATUSES).exists():
        return True
    return _overlapping_confirmed(citizen.pk, slot.starts_at, slot.ends_at).exists()


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    # The same order as promotion: (created_at, pk).
    return Registration.objects.filter(
        Q(created_at__lt=registration.created_at) | Q(created_at=registration.created_at, pk__lte=registration.pk),
        slot_id=registration.slot_id, status=RegistrationStatus.WAITLISTED,
    ).count()


def _promote(slot: SessionSlot, now: datetime) -> Registration | None:
    """Confirm the first wait-listed registration that can be (in order of registration). One whose citizen
    meanwhile booked an overlapping slot elsewhere is passed over and stays wait-listed."""
    for candidate in Registration.objects.filter(slot=slot, status=RegistrationStatus.WAITLISTED).order_by(
            "created_at", "pk"):
        if _overlapping_confirmed(candidate.citizen_id, slot.starts_at, slot.ends_at).exists():
            continue
        try:
            with transaction.atomic():
                Registration.objects.filter(pk=candidate.pk).update(status=RegistrationStatus.CONFIRMED,
                                                                    confirmed_at=now)
        except IntegrityError:
            continue
        SessionSlot.objects.filter(pk=slot.pk).update(confirmed_count=F("confirmed_count") + 1,
                                                      waitlist_count=F("waitlist_count") - 1)
        candidate.status, candidate.confirmed_at = RegistrationStatus.CONFIRMED, now
        _audit(None, "promote", candidate, slot=slot.pk)
        _announce(candidate)
        transaction.on_commit(lambda c=candidate: _notify_promoted(c.pk))
        return candidate
    return None


def _notify_promoted(registration_id: int) -> None:
    from scheduling.tasks import notify_registration

    notify_registration.delay(registration_id, "promoted")


def cancel(registration: Registration, by: User, reason: str = "", now: datetime | None = None) -> Registration:
    """Cancel a registration (by the citizen, or by staff of the host office); the first wait-listed
    citizen of the slot moves up."""
    from accounts import permissions

    now = now or timezone.now()
    if by.pk != registration.citizen_id and not permissions.can(by, permissions.Action.SESSION_MANAGE,
                                                                 registration.session.host_office):
        raise RegistrationError(_("Bạn không thể hủy đăng ký này."), "forbidden")
    with transaction.atomic():
        slot = SessionSlot.objects.select_for_update().get(pk=registration.slot_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE_REGISTRATION_STATUSES:
            raise RegistrationError(_("Đăng ký này không còn hiệu lực."), "not_active", "status")
        if registration.slot_starts_at <= now:
            # After the start, attendance and no-shows are recorded instead.
            raise RegistrationError(_("Lượt tiếp đã bắt đầu, không thể hủy."), "slot_started", "status")
        was = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.cancel_reason = (reason or "")[:255]
        registration.join_nonce = new_join_nonce()  # any join link sent before stops working
        registration.save(update_fields=["status", "cancelled_at", "cancel_reason", "join_nonce"])
        counter = "confirmed_count" if was == RegistrationStatus.CONFIRMED else "waitlist_count"
        SessionSlot.objects.filter(pk=slot.pk).update(**{counter: F(counter) - 1})
        full_slots.invalidate([slot.pk])  # a place (or a place on the waiting list) is free once this commits
        slot.refresh_from_db()
        _audit(by, "cancel", registration, was=was)
        _announce(registration)
        if was == RegistrationStatus.CONFIRMED and slot.starts_at > now:
            _promote(slot, now)
    return registration


def _release_all(session: ReceptionSession, reason: str, now: datetime) -> None:
    from audit.services import record

    active = Registration.objects.filter(session=session, status__in=ACTIVE_REGISTRATION_STATUSES)
    ids = sorted(active.values_list("pk", flat=True))
    active.update(status=RegistrationStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:255])
    if ids:
        record(action="registrations.release_all", obj=session,
               details={"session": str(session.public_id), "registrations": ids, "count": len(ids)})
    SessionSlot.objects.filter(session=session).update(confirmed_count=0, waitlist_count=0)
    full_slots.invalidate_session(session.pk)


def _schedule_change_notice(session: ReceptionSession) -> None:
    from scheduling.tasks import notify_session_change

    transaction.on_commit(lambda: notify_session_change.delay(session.pk))


def on_session_cancelled(session: ReceptionSession, now: datetime) -> None:
    _release_all(session, _("Phiên tiếp bị hủy: %(r)s") % {"r": session.status_reason}, now)
    _schedule_change_notice(session)


def on_session_postponed(session: ReceptionSession, replacement: ReceptionSession | None, now: datetime) -> None:
    """Move the registrations to the replacement session's slot of the same number, in registration order,
    where they fit; the others are cancelled. Everyone is notified of the change."""
    active = list(Registration.objects.filter(session=session, status__in=ACTIVE_REGISTRATION_STATUSES)
                  .order_by("status", "created_at"))  # confirmed before waitlisted
    _release_all(session, _("Phiên tiếp bị hoãn: %(r)s") % {"r": session.status_reason}, now)
    if replacement is not None:
        slots = {s.index: s for s in SessionSlot.objects.filter(session=replacement)}
        for old in active:
            slot = slots.get(old.slot.index)
            if slot is None:
                continue
            try:
                register(citizen=old.citizen, slot_id=slot.pk, matter_kind=old.matter_kind,
                         matter_summary=old.matter_summary, people_count=old.people_count,
                         representatives=old.representatives, now=now, ignore_deadline=True)
            except RegistrationError:
                continue  # stays cancelled; the notice tells the citizen to register again
    _schedule_change_notice(session)


def mark_attended(registration: Registration, by, now: datetime | None = None) -> Registration:
    from accounts import permissions

    if not permissions.can(by, permissions.Action.SESSION_HOST, registration.session.host_office):
        raise RegistrationError(_("Bạn không có quyền ghi nhận tham dự."), "forbidden")
    updated = Registration.objects.filter(pk=registration.pk, status=RegistrationStatus.CONFIRMED).update(
        status=RegistrationStatus.ATTENDED, attended_at=now or timezone.now())
    if not updated:
        raise RegistrationError(_("Chỉ ghi nhận tham dự cho đăng ký đã xác nhận."), "not_confirmed", "status")
    registration.refresh_from_db()
    _audit(by, "attended", registration)
    return registration


def mark_no_shows(now: datetime | None = None) -> int:
    """Confirmed registrations whose session has ended (plus NO_SHOW_GRACE_MINUTES) without attendance
    become no-shows. Idempotent: only confirmed rows change."""
    from datetime import timedelta

    now = now or timezone.now()
    from audit.services import record

    cutoff = now - timedelta(minutes=settings.NO_SHOW_GRACE_MINUTES)
    with transaction.atomic():
        due = Registration.objects.select_for_update(of=("self",)).filter(
            status=RegistrationStatus.CONFIRMED, session__ends_at__lte=cutoff,
            session__status__in=(SessionStatus.HELD, SessionStatus.OPEN, SessionStatus.PUBLISHED),
        )
        ids = sorted(due.values_list("pk", flat=True))
        if not ids:
            return 0
        count = Registration.objects.filter(pk__in=ids, status=RegistrationStatus.CONFIRMED).update(
            status=RegistrationStatus.NO_SHOW)
        record(action="registrations.no_shows", target_type="scheduling.registration",
               details={"registrations": ids, "count": count})
    return count
