"""Working-day arithmetic for Vietnam (lịch ngày làm việc) used for legal deadlines (thời hạn).

A day is a working day (ngày làm việc) unless it is a weekend or a public holiday (ngày nghỉ lễ, Tết) in
the ``holidays`` package's Vietnam calendar. The package already knows the substitute days off and the
Saturdays worked in exchange (``weekend_workdays``, e.g. 2026-08-22). Administrator overrides
(``CalendarOverride``: ngày nghỉ bổ sung / ngày làm bù) take precedence over both.

``WorkingCalendar`` is pure (no database); ``get_calendar()`` builds one from the overrides stored in the
database, cached with Django's cache framework under a versioned key that ``invalidate_calendar_cache()``
bumps (``workdays.services`` calls it after each committed write).
"""

from __future__ import annotations

import operator
import time
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

MAX_DAYS = 3660  # ~10 years: the largest n accepted, and the bound on every scan
_ONE_DAY = timedelta(days=1)
# Longest run of consecutive non-working days we tolerate while scanning (Tết is ~9; overrides may add).
_MAX_GAP = 400


def as_date(value: date) -> date:
    """``value`` as a plain ``date`` (a ``datetime`` is truncated); anything else is a TypeError."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


def _check_n(n: int) -> int:
    n = operator.index(n)
    if n < 0:
        raise ValueError("n must be >= 0")
    if n > MAX_DAYS:
        raise ValueError(f"n must be <= {MAX_DAYS}")
    return n


class WorkingCalendar:
    """Vietnam's working-day calendar: ``holidays`` package + overrides (True = ngày làm việc / ngày làm
    bù, False = ngày nghỉ). Overrides win over the package."""

    def __init__(self, overrides: dict[date, bool] | None = None, *, country: str = "VN",
                 language: str | None = "vi"):
        self.overrides = dict(overrides or {})
        self._holidays = holidays.country_holidays(country, language=language)

    def is_working_day(self, d: date) -> bool:
        """Is ``d`` a working day (ngày làm việc)? Weekends and ngày nghỉ lễ are not, ngày làm bù is."""
        d = as_date(d)
        if d in self.overrides:
            return self.overrides[d]
        try:
            return self._holidays.is_working_day(d)
        except OverflowError as exc:  # pragma: no cover - dates near year 9999
            raise ValueError("date out of range") from exc

    def _next(self, d: date) -> date:
        try:
            return d + _ONE_DAY
        except OverflowError as exc:
            raise ValueError("date out of range") from exc

    def on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, else the next working day."""
        d = as_date(d)
        for _ in range(_MAX_GAP):
            if self.is_working_day(d):
                return d
            d = self._next(d)
        raise ValueError(f"no working day within {_MAX_GAP} days")

    def on_or_before(self, d: date) -> date:
        """``d`` if it is a working day, else the previous working day."""
        d = as_date(d)
        for _ in range(_MAX_GAP):
            if self.is_working_day(d):
                return d
            try:
                d = d - _ONE_DAY
            except OverflowError as exc:
                raise ValueError("date out of range") from exc
        raise ValueError(f"no working day within {_MAX_GAP} days")

    def working_days_after(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` ("sau n ngày làm việc"); n == 0 gives ``on_or_after(d)``."""
        d, n = as_date(d), _check_n(n)
        if n == 0:
            return self.on_or_after(d)
        for _ in range(n):
            d = self.on_or_after(self._next(d))
        return d

    def calendar_days_deadline(self, d: date, n: int) -> date:
        """``d`` + n calendar days; a deadline that lands on a non-working day (ngày nghỉ) moves to the next
        working day."""
        d, n = as_date(d), _check_n(n)
        try:
            end = d + timedelta(days=n)
        except OverflowError as exc:
            raise ValueError("date out of range") from exc
        return self.on_or_after(end)

    def count_working_days(self, start: date, end: date) -> int:
        """Number of working days in the half-open range (start, end]."""
        start, end = as_date(start), as_date(end)
        if end < start:
            raise ValueError("end must not be before start")
        span = (end - start).days
        if span > MAX_DAYS:
            raise ValueError(f"range must be at most {MAX_DAYS} days")
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Public holidays (ngày nghỉ lễ, incl. substitute days) in [start, end] from the package, sorted.

        Overrides are not included here: they are listed separately (``CalendarOverride``).
        """
        start, end = as_date(start), as_date(end)
        if end < start:
            return []
        if (end - start).days > MAX_DAYS:
            raise ValueError(f"range must be at most {MAX_DAYS} days")
        days = self._holidays[start:self._next(end)]  # slicing is end-exclusive
        return [(d, self._holidays[d]) for d in sorted(days)]


# --- Database-backed calendar ------------------------------------------------------------------------

_VERSION_KEY = "workdays:overrides:version"
_CACHE_TIMEOUT = 6 * 3600


def _cache_version() -> int:
    version = cache.get(_VERSION_KEY)
    if version is None:
        # A fresh, time-based version never collides with a stale entry from an evicted version key.
        cache.add(_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(_VERSION_KEY, 0)
    return version


def invalidate_calendar_cache() -> None:
    """Bump the cache version so the next ``get_calendar()`` reloads the overrides from the database."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # key missing
        cache.set(_VERSION_KEY, time.time_ns(), timeout=None)


def load_overrides() -> dict[date, bool]:
    """All overrides from the database: {date: True for ngày làm bù, False for ngày nghỉ bổ sung}."""
    from .models import CalendarOverride

    return {o.date: o.is_working for o in CalendarOverride.objects.only("date", "kind")}


def _holiday_language() -> str:
    return "en_US" if (get_language() or "").startswith("en") else "vi"


def get_calendar() -> WorkingCalendar:
    """The calendar for ``settings.WORKDAYS_HOLIDAY_COUNTRY`` with the (cached) database overrides.

    Holiday names follow the active language (Vietnamese unless English is active).
    """
    key = f"workdays:overrides:v{_cache_version()}"
    overrides = cache.get(key)
    if overrides is None:
        overrides = load_overrides()
        cache.set(key, overrides, timeout=_CACHE_TIMEOUT)
    return WorkingCalendar(overrides, country=settings.WORKDAYS_HOLIDAY_COUNTRY, language=_holiday_language())


def is_working_day(d: date) -> bool:
    """Is ``d`` a working day (ngày làm việc), overrides included?"""
    return get_calendar().is_working_day(d)


def working_days_after(d: date, n: int) -> date:
    """The n-th working day strictly after ``d``."""
    return get_calendar().working_days_after(d, n)


def calendar_days_deadline(d: date, n: int) -> date:
    """``d`` + n calendar days, moved to the next working day if it lands on a day off."""
    return get_calendar().calendar_days_deadline(d, n)


def on_or_after(d: date) -> date:
    """``d`` if it is a working day, else the next working day."""
    return get_calendar().on_or_after(d)
