"""The live room of a reception session. The room's state (``RoomState`` as JSON) lives in PostgreSQL and is
changed only under a row lock by ``signaling.services``: every Daphne process sees the same room, and a
Redis restart loses messages in flight, never the room."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedJSONField


class Room(models.Model):
    session = models.OneToOneField("reception_sessions.ReceptionSession",
                                   verbose_name=_("phiên tiếp công dân"), on_delete=models.CASCADE,
                                   related_name="room")
    # Names of the people in the room (citizens' included): encrypted at rest, once per write.
    state = EncryptedJSONField(_("trạng thái phòng"), default=dict)
    # participant id → hash of their current resume token
    resume_hashes = models.JSONField(_("mã vào lại phòng (đã băm)"), default=dict)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("phòng tiếp trực tuyến")
        verbose_name_plural = _("phòng tiếp trực tuyến")

    def __str__(self):
        return f"room of {self.session_id}"


class RoomEvent(models.Model):
    """Every event sent to an audience, with its sequence number: replayed to a participant who reconnects
    or notices a gap (channels-redis drops messages to full channels; pub/sub loses them across a Redis
    restart)."""

    room = models.ForeignKey(Room, verbose_name=_("phòng tiếp trực tuyến"), on_delete=models.CASCADE,
                             related_name="events")
    seq = models.PositiveIntegerField(_("số thứ tự"))
    audience = models.CharField(_("người nhận"), max_length=48)
    # may carry a name or chat text: encrypted at rest
    frame = EncryptedJSONField(_("nội dung sự kiện"), default=dict)
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("sự kiện trong phòng")
        verbose_name_plural = _("sự kiện trong phòng")
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="room_event_unique_seq")]
        ordering = ["room", "seq"]

    def __str__(self):
        return f"{self.room_id}#{self.seq} {self.frame.get('type')}"


class RoomRecord(models.Model):
    """Facts of the reception kept for the minutes and the audit: who joined, was admitted or refused (with
    the legal ground), identity checks, removals, recording, the end."""

    room = models.ForeignKey(Room, verbose_name=_("phòng tiếp trực tuyến"), on_delete=models.CASCADE,
                             related_name="records")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    kind = models.CharField(_("loại sự kiện"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người liên quan"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    # free-text notes of a refusal or removal: encrypted at rest
    data = EncryptedJSONField(_("dữ liệu"), default=dict)

    class Meta:
        verbose_name = _("ghi nhận trong phòng")
        verbose_name_plural = _("ghi nhận trong phòng")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} @ {self.room_id}"
