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
