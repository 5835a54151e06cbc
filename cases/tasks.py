"""Celery tasks of cases: thin and idempotent; each calls one service."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from cases import services


@shared_task(name="cases.check_case_deadlines")
def check_case_deadlines(today: str | date | None = None) -> dict:
    """Daily: warnings, overdue alerts, escalations and flags (``today`` = a fake clock, ISO date or date)."""
    if isinstance(today, str):
        today = date.fromisoformat(today)
    return services.check_deadlines(today=today)
