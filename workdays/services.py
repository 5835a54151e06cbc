"""The only place that writes calendar overrides (ngày nghỉ bổ sung / ngày làm bù).

Every committed write invalidates the cached calendar (``transaction.on_commit``), so deadlines computed
afterwards see the change.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .calendar import WorkingCalendar, as_date, invalidate_calendar_cache
from .models import CalendarOverride

Kind = CalendarOverride.Kind


class CalendarError(ValueError):
    """A refused calendar change; ``field`` names the offending input (``date``, ``kind``, ``reason``)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def check_override(day: date, kind: str, reason: str) -> str:
    """Validate an override and return the cleaned reason; raise ``CalendarError`` if it is refused.

    An override must change something: a ngày làm bù on a date that is already a working day, or a
    ngày nghỉ bổ sung on a date already off (weekend, ngày nghỉ lễ), is redundant. "Already" refers to the
    ``holidays`` package calendar, i.e. without any override on that date.
    """
    if not isinstance(day, date):
        raise CalendarError(_("Ngày không hợp lệ."), "date")
    if kind not in Kind.values:
        raise CalendarError(_("Loại điều chỉnh không hợp lệ."), "kind")
    reason = (reason or "").strip()
    if not reason:
        raise CalendarError(_("Vui lòng nhập lý do."), "reason")
    if len(reason) > CalendarOverride._meta.get_field("reason").max_length:
        raise CalendarError(_("Lý do quá dài (tối đa 255 ký tự)."), "reason")
    working = WorkingCalendar(country=settings.WORKDAYS_HOLIDAY_COUNTRY).is_working_day(day)
    if kind == Kind.WORKING_DAY and working:
        raise CalendarError(_("Ngày %(date)s đã là ngày làm việc; không cần ngày làm bù.")
                            % {"date": day.strftime("%d/%m/%Y")}, "date")
    if kind == Kind.DAY_OFF and not working:
        raise CalendarError(_("Ngày %(date)s đã là ngày nghỉ; không cần ngày nghỉ bổ sung.")
                            % {"date": day.strftime("%d/%m/%Y")}, "date")
    return reason


@transaction.atomic
def set_override(day: date, kind: str, reason: str, by_user=None) -> CalendarOverride:
    """Create or update the override for ``day``. ``by_user`` is recorded as ``created_by`` on creation."""
    reason = check_override(day, kind, reason)
    day = as_date(day)
    user = by_user if by_user is not None and getattr(by_user, "is_authenticated", False) else None
    override, _created = CalendarOverride.objects.update_or_create(
        date=day,
        defaults={"kind": kind, "reason": reason},
        create_defaults={"kind": kind, "reason": reason, "created_by": user},
    )
    transaction.on_commit(invalidate_calendar_cache)
    return override


@transaction.atomic
def remove_override(day: date) -> bool:
    """Delete the override for ``day`` (back to the package calendar). Returns False if there was none."""
    deleted, _detail = CalendarOverride.objects.filter(date=as_date(day)).delete()
    if deleted:
        transaction.on_commit(invalidate_calendar_cache)
    return bool(deleted)
