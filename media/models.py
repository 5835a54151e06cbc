"""Recordings of reception sessions (bản ghi hình, ghi âm buổi tiếp công dân)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Recording(models.Model):
    """One participant's media over one recording period (the host's ``host.recording`` on → off), as a
    WebM file (VP8 + Opus) in the storage. Per participant, not a composite: each voice and picture stays
    separate for the minutes and for a later complaint. What is recorded is what the room heard and saw: a
    muted participant's audio is silence here too. A reconnection starts a new segment (a new row)."""

    session = models.ForeignKey("reception_sessions.ReceptionSession", on_delete=models.PROTECT,
                                related_name="recordings")
    participant = models.CharField(max_length=20, help_text="room participant id, e.g. u42")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=20)
    file = models.FileField(upload_to="recordings/%Y/%m/")
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField()
    duration_seconds = models.FloatField()
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    present = models.JSONField(default=list, help_text="participants admitted when the segment ended")

    class Meta:
        ordering = ["session", "started_at", "participant"]
        constraints = [models.CheckConstraint(condition=models.Q(stopped_at__gte=models.F("started_at")),
                                              name="recording_stops_after_it_starts")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.participant} {self.started_at:%Y-%m-%d %H:%M:%S}"
