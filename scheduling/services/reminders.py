"""Messages to registered citizens: reminders before their slot, and notices of changes.

Each task run is safe to repeat and safe to run late:

* a reminder is claimed row by row (``SELECT … FOR UPDATE SKIP LOCKED``), sent, and marked in the same
  transaction: two workers never send it twice, and a failed send is retried on the next run;
* after an outage only what is still useful goes out: once the 1-hour reminder is due, the 24-hour one is
  passed over (marked, not sent); a reminder whose slot has ended is passed over too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify_user
from scheduling.links import join_url
from scheduling.models import Registration, RegistrationStatus
from sessions.models import ReceptionSession, SessionStatus


@dataclass
class ReminderReport:
    sent_24h: int = 0
    sent_1h: int = 0
    passed_over: int = 0


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%H:%M %d/%m/%Y")


def _reminder_text(registration: Registration, early: bool) -> tuple[str, str]:
    session = registration.session
    when = _local(registration.slot_starts_at)
    subject = _("Nhắc lịch tiếp công dân")
    if early:
        body = _("Nhắc lịch: bạn có lượt tiếp công dân lúc %(when)s tại %(office)s. Tham gia: %(link)s")
    else:
        body = _("Sắp đến lượt của bạn (%(when)s, %(office)s). Vào phòng chờ: %(link)s")
    return subject, body % {"when": when, "office": session.host_office.name, "link": join_url(registration)}


def _due(field: str, now: datetime, hours: int):
    return Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED, **{f"{field}__isnull": True},
        session__status__in=(SessionStatus.PUBLISHED, SessionStatus.OPEN),
        slot_starts_at__lte=now + timedelta(hours=hours),
    )


def send_due_reminders(now: datetime | None = None) -> ReminderReport:
    now = now or timezone.now()
    report = ReminderReport()
    early_h, late_h = settings.REMINDER_EARLY_HOURS, settings.REMINDER_LATE_HOURS
    for pk in list(_due("reminder_24h_at", now, early_h).values_list("pk", flat=True)):
        with transaction.atomic():
            reg = (_due("reminder_24h_at", now, early_h).select_for_update(skip_locked=True, of=("self",))
                   .select_related("session__host_office", "citizen").filter(pk=pk).first())
            if reg is None:
                continue  # another worker has it, or it changed
            useful = now < reg.slot_starts_at - timedelta(hours=late_h)
            if useful:
                notify_user(reg.citizen, *_reminder_text(reg, early=True))
                report.sent_24h += 1
            else:
                report.passed_over += 1
            Registration.objects.filter(pk=pk).update(reminder_24h_at=now, reminder_24h_sent=useful)
    for pk in list(_due("reminder_1h_at", now, late_h).values_list("pk", flat=True)):
        with transaction.atomic():
            reg = (_due("reminder_1h_at", now, late_h).select_for_update(skip_locked=True, of=("self",))
                   .select_related("session__host_office", "citizen").filter(pk=pk).first())
            if reg is None:
                continue
            if now < reg.slot_ends_at:
                notify_user(reg.citizen, *_reminder_text(reg, early=False))
                report.sent_1h += 1
            else:
                report.passed_over += 1
            updates = {"reminder_1h_at": now}
            if reg.reminder_24h_at is None:  # the 24 h reminder's time is gone too
                updates["reminder_24h_at"] = now
            Registration.objects.filter(pk=pk).update(**updates)
    return report


def notify_session_change(session_id: int) -> int:
    """Tell each registrant of a postponed or cancelled session, once per change (``sequence``)."""
    session = ReceptionSession.objects.select_related("host_office", "replaced_by").get(pk=session_id)
    sent = 0
    for reg in Registration.objects.filter(session=session, notified_sequence__lt=session.sequence).select_related(
            "citizen"):
        with transaction.atomic():
            claimed = Registration.objects.filter(pk=reg.pk, notified_sequence__lt=session.sequence).update(
                notified_sequence=session.sequence)
            if not claimed:
                continue
            notify_user(reg.citizen, *_change_text(session))
            sent += 1
    return sent


def _change_text(session: ReceptionSession) -> tuple[str, str]:
    values = {"when": _local(session.starts_at), "office": session.host_office.name, "reason": session.status_reason}
    if session.status == SessionStatus.CANCELLED:
        return _("Hủy buổi tiếp công dân"), _(
            "Buổi tiếp công dân lúc %(when)s tại %(office)s đã bị hủy. Lý do: %(reason)s") % values
    if session.replaced_by_id:
        values["new"] = _local(session.replaced_by.starts_at)
        return _("Hoãn buổi tiếp công dân"), _(
            "Buổi tiếp lúc %(when)s tại %(office)s được hoãn sang %(new)s. Lý do: %(reason)s. "
            "Xem lại đăng ký của bạn trên cổng tiếp công dân.") % values
    return _("Hoãn buổi tiếp công dân"), _(
        "Buổi tiếp lúc %(when)s tại %(office)s được hoãn. Lý do: %(reason)s") % values


def notify_registration(registration_id: int, what: str) -> bool:
    reg = Registration.objects.select_related("citizen", "session__host_office").get(pk=registration_id)
    if what == "promoted" and reg.status == RegistrationStatus.CONFIRMED:
        return notify_user(reg.citizen, _("Đăng ký tiếp công dân đã được xác nhận"), _(
            "Đã có chỗ cho bạn: lượt tiếp lúc %(when)s tại %(office)s được xác nhận.") % {
            "when": _local(reg.slot_starts_at), "office": reg.session.host_office.name})
    return False
