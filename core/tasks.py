from celery import shared_task
from django.utils import timezone

from core.models import Heartbeat


@shared_task
def record_heartbeat(name: str = "celery") -> None:
    """Beat schedules this every minute; the worker that runs it proves worker and beat are alive.
    Idempotent: it only moves a timestamp."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
