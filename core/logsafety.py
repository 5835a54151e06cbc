"""Keeping bearer secrets and phone numbers out of every log line.

* ``redact(text)``: join-link tokens (``?token=…``, ``/tham-gia/<token>/``), other bearer parameters
  (``signup_token``, ``code``, ``password``…) and Vietnamese phone numbers are replaced.
* ``RedactingFilter``: a ``logging.Filter`` on the console handler (``settings.LOGGING``): every record is
  formatted, redacted, and passed on as plain text.
* ``RedactingAccessLogGenerator``: Daphne's access log with redacted request lines (``project.server``).
"""

from __future__ import annotations

import logging
import re

from daphne.access import AccessLogGenerator

REDACTED = "[redacted]"
SECRET_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;\s\"'])(?:token|join_token|signup_token|code|otp|password|key|sig|signature)=)[^&\s\"'#]+")
JOIN_PATH = re.compile(r"(/tham-gia/)[^/\s?\"'#]+")
PHONE = re.compile(r"(?<![\w+])(?:\+?84|0)(?:[\s.\-]?\d){9,10}(?!\d)")


def redact(text: str) -> str:
    if not text:
        return text
    text = SECRET_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
    text = JOIN_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return PHONE.sub("[phone]", text)


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return f"…{digits[-3:]}" if len(digits) >= 3 else "…"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to the handler's own error path
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


class RedactingAccessLogGenerator(AccessLogGenerator):
    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None):
        super().write_entry(host, date, redact(request), status=status, length=length, ident=ident, user=user)
