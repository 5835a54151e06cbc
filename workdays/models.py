"""Administrator corrections to the working-day calendar (lịch ngày làm việc).

The public holidays (ngày nghỉ lễ, Tết) come from the ``holidays`` package; a ``CalendarOverride`` records
what the Government decides on top of it each year: an extra day off (ngày nghỉ bổ sung) or a make-up
working day (ngày làm bù), typically a Saturday worked to compensate for a bridged day off.
Write overrides only through ``workdays.services`` so that the cached calendar is invalidated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ bổ sung")
        WORKING_DAY = "working_day", _("Ngày làm bù")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("lý do"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("điều chỉnh lịch làm việc")
        verbose_name_plural = _("điều chỉnh lịch làm việc")

    def __str__(self):
        return f"{self.date.isoformat()} — {self.get_kind_display()}"

    @property
    def is_working(self) -> bool:
        """True for a make-up working day (ngày làm bù), False for an extra day off."""
        return self.kind == self.Kind.WORKING_DAY
