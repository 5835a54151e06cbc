"""Pluggable SMS backends, chosen by ``settings.SMS_BACKEND`` (like Django's EMAIL_BACKEND).

* ``ConsoleSMSBackend``: development; writes the message to the log and stdout.
* ``LocmemSMSBackend``: tests; keeps messages in ``notifications.sms.outbox``.
A production deployment plugs in its operator's gateway by subclassing :class:`BaseSMSBackend`.
"""

from __future__ import annotations

import logging
import sys
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
    def send(self, message: SMSMessage) -> None:
        sys.stdout.write(f"[SMS to {message.to} from {message.sender}] {message.body}\n")
        sys.stdout.flush()


class LocmemSMSBackend(BaseSMSBackend):
    def send(self, message: SMSMessage) -> None:
        outbox.append(message)
