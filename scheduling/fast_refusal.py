"""``POST /api/registrations`` for a slot known to be full (issue 18, a registration burst): the answer
``slot_full`` without DRF's request cycle, the user's ORM load or the registration queries.

``RegistrationListCreateView.dispatch`` asks ``answer(view, request)`` first. It answers only when it can
prove the normal path would give exactly this refusal, and returns ``None`` (the normal path runs, from
the start) at the first doubt. What it checks, in one cache round trip and one SQL statement:

1. the request: JSON body (``application/json``), no query string, an ``Accept`` that DRF would answer with
   JSON; a session cookie (anonymous requests always take the normal path: nothing is answered to them
   that the normal path would not answer);
2. the slot's full flag counts (``scheduling.services.full_slots.current``), the slot has not started, the
   deadline has not passed, the waiting list's limit is the one the flag was written at;
3. the body passes the same validation (the view's serializer, the services layer's matter checks);
4. the session names a user the way ``django.contrib.auth.get_user`` reads it (a ``ModelBackend`` listed in
   ``AUTHENTICATION_BACKENDS``, the session's hash equal to the user's ``get_session_auth_hash``), the user
   is active, and DRF's CSRF check of a session-authenticated request passes;
5. in the same statement as the user's row: the citizen holds no active registration for the session and
   no confirmed booking overlapping the slot — the normal path's ``already_registered``/``double_booking``
   come before ``slot_full``, so an already-registered citizen re-posting gets the normal path's answer.

The answer is the normal path's: the services layer's ``slot_full_error`` under the request's language,
the body of ``core.api.exception_handler`` rendered by DRF's JSONRenderer, status 400, the view's own
``Allow``/``Vary`` headers; every middleware runs as for any view.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.functional import cached_property
from psycopg_pool import PoolTimeout
from rest_framework import serializers
from rest_framework.authentication import CSRFCheck
from rest_framework.compat import split_header_value
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json

from accounts.models import User
from core.api import domain_error_body
from scheduling.models import ACTIVE_REGISTRATION_STATUSES, Registration, RegistrationStatus
from scheduling.serializers import RegistrationCreateSerializer
from scheduling.services import full_slots, registrations

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json",)
JSON_ACCEPTS = ("", "*/*", "application/json")


class _BodySerializer(RegistrationCreateSerializer):
    """The view's serializer, without the slot's database lookup: the flag proves the slot exists (and the
    fast path takes only a plain integer id, which the lookup would accept as it is)."""

    slot = serializers.IntegerField()


class _Statement:
    @cached_property
    def sql(self) -> str:
        user, reg = User._meta, Registration._meta

        def col(meta, name):
            return connection.ops.quote_name(meta.get_field(name).column)

        users, regs = connection.ops.quote_name(user.db_table), connection.ops.quote_name(reg.db_table)
        return (
            f"SELECT u.{col(user, 'password')}, u.{col(user, 'is_active')}, "
            f"EXISTS (SELECT 1 FROM {regs} r WHERE r.{col(reg, 'citizen')} = u.{col(user, 'id')} "
            f"AND r.{col(reg, 'session')} = %s AND r.{col(reg, 'status')} = ANY(%s)) "
            f"OR EXISTS (SELECT 1 FROM {regs} r WHERE r.{col(reg, 'citizen')} = u.{col(user, 'id')} "
            f"AND r.{col(reg, 'status')} = %s AND r.{col(reg, 'slot_starts_at')} < %s "
            f"AND r.{col(reg, 'slot_ends_at')} > %s) "
            f"FROM {users} u WHERE u.{col(user, 'id')} = %s"
        )


_statement = _Statement()


def _authenticated_user_id(request) -> int | None:
    """The id of the user ``django.contrib.auth.get_user`` would load, when the session's backend is a plain
    ``ModelBackend`` (its ``get_user``: the row by id, if active); the row is read by the caller's statement."""
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except Exception:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = load_backend(backend_path)
    if not (isinstance(backend, ModelBackend) and type(backend).get_user is ModelBackend.get_user
            and type(backend).user_can_authenticate is ModelBackend.user_can_authenticate):
        return None
    return user_id


def _csrf_passes(request) -> bool:
    """DRF's ``SessionAuthentication.enforce_csrf``, on the same request."""
    check = CSRFCheck(lambda r: None)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is None


def answer(view, request) -> HttpResponse | None:
    """The ``slot_full`` answer when provably the normal path's, else ``None``."""
    if request.META.get("QUERY_STRING") or request.META.get("HTTP_ACCEPT", "") not in JSON_ACCEPTS:
        return None
    if (request.content_type or "").lower() not in JSON_TYPES or request.encoding not in (None, "utf-8"):
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # anonymous: the normal path answers (not_authenticated)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except Exception:
        return None
    if not isinstance(data, dict) or type(data.get("slot")) is not int:
        return None
    flag = full_slots.current(data["slot"])
    if flag is None:
        return None
    now = timezone.now()
    if (flag.starts_at <= now or flag.registration_closes_at <= now
            or flag.waitlist_max != settings.WAITLIST_MAX_PER_SLOT):
        return None
    body = _BodySerializer(data=data)
    if not body.is_valid():
        return None
    fields = body.validated_data
    try:
        registrations.validate_matter(fields["matter_kind"], fields["matter_summary"], fields["people_count"],
                                      [dict(r) for r in fields["representatives"]])
    except registrations.RegistrationError:
        return None
    if connection.vendor != "postgresql":
        return None  # the statement is PostgreSQL's (``= ANY``); the SQLite embedded default takes the normal path
    user_id = _authenticated_user_id(request)
    if user_id is None:
        return None
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash or not _csrf_passes(request):
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(_statement.sql, [flag.session_id, [s.value for s in ACTIVE_REGISTRATION_STATUSES],
                                            RegistrationStatus.CONFIRMED.value, flag.ends_at, flag.starts_at,
                                            user_id])
            row = cursor.fetchone()
    except (DatabaseError, PoolTimeout):
        return None  # e.g. an exhausted pool: the normal path gives its typed answer (503 busy)
    if row is None:
        return None
    password, is_active, blocked = row
    if not is_active or blocked:
        return None
    if not constant_time_compare(session_hash, User(pk=user_id, password=password).get_session_auth_hash()):
        return None  # the normal path logs the session out (django.contrib.auth.get_user)
    return _render(view, domain_error_body(registrations.slot_full_error()), status=400)


def _render(view, data: dict, status: int) -> HttpResponse:
    """What DRF's Response for ``data`` becomes once the view finalises it, for a JSON-accepting client."""
    response = HttpResponse(JSONRenderer().render(data, "application/json", {}), status=status,
                            content_type=JSONRenderer.media_type)
    headers = dict(view.default_response_headers)
    vary = headers.pop("Vary", None)
    if vary is not None:
        patch_vary_headers(response, list(split_header_value(vary)))
    for key, value in headers.items():
        response[key] = value
    return response
