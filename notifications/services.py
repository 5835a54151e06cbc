"""Outbound messages to people, by SMS or e-mail, through the configured backends."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from notifications.sms import SMSMessage


def send_sms(to: str, body: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(SMSMessage(to=to, body=body, sender=settings.SMS_SENDER_NAME))


def send_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_to(channel: str, destination: str, subject: str, body: str) -> None:
    """``channel`` is ``"phone"`` or ``"email"`` (accounts.models.Channel)."""
    if channel == "phone":
        send_sms(destination, body)
    elif channel == "email":
        send_email(destination, subject, body)
    else:
        raise ValueError(f"unknown channel {channel!r}")


def notify_user(user, subject: str, body: str) -> bool:
    """Reach a person by SMS when they have a phone, otherwise by e-mail. False when they have neither."""
    if user.phone:
        send_sms(user.phone, body)
        return True
    if user.email:
        send_email(user.email, subject, body)
        return True
    return False


def notify(user, kind: str, title: str, body: str, dedupe_key: str, case=None):
    """Store an in-app notification for ``user`` once per ``dedupe_key`` and push it to the user's event
    group after commit. Returns ``(notification, created)``; a second call with the same key creates and
    pushes nothing. Callers must keep secrets (denouncer identity, denunciation content) out of the text."""
    from django.db import IntegrityError, transaction

    from core.events import send_event_on_commit, user_group
    from notifications.models import Notification

    defaults = {"recipient": user, "kind": kind[:64], "title": title[:255], "body": body, "case": case}
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(dedupe_key=dedupe_key[:200],
                                                                       defaults=defaults)
    except IntegrityError:  # a concurrent producer stored it first
        return Notification.objects.get(dedupe_key=dedupe_key[:200]), False
    if created:
        send_event_on_commit(user_group(user.pk), "notification.new", {
            "id": notification.pk, "kind": notification.kind, "title": notification.title,
            "case": str(case.public_id) if case is not None else None,
        })
    return notification, created
