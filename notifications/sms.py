"""Pluggable SMS backends, chosen by ``settings.SMS_BACKEND`` (like Django's EMAIL_BACKEND).

* ``ConsoleSMSBackend``: development; writes the message to the log and stdout.
* ``LocmemSMSBackend``: tests; keeps messages in ``notifications.sms.outbox``.
A production deployment plugs in its operator's gateway by subclassing :class:`BaseSMSBackend`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

logger = logging.getLogger(__name__)

outbox: list[SMSMessage] = []


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    sender: str


class BaseSMSBackend:
    def send(self, message: SMSMessage) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Sends nothing. The log gets the message with the number masked and every token or code redacted; in
    development (DEBUG) the full message goes to ``VAR_DIR/sms_outbox.txt`` (mode 0600), the developer's
    mailbox, never to a log. In production the platform refuses to start with it unless ALLOW_CONSOLE_SMS."""

    def send(self, message: SMSMessage) -> None:
        from django.conf import settings

        from core.logsafety import mask_phone, redact

        logger.info("SMS to %s from %s: %s", mask_phone(message.to), message.sender, redact(message.body))
        if settings.DEBUG:
            path = settings.VAR_DIR / "sms_outbox.txt"
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8") as out:
                out.write(f"[SMS to {message.to} from {message.sender}] {message.body}\n")


class LocmemSMSBackend(BaseSMSBackend):
    def send(self, message: SMSMessage) -> None:
        outbox.append(message)


CONSOLE_BACKEND = "notifications.sms.ConsoleSMSBackend"
CONSOLE_REFUSED = ("SMS_BACKEND is the console backend (it sends nothing) with DEBUG off: configure the operator's "
                   "gateway, or set ALLOW_CONSOLE_SMS=true to run without sending SMS.")


def console_refused() -> bool:
    from django.conf import settings

    return (not settings.DEBUG and settings.SMS_BACKEND == CONSOLE_BACKEND
            and not getattr(settings, "ALLOW_CONSOLE_SMS", False))


def refuse_console_in_production() -> None:
    """Production (DEBUG off) does not start with the console backend unless ALLOW_CONSOLE_SMS is set."""
    if console_refused():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(CONSOLE_REFUSED)
