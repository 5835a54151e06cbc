"""Real-time events: the services layer calls :func:`send_event_on_commit`; the event reaches the channel
layer only after the surrounding transaction commits (nothing is announced that was rolled back).

Group names are built here and nowhere else, so a newcomer finds every real-time audience in one place.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def office_group(office_id: int) -> str:
    return f"office.{office_id}"


def push_event(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send now (use only outside a transaction, e.g. from a consumer). Failures are logged, not raised:
    a dropped notification must never undo a saved write."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "event.push", "event": {"type": event_type, "payload": payload}}
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the write is committed; the event is best effort (clients resync)
        logger.exception("could not push %s to %s", event_type, group)


def send_event_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: push_event(group, event_type, payload))
