"""Celery tasks of reports: thin and idempotent; each calls services."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task(name="reports.draft_due_reports")
def draft_due_reports(today: str | date | None = None) -> dict:
    """Daily: a draft for every office of every period whose cut-off has just passed (created once), then
    alerts on reports past their deadline (each sent once)."""
    if isinstance(today, str):
        today = date.fromisoformat(today)
    today = today or timezone.localdate()
    created = {f"{kind}:{key}": services.draft_all(kind, key) for kind, key in services.due_drafts(today)}
    return {"drafted": created, "alerts": services.alert_overdue(today)}


@shared_task(name="reports.draft_reports")
def draft_reports(kind: str, period_key: str) -> int:
    """On demand: drafts of one period for every office."""
    return services.draft_all(kind, period_key)
