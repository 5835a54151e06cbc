"""Typed API errors: every error body is ``{"error": {"type", "message", "fields"?}}``.

``type`` is a stable machine-readable code (``validation_error``, ``not_authenticated``, ``throttled``,
``permission_denied``, ``not_found``, …); ``fields`` maps each bad field to ``[{"code", "message"}]``.
"""

from __future__ import annotations

from django.db import OperationalError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def _flatten(details, prefix=""):
    fields = {}
    if isinstance(details, dict):
        for key, value in details.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten(value, name))
    elif isinstance(details, list):
        if details and all(isinstance(item, dict) and "code" in item for item in details):
            fields[prefix or "non_field_errors"] = [
                {"code": item["code"], "message": str(item["message"])} for item in details
            ]
        else:
            for index, item in enumerate(details):
                fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    return fields


BUSY_RETRY_AFTER_SECONDS = 2


def _pool_exhausted(exc) -> bool:
    """The process's database connection pool had no connection within ``DB_POOL_TIMEOUT`` (overload):
    psycopg_pool's PoolTimeout, wrapped by Django as an OperationalError."""
    from psycopg_pool import PoolTimeout

    return isinstance(exc, PoolTimeout) or (isinstance(exc, OperationalError)
                                            and isinstance(exc.__cause__, PoolTimeout))


def domain_error_body(exc: DomainError) -> dict:
    """The typed body of a services layer's refusal (also sent by scheduling.fast_refusal)."""
    body = {"type": exc.code, "message": exc.message}
    if exc.field:
        body["fields"] = {exc.field: [{"code": exc.code, "message": exc.message}]}
    return {"error": body}


def exception_handler(exc, context):
    if _pool_exhausted(exc):
        # Back-pressure (issue 18): a typed 503 the client may retry, not a 500.
        return Response({"error": {"type": "busy", "message": _("Máy chủ đang bận, hãy thử lại sau ít giây.")}},
                        status=503, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"type": "validation_error", "message": _("Dữ liệu không hợp lệ."),
                "fields": _flatten(exc.get_full_details())}
    else:
        detail = exc.get_full_details() if isinstance(exc, exceptions.APIException) else {}
        code = detail.get("code") if isinstance(detail, dict) else None
        body = {"type": code or "error", "message": str(getattr(exc, "detail", exc))}
    response.data = {"error": body}
    return response

