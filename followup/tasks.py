"""Celery tasks of the follow-up: thin and idempotent."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from followup import services


@shared_task(name="followup.check_followups")
def check_followups(today: str | date | None = None) -> dict:
    """Daily: overdue tasks, late assignment reports, filed petitions past their keeping period."""
    if isinstance(today, str):
        today = date.fromisoformat(today)
    return services.check_followups(today=today)
