"""Celery tasks of notifications: thin and idempotent; each calls one service. A retry of ``deliver`` never
sends twice: the service claims the delivery row before sending (docs/notifications.md)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver", bind=True, max_retries=4, default_retry_delay=60)
def deliver(self, delivery_id: int) -> bool:
    try:
        return services.send_delivery(delivery_id)
    except Exception as exc:  # the gateway failed: the row is back to pending, try again later
        raise self.retry(exc=exc) from exc


@shared_task(name="notifications.send_pending")
def send_pending() -> int:
    """Beat, every minute: deliveries whose task was lost (broker down at commit)."""
    return services.send_pending()


@shared_task(name="notifications.send_daily_digests")
def send_daily_digests(day: str | date | None = None) -> int:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return services.send_digests(day)
