from celery import shared_task

from signaling import services


@shared_task
def expire_disconnected() -> int:
    return services.expire_disconnected()
