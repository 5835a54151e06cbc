"""Recordings of reception sessions (bản ghi hình, ghi âm buổi tiếp công dân)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Recording(models.Model):
    """One participant's media over one recording period (the host's ``host.recording`` on → off), as a
    WebM file (VP8 + Opus) in the storage. Per participant, not a composite: each voice and picture stays
    separate for the minutes and for a later complaint. What is recorded is what the room heard and saw: a
    muted participant's audio is silence here too. A reconnection starts a new segment (a new row)."""

    session = models.ForeignKey("reception_sessions.ReceptionSession", on_delete=models.PROTECT,
                                related_name="recordings", verbose_name=_("phiên tiếp"))
    participant = models.CharField(_("người tham gia (mã trong phòng)"), max_length=20,
                                   help_text=_("mã người tham gia trong phòng, ví dụ u42"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("người dùng"))
    role = models.CharField(_("vai trò"), max_length=20)
    file = models.FileField(_("tệp"), upload_to="recordings/%Y/%m/")
    started_at = models.DateTimeField(_("bắt đầu lúc"))
    stopped_at = models.DateTimeField(_("kết thúc lúc"))
    duration_seconds = models.FloatField(_("thời lượng (giây)"))
    size_bytes = models.BigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    present = models.JSONField(_("người có mặt"), default=list,
                               help_text=_("những người đã được mời vào phòng khi đoạn ghi kết thúc"))

    class Meta:
        verbose_name = _("bản ghi hình, ghi âm")
        verbose_name_plural = _("bản ghi hình, ghi âm")
        ordering = ["session", "started_at", "participant"]
        constraints = [models.CheckConstraint(condition=models.Q(stopped_at__gte=models.F("started_at")),
                                              name="recording_stops_after_it_starts")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.participant} {self.started_at:%Y-%m-%d %H:%M:%S}"
