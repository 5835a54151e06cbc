"""Celery tasks: thin and idempotent; each calls one service."""

from celery import shared_task

from scheduling.services import plans, registrations, reminders


@shared_task
def materialize_plans() -> str:
    return str(plans.materialize())


@shared_task
def publish_due_sessions() -> int:
    return plans.publish_due()


@shared_task
def send_due_reminders() -> dict:
    return vars(reminders.send_due_reminders())


@shared_task
def mark_no_shows() -> int:
    return registrations.mark_no_shows()


@shared_task
def notify_session_change(session_id: int) -> int:
    return reminders.notify_session_change(session_id)


@shared_task
def notify_registration(registration_id: int, what: str) -> bool:
    return reminders.notify_registration(registration_id, what)
