"""Celery tasks of the session lifecycle: thin and idempotent; each calls one service."""

from celery import shared_task

from sessions import services


@shared_task
def auto_open_sessions() -> int:
    """Beat, every minute: open the rooms due (SESSION_AUTO_OPEN_MINUTES_BEFORE the start)."""
    return services.auto_open_due()
