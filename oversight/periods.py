"""Report periods of circular 01/2024/TT-TTCP (shared/DOMAIN.md "Reports"): data run from the 15th of the last
month of the previous quarter to the 14th of the last month of the quarter.

======  =====================================  ======================
key     period                                 example (year 2026)
======  =====================================  ======================
q1      15 Dec of the previous year – 14 Mar   15/12/2025 – 14/03/2026
q2      15 Mar – 14 Jun                        15/03/2026 – 14/06/2026
q3      15 Jun – 14 Sep                        15/06/2026 – 14/09/2026
q4      15 Sep – 14 Dec                        15/09/2026 – 14/12/2026
6m      15 Dec – 14 Jun                        15/12/2025 – 14/06/2026
9m      15 Dec – 14 Sep                        15/12/2025 – 14/09/2026
year    15 Dec – 14 Dec                        15/12/2025 – 14/12/2026
======  =====================================  ======================

A period is named ``<key>-<year>`` (``q1-2026``). Pure: no database.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

CUTOFF_DAY = 15  # data of a report period start on the 15th and end on the 14th

KINDS = ("q1", "q2", "q3", "q4", "6m", "9m", "year")
LABELS = {
    "q1": _("Quý I"), "q2": _("Quý II"), "q3": _("Quý III"), "q4": _("Quý IV"),
    "6m": _("6 tháng"), "9m": _("9 tháng"), "year": _("Cả năm"),
}
# (first quarter, last quarter) each kind covers.
_QUARTERS = {"q1": (1, 1), "q2": (2, 2), "q3": (3, 3), "q4": (4, 4), "6m": (1, 2), "9m": (1, 3), "year": (1, 4)}


@dataclass(frozen=True)
class Period:
    key: str  # "q1-2026", or "" for a custom range
    start: date  # inclusive
    end: date  # inclusive

    @property
    def label(self) -> str:
        if not self.key:
            return _("Từ %(a)s đến %(b)s") % {"a": self.start.strftime("%d/%m/%Y"), "b": self.end.strftime("%d/%m/%Y")}
        kind, year = self.key.rsplit("-", 1)
        return _("%(kind)s năm %(year)s") % {"kind": LABELS[kind], "year": year}

    @property
    def months(self) -> float:
        return months_between(self.start, self.end)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": str(self.label), "from": self.start.isoformat(), "to": self.end.isoformat(),
                "months": round(self.months, 2)}


def _quarter_start(year: int, quarter: int) -> date:
    month = 3 * (quarter - 1)  # the last month of the previous quarter
    return date(year - 1, 12, CUTOFF_DAY) if month == 0 else date(year, month, CUTOFF_DAY)


def _quarter_end(year: int, quarter: int) -> date:
    return date(year, 3 * quarter, CUTOFF_DAY - 1)


def period(kind: str, year: int) -> Period:
    if kind not in _QUARTERS:
        raise ValueError(f"unknown period kind {kind!r}")
    first, last = _QUARTERS[kind]
    return Period(f"{kind}-{year}", _quarter_start(year, first), _quarter_end(year, last))


def periods_of(year: int) -> list[Period]:
    """Q1..Q4, 6 months, 9 months and the year, for report year ``year``."""
    return [period(kind, year) for kind in KINDS]


def report_year(day: date) -> int:
    """The report year a day belongs to: from 15 Dec the data count for the next year."""
    return day.year + 1 if (day.month, day.day) >= (12, CUTOFF_DAY) else day.year


def current(day: date) -> Period:
    """The quarter whose data include ``day`` (the current report period)."""
    year = report_year(day)
    for quarter in (1, 2, 3, 4):
        if day <= _quarter_end(year, quarter):
            return period(f"q{quarter}", year)
    raise AssertionError("unreachable")  # pragma: no cover


def parse(key: str) -> Period | None:
    """``q1-2026`` → its Period; None when the key is not a period."""
    kind, _sep, year = (key or "").strip().lower().rpartition("-")
    if kind not in _QUARTERS or not year.isdigit() or not 2000 <= int(year) <= 2100:
        return None
    return period(kind, int(year))


def months_between(start: date, end: date) -> float:
    """Length of [start, end] in months: whole months from ``start`` plus the fraction of the last one
    (15 Dec – 14 Mar is exactly 3; 1 – 15 Jan is 15/31)."""
    if end < start:
        return 0.0
    stop = end + timedelta(days=1)  # exclusive
    whole = (stop.year - start.year) * 12 + stop.month - start.month
    if _add_months(start, whole) > stop:
        whole -= 1
    anchor = _add_months(start, whole)
    following = _add_months(start, whole + 1)
    return whole + (stop - anchor).days / (following - anchor).days


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def required_days(per_month: int, months: float) -> int:
    """The legal minimum of reception days over a period: per-month minimum × months, rounded up
    (a partial month asks for its share, at least one day once the period has started)."""
    return math.ceil(round(per_month * months, 6))
