"""Legal deadlines of a case (thời hạn), as pure functions of dates, flags and a working-day calendar.

Day counting (the choices, see docs/cases.md):

* "N working days" (ngày làm việc: the notice to the citizen after a reception) = the N-th working day
  strictly after the reception day (``WorkingCalendar.working_days_after``).
* "N days" (ngày: acceptance, resolution, extensions) = calendar days counted from the day after the start
  date (start + N); when that end date is a weekend or a holiday (Tết…) it moves to the next working day
  (``WorkingCalendar.calendar_days_deadline``). Extensions of a denunciation are added to the base limit
  before the move (30 + 30 + 30 calendar days, then one move), so a holiday inside the period does not
  shift the deadline twice.
* A warning is due on the N-th working day BEFORE the deadline; escalation when the deadline passed more
  than ``CASE_ESCALATION_DELAY_DAYS`` calendar days ago.

Every limit is a setting read with ``getattr(settings, NAME, default)``.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

DEFAULT_COMPLAINT_RESOLUTION_DAYS = {
    # (second time?, remote?, complex?) → days. Law on Complaints 2011, art. 28 and 37.
    "first": 30, "first_complex": 45, "first_remote": 45, "first_remote_complex": 60,
    "second": 45, "second_complex": 60, "second_remote": 60, "second_remote_complex": 70,
}


def setting(name: str, default):
    return getattr(settings, name, default)


def citizen_notice_working_days() -> int:
    return setting("CASE_CITIZEN_NOTICE_WORKING_DAYS", 10)


def complaint_accept_days() -> int:
    return setting("CASE_COMPLAINT_ACCEPT_DAYS", 10)


def denunciation_resolution_days() -> int:
    return setting("CASE_DENUNCIATION_RESOLUTION_DAYS", 30)


def denunciation_extension_max_days() -> int:
    return setting("CASE_DENUNCIATION_EXTENSION_MAX_DAYS", 30)


def denunciation_max_extensions() -> int:
    return setting("CASE_DENUNCIATION_MAX_EXTENSIONS", 2)


def warning_working_days() -> int:
    return setting("CASE_DEADLINE_WARNING_WORKING_DAYS", 3)


def escalation_delay_days() -> int:
    return setting("CASE_ESCALATION_DELAY_DAYS", 5)


def filed_keep_years() -> int:
    return setting("CASE_FILED_KEEP_YEARS", 1)


def _calendar(cal):
    if cal is not None:
        return cal
    from workdays.calendar import get_calendar

    return get_calendar()


def complaint_resolution_days(*, second_time: bool, remote: bool, complex_: bool) -> int:
    table = {**DEFAULT_COMPLAINT_RESOLUTION_DAYS, **setting("CASE_COMPLAINT_RESOLUTION_DAYS", {})}
    key = ("second" if second_time else "first") + ("_remote" if remote else "") + ("_complex" if complex_ else "")
    return int(table[key])


def citizen_notice_due(received_on: date, cal=None) -> date:
    """Notify the citizen how the matter is handled: N working days after the reception."""
    return _calendar(cal).working_days_after(received_on, citizen_notice_working_days())


def acceptance_due(kind: str, received_on: date, cal=None) -> date | None:
    """Accept (thụ lý) a complaint: N days from receipt. Other kinds have no acceptance limit here."""
    if kind != "complaint":
        return None
    return _calendar(cal).calendar_days_deadline(received_on, complaint_accept_days())


def resolution_days(kind: str, *, second_time: bool = False, remote: bool = False, complex_: bool = False,
                    extension_days=()) -> int | None:
    """The resolution limit in calendar days, or None for kinds without one (petition, report)."""
    if kind == "complaint":
        return complaint_resolution_days(second_time=second_time, remote=remote, complex_=complex_)
    if kind == "denunciation":
        return denunciation_resolution_days() + sum(int(d) for d in extension_days)
    return None


def resolution_due(kind: str, accepted_on: date | None, *, second_time: bool = False, remote: bool = False,
                   complex_: bool = False, extension_days=(), cal=None) -> date | None:
    if accepted_on is None:
        return None
    days = resolution_days(kind, second_time=second_time, remote=remote, complex_=complex_,
                           extension_days=extension_days)
    if days is None:
        return None
    return _calendar(cal).calendar_days_deadline(accepted_on, days)


def filed_until(filed_on: date) -> date:
    """An ineligible petition is kept 1 year (29 Feb → 28 Feb)."""
    years = filed_keep_years()
    try:
        return filed_on.replace(year=filed_on.year + years)
    except ValueError:
        return filed_on.replace(year=filed_on.year + years, day=28)


def working_days_before(d: date, n: int, cal=None) -> date:
    """The n-th working day strictly before ``d`` (n == 0: ``d`` itself)."""
    cal = _calendar(cal)
    for _ in range(n):
        d = cal.on_or_before(d - timedelta(days=1))
    return d


def warning_date(due: date, cal=None) -> date:
    return working_days_before(due, warning_working_days(), cal)


def escalation_date(due: date) -> date:
    return due + timedelta(days=escalation_delay_days())


def phase(due: date, today: date, cal=None) -> str | None:
    """Where ``today`` stands against ``due``: ``"warning"`` (within the warning window, due not passed),
    ``"overdue"`` (passed), ``"escalation"`` (passed by more than the escalation delay) or None."""
    if today > due:
        return "escalation" if today >= escalation_date(due) else "overdue"
    if today >= warning_date(due, cal):
        return "warning"
    return None
