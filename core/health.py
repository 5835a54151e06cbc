"""``GET /healthz``: 200 when the database and (if configured) Redis answer, 503 naming what failed."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    try:
        if connection.vendor == "postgresql":
            _probe_postgresql()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # report, never raise: this is the health check
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}


def _probe_postgresql() -> None:
    """A connection of its own with a 2-second timeout: the pool would make a health check wait for its
    own timeout when the database is down, and a pooled connection could hide a fresh failure."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params["connect_timeout"] = 2
    with psycopg.connect(**params) as probe:
        probe.execute("SELECT 1").fetchone()


def _check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        started = time.monotonic()
        client.ping()
        return {"ok": True, "configured": True, "latency_ms": round((time.monotonic() - started) * 1000, 2)}
    except Exception as exc:
        return {"ok": False, "configured": True, "error": exc.__class__.__name__}
    finally:
        client.close()


def _celery_heartbeat(database_ok: bool) -> dict:
    """Informational: when the worker last ran beat's heartbeat task. Does not change the status code,
    since a web node stays useful while the worker restarts."""
    if not database_ok:
        return {"last_seen": None}
    from core.models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="celery").first()
    except Exception:
        return {"last_seen": None}
    if beat is None:
        return {"last_seen": None}
    return {"last_seen": beat.at.isoformat(), "age_seconds": int((timezone.now() - beat.at).total_seconds())}


@never_cache
@require_GET
def healthz(request):
    database = _check_database()
    redis_state = _check_redis()
    failed = [name for name, state in (("database", database), ("redis", redis_state)) if not state["ok"]]
    body = {
        "status": "ok" if not failed else "fail",
        "failed": failed,
        "database": database,
        "redis": redis_state,
        "celery": _celery_heartbeat(database["ok"]),
    }
    return JsonResponse(body, status=200 if not failed else 503)
