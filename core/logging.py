"""Logging filters (project.settings.LOGGING)."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """``django.request`` logs a 403 or 404 with the exception that caused it. A refused request is an
    expected outcome, not a bug: log it once, on one line, without the traceback (``raise PermissionDenied
    from exc`` would print two). 5xx keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
