"""Test set-up.

The suite runs on the real services (``make test`` points DATABASE_URL at PostgreSQL and REDIS_URL at
Redis and starts them when down). Tests marked ``integration`` spawn real processes (Daphne, Celery) and
need both services: without them they are skipped locally, and under ``CI=true`` the run fails instead.
"""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlparse

import pytest

CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str) -> bool:
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=1):
            return True
    except OSError:
        return False


def services_state() -> tuple[bool, str]:
    db_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not db_url.startswith("postgres"):
        return False, "DATABASE_URL is not PostgreSQL"
    if not redis_url.startswith("redis"):
        return False, "REDIS_URL is not set"
    if not _reachable(db_url):
        return False, "PostgreSQL does not answer"
    if not _reachable(redis_url):
        return False, "Redis does not answer"
    return True, ""


def pytest_collection_modifyitems(config, items):
    # Quarantined tests (marker ``quarantine``) are left out of ``make test`` unless RUN_QUARANTINED=1
    # (``make test-quarantine``): deselected, reported in the summary line, never silently passed.
    if os.environ.get("RUN_QUARANTINED") != "1":
        kept = [item for item in items if "quarantine" not in item.keywords]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[item for item in items if "quarantine" in item.keywords])
            items[:] = kept
    ok, reason = services_state()
    if ok:
        return
    if CI:
        raise pytest.UsageError(f"CI=true but the integration services are unavailable: {reason}")
    skip = pytest.mark.skip(reason=f"integration services unavailable: {reason}")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """Under CI, a skipped integration test is a failure: the proof on real services must run."""
    if not CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in (reporter.stats.get("skipped", []) if reporter else [])
               if "integration" in getattr(r, "keywords", {})]
    if skipped:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI=true: {len(skipped)} integration test(s) were skipped", red=True)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Close the psycopg pools before pytest-django drops the test database (pooled connections would
    keep it "in use")."""
    yield
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        django_db_blocker.unblock()
        try:
            # Connections still held by worker threads of async tests end here, so the database can be dropped.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        except Exception:  # no test of this run used the database
            pass
    for conn in connections.all():
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


@pytest.fixture(autouse=True)
def _test_backends(settings):
    """Outbound messages go to in-memory outboxes; each test starts with them empty."""
    from notifications import sms

    settings.SMS_BACKEND = "notifications.sms.LocmemSMSBackend"
    # Production uses the hashed manifest (needs collectstatic); tests render pages without it.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in Vietnamese, the site's default: a request served in English leaves the language
    active in the thread, and ``reverse()`` would then build /en/ URLs in the next test."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each async test runs in its own event loop; channels-redis binds its locks and pools to a loop, so
    every test gets a fresh layer object (the Redis server is the same)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Empty this run's cache. Never ``cache.clear()`` on Redis: that is FLUSHDB, which would wipe the
    channel layer and the other runs sharing the server. Only keys under this run's prefix go."""
    from django.conf import settings
    from django.core.cache import cache

    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=500):
            client.delete(key)
    else:
        cache.clear()
    yield


@pytest.fixture
def sms_outbox():
    from notifications import sms

    return sms.outbox


@pytest.fixture
def office_tree(db):
    """A small directory: central → two provinces → two communes each."""
    from offices.models import Office, OfficeKind, Tier

    def make(code, tier, kind, parent=None):
        path = (parent.path if parent else "") + code + "/"
        return Office.objects.create(code=code, name=f"Office {code}", tier=tier, kind=kind, parent=parent,
                                     path=path)

    central = make("TW", Tier.CENTRAL, OfficeKind.CENTRAL_RECEPTION_OFFICE)
    tree = {"central": central}
    for p in ("01", "02"):
        province = make(f"T{p}", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD, central)
        tree[f"province{p}"] = province
        for c in ("1", "2"):
            tree[f"commune{p}{c}"] = make(f"X{p}00{c}", Tier.COMMUNE, OfficeKind.RECEPTION_POINT, province)
    return tree


@functools.cache
def _password_hash(password: str) -> str:
    """Hashed once per run with the production hasher (PBKDF2), so server processes started by the
    integration tests accept it, without paying the hashing cost for every test user."""
    from django.contrib.auth.hashers import make_password

    return make_password(password)


@pytest.fixture
def make_user(db):
    from accounts.models import User

    counter = iter(range(1, 10_000))

    def make(role=None, office=None, password="S3cure-pass-word", **extra):
        n = next(counter)
        user = User.objects.create(username=extra.pop("username", f"user{n}"), password=_password_hash(password),
                                   full_name=extra.pop("full_name", f"Người Dùng {n}"), **extra)
        if role:
            from accounts.services import grant_role

            grant_role(None, user, office, role)
        return user

    return make
