"""Issue 18: one process runs at most HTTP_MAX_CONCURRENT_REQUESTS requests at once (core/asgi.py); the
others wait in the event loop and all complete. Real requests through Django's ASGI handler, real
PostgreSQL row locks: the requests that got in block on a slot's row lock held by another connection,
and PostgreSQL's own view (pg_stat_activity) shows how many got in."""

from __future__ import annotations

import asyncio
import json
import time

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection

from core.asgi import BoundedASGIHandler
from sessions.models import SessionSlot
from tests.test_scheduling_api import SUMMARY, make_session

pytestmark = [pytest.mark.django_db(transaction=True)]

CSRF = "d" * 32
LIMIT = 2
REQUESTS = 6


def _fixture(office_tree, make_user):
    from importlib import import_module

    session = make_session(office_tree["commune011"], capacity=REQUESTS + 2)
    slot = session.slots.order_by("index").first()
    store_class = import_module(django_settings.SESSION_ENGINE).SessionStore
    keys = []
    for _ in range(REQUESTS):
        user = make_user()
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.PhoneOrEmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return slot.pk, keys


async def _post(app, slot_id: int, session_key: str) -> int:
    body = json.dumps({"slot": slot_id, "matter_kind": "complaint", "matter_summary": SUMMARY}).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/registrations", "raw_path": b"/api/registrations", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"cookie", f"sessionid={session_key}; csrftoken={CSRF}".encode()),
                    (b"x-csrftoken", CSRF.encode()), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = {}

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # no disconnect

    async def send(message):
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    await app(scope, receive, send)
    return status["code"]


def _waiting_on_locks(dbname: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                       [dbname])
        return cursor.fetchone()[0]


async def test_requests_beyond_the_bound_wait_in_the_event_loop(office_tree, make_user, settings):
    settings.HTTP_MAX_CONCURRENT_REQUESTS = LIMIT
    slot_id, keys = await database_sync_to_async(_fixture)(office_tree, make_user)
    app = BoundedASGIHandler()
    db = connection.settings_dict
    dbname = db["NAME"]
    holder = psycopg.connect(dbname=dbname, user=db["USER"], password=db["PASSWORD"] or None,
                             host=db["HOST"] or None, port=db["PORT"] or None)
    table = SessionSlot._meta.db_table
    holder.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [slot_id])  # the slot, locked
    try:
        tasks = [asyncio.create_task(_post(app, slot_id, key)) for key in keys]
        seen = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            seen = await database_sync_to_async(_waiting_on_locks, thread_sensitive=False)(dbname)
            if seen >= LIMIT:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # time for any request beyond the bound to reach the lock too
        seen = await database_sync_to_async(_waiting_on_locks, thread_sensitive=False)(dbname)
        assert seen == LIMIT
        assert not any(task.done() for task in tasks)
    finally:
        holder.commit()  # the slot is free: every request completes
    codes = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    holder.close()
    assert codes == [201] * REQUESTS
    slot = await database_sync_to_async(SessionSlot.objects.get)(pk=slot_id)
    assert slot.confirmed_count == REQUESTS
