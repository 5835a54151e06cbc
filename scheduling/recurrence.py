"""A reception plan's recurrence rule (RFC 5545 RRULE) in plain Vietnamese, for people who never read an
RRULE: ``FREQ=MONTHLY;BYMONTHDAY=10,25`` → "Ngày 10 và 25 hằng tháng", ``FREQ=WEEKLY;BYDAY=TH`` → "Thứ Năm
hằng tuần", ``FREQ=MONTHLY;BYDAY=1MO`` → "Thứ Hai đầu tiên hằng tháng", ``BYMONTHDAY=-1`` → "Ngày cuối
cùng của mỗi tháng", ``FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1`` → "Ngày 1 tháng 3 hằng năm".

``describe(rule)`` returns the sentence, or ``None`` when the rule uses parts this module does not put
into words (BYSETPOS, COUNT, …); callers then show a generic sentence, never the raw rule to a citizen or a
leader (``describe_or_raw`` is for the admin, which may show the rule itself). Strings go through gettext
(Vietnamese source, English in locale/en)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEEKDAYS = {
    "MO": gettext_lazy("Thứ Hai"), "TU": gettext_lazy("Thứ Ba"), "WE": gettext_lazy("Thứ Tư"),
    "TH": gettext_lazy("Thứ Năm"), "FR": gettext_lazy("Thứ Sáu"), "SA": gettext_lazy("Thứ Bảy"),
    "SU": gettext_lazy("Chủ Nhật"),
}
_KNOWN_KEYS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST", "UNTIL"}


def _join(items: list[str]) -> str:
    """``a``, ``a và b``, ``a, b và c``."""
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s và %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _nth_weekday(token: str) -> str | None:
    """``1MO`` → "Thứ Hai đầu tiên", ``-1FR`` → "Thứ Sáu cuối cùng", ``2TU`` → "Thứ Ba tuần thứ 2"."""
    number, day = token[:-2], token[-2:]
    if day not in WEEKDAYS or not number.lstrip("+-").isdigit():
        return None
    n = int(number)
    if n == 1:
        return _("%(day)s đầu tiên") % {"day": WEEKDAYS[day]}
    if n == -1:
        return _("%(day)s cuối cùng") % {"day": WEEKDAYS[day]}
    if 2 <= n <= 4:
        return _("%(day)s tuần thứ %(n)s") % {"day": WEEKDAYS[day], "n": n}
    return None


def _month_days(values: list[str]) -> tuple[str, bool] | None:
    """``10,25`` → ("10 và 25", False); ``15,-1`` → ("15", True): -1 is the month's last day."""
    numbers, last = set(), False
    for value in values:
        if value == "-1":
            last = True
        elif value.isdigit() and 1 <= int(value) <= 31:
            numbers.add(int(value))
        else:
            return None
    return _join([str(n) for n in sorted(numbers)]), last


def describe(rule: str) -> str | None:
    """The rule in Vietnamese words, or ``None`` if it uses parts not put into words here."""
    raw = (rule or "").strip().removeprefix("RRULE:")
    try:
        parts = dict(item.split("=", 1) for item in raw.upper().split(";") if item)
    except ValueError:
        return None
    if not parts or not parts.keys() <= _KNOWN_KEYS or not parts.get("INTERVAL", "1").isdigit():
        return None
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1"))
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    month_days = [d for d in parts.get("BYMONTHDAY", "").split(",") if d]
    months = [m for m in parts.get("BYMONTH", "").split(",") if m]
    if interval < 1:
        return None
    if months and freq != "YEARLY":
        return None
    if freq in ("WEEKLY", "DAILY") and days and not month_days and all(d in WEEKDAYS for d in days):
        names = _join([str(WEEKDAYS[d]) for d in sorted(days, key=list(WEEKDAYS).index)])
        if interval == 1:
            return _("%(days)s hằng tuần") % {"days": names}
        if freq == "WEEKLY":
            return _("%(days)s, %(n)s tuần một lần") % {"days": names, "n": interval}
        return None
    if freq == "DAILY" and not days and not month_days:
        return _("Hằng ngày") if interval == 1 else _("%(n)s ngày một lần") % {"n": interval}
    if freq == "MONTHLY":
        if month_days and not days:
            found = _month_days(month_days)
            if found is None or (found[1] and interval != 1):
                return None
            numbers, last = found
            if last:
                if not numbers:
                    return _("Ngày cuối cùng của mỗi tháng")
                return _("Ngày %(days)s và ngày cuối cùng của mỗi tháng") % {"days": numbers}
            if interval == 1:
                return _("Ngày %(days)s hằng tháng") % {"days": numbers}
            return _("Ngày %(days)s, %(n)s tháng một lần") % {"days": numbers, "n": interval}
        if days and not month_days and interval == 1:
            named = [_nth_weekday(d) for d in days]
            if all(named):
                return _("%(days)s hằng tháng") % {"days": _join(named)}
        return None
    if freq == "YEARLY" and interval == 1 and not days and month_days and len(months) == 1 \
            and months[0].isdigit() and 1 <= int(months[0]) <= 12:
        found = _month_days(month_days)
        if found is None or found[1]:
            return None
        numbers = found[0]
        return _("Ngày %(days)s tháng %(month)s hằng năm") % {"days": numbers, "month": int(months[0])}
    return None


def describe_or_raw(rule: str) -> str:
    """For the admin: the words, or the rule itself when it has no words here."""
    return describe(rule) or (rule or "").strip().removeprefix("RRULE:")
