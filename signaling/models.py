"""The live room of a reception session. The room's state (``RoomState`` as JSON) lives in PostgreSQL and is
changed only under a row lock by ``signaling.services``: every Daphne process sees the same room, and a
Redis restart loses messages in flight, never the room."""

from django.conf import settings
from django.db import models

from core.crypto import EncryptedJSONField


class Room(models.Model):
    session = models.OneToOneField("reception_sessions.ReceptionSession", on_delete=models.CASCADE,
                                   related_name="room")
    # Names of the people in the room (citizens' included): encrypted at rest, once per write.
    state = EncryptedJSONField(default=dict)
    resume_hashes = models.JSONField(default=dict)  # participant id → hash of their current resume token
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"room of {self.session_id}"


class RoomEvent(models.Model):
    """Every event sent to an audience, with its sequence number: replayed to a participant who reconnects
    or notices a gap (channels-redis drops messages to full channels; pub/sub loses them across a Redis
    restart)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    audience = models.CharField(max_length=48)
    frame = EncryptedJSONField(default=dict)  # may carry a name or chat text: encrypted at rest
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="room_event_unique_seq")]
        ordering = ["room", "seq"]

    def __str__(self):
        return f"{self.room_id}#{self.seq} {self.frame.get('type')}"


class RoomRecord(models.Model):
    """Facts of the reception kept for the minutes and the audit: who joined, was admitted or refused (with
    the legal ground), identity checks, removals, recording, the end."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="records")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    data = EncryptedJSONField(default=dict)  # free-text notes of a refusal or removal: encrypted at rest

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} @ {self.room_id}"
