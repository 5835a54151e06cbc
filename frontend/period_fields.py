"""The report-period picker shared by the dashboard and the reception log: a "period" choice (the report
periods of this and last year, shared/DOMAIN.md "Reports", or "custom") and the "from"/"to" dates used with
"custom". ``from`` is a Python keyword, so the fields are added to the form here, not declared."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oversight import periods

CUSTOM = "custom"  # the period selector's "dates below" choice
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def add_period_fields(form: forms.Form, today: date, *, with_dates_in_labels: bool = False) -> None:
    """Add the date fields and fill the "period" field's choices (the form declares "period")."""
    for name, label in (("from", gettext_lazy("Từ ngày")), ("to", gettext_lazy("Đến ngày"))):
        form.fields[name] = forms.DateField(
            label=label, required=False, input_formats=DATE_INPUT_FORMATS,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    year = periods.report_year(today)
    choices = [(CUSTOM, _("Khoảng thời gian tự chọn (nhập ngày bên dưới)"))]
    for y in (year, year - 1):
        choices.append((str(y), [
            (p.key, f"{p.label} ({p.start:%d/%m/%Y} – {p.end:%d/%m/%Y})" if with_dates_in_labels else str(p.label))
            for p in periods.periods_of(y)]))
    form.fields["period"].choices = choices
