"""WebSocket consumers. They translate frames to service calls and events to frames, nothing more.

``EventStreamConsumer`` (``/ws/events/``) is a signed-in person's live feed: events for them and for the
offices where they hold a role (e.g. office notices). Room signaling for a reception session arrives with
the live-room work and follows the same shape.

Frames are JSON objects ``{"v": 1, "type": ..., "id": ..., ...}``. Every error is a typed frame
``{"type": "error", "code": ..., "message": ..., "reply_to": id}``; the socket stays open.
"""

from __future__ import annotations

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.events import office_group, user_group

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024


@database_sync_to_async
def _office_ids(user) -> list[int]:
    from accounts import permissions

    return list(permissions.offices_for(user, permissions.Action.OFFICE_POST_NOTICE).values_list("pk", flat=True))


@database_sync_to_async
def _post_notice(user, office_id, text) -> int:
    from offices import services
    from offices.models import Office

    office = Office.objects.filter(pk=office_id, is_active=True).first()
    if office is None:
        raise DomainError("Không tìm thấy cơ quan.", "not_found", "office")
    return services.post_notice(user, office, text).pk


class EventStreamConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        from signaling.room_consumer import client_language

        self.lang = client_language(self.scope)  # messages in the client's language, as on the room socket
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = [user_group(user.pk)] + [office_group(pk) for pk in await _office_ids(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_frame({"type": "ready", "groups": len(self.groups_joined)})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps({"v": PROTOCOL_VERSION, **frame}, ensure_ascii=False))

    async def send_error(self, code: str, message, reply_to=None) -> None:
        with translation.override(getattr(self, "lang", None)):
            message = str(message)
        await self.send_frame({"type": "error", "code": code, "message": message, "reply_to": reply_to})

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.send_error("binary_not_supported", _("Chỉ nhận khung tin dạng văn bản."))
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send_error("frame_too_large", format_lazy(_("Mỗi khung tin tối đa {limit} byte."),
                                                                limit=MAX_FRAME_BYTES))
            return
        try:
            frame = json.loads(text_data)
        except json.JSONDecodeError:
            await self.send_error("malformed_json", _("Khung tin không phải JSON hợp lệ."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("invalid_frame", _("Khung tin cần trường \"type\" là một chuỗi."))
            return
        reply_to = frame.get("id") if isinstance(frame.get("id"), (str, int)) else None
        handler = {"ping": self.on_ping, "office.notice": self.on_office_notice}.get(frame["type"])
        if handler is None:
            await self.send_error("unknown_type", format_lazy(_("Không có loại khung tin {kind}."),
                                                              kind=repr(frame["type"][:40])), reply_to)
            return
        try:
            await handler(frame, reply_to)
        except DomainError as exc:
            await self.send_error(exc.code, exc.message, reply_to)

    async def on_ping(self, frame, reply_to):
        await self.send_frame({"type": "pong", "reply_to": reply_to})

    async def on_office_notice(self, frame, reply_to):
        office_id, text = frame.get("office"), frame.get("text")
        if not isinstance(office_id, int) or isinstance(office_id, bool) or not isinstance(text, str):
            await self.send_error("invalid_frame", _("office.notice cần \"office\" là số nguyên và \"text\" là chuỗi."),
                                  reply_to)
            return
        notice_id = await _post_notice(self.scope["user"], office_id, text)
        await self.send_frame({"type": "ack", "reply_to": reply_to, "notice": notice_id})

    async def event_push(self, message):
        """A services-layer event from the channel layer (core.events)."""
        await self.send_frame({"type": "event", "event": message["event"]})
