"""Integration on the real services: two Daphne processes on the Redis channel layer and PostgreSQL, and
the Celery worker and beat on the embedded filesystem broker."""

import asyncio
import json
import sqlite3
import time
import urllib.request

import pytest
import websockets

from accounts.models import Role
from tests.processes import celery, daphne, database_url_for_subprocess, server_env

pytestmark = [pytest.mark.integration]

PASSWORD = "S3cure-pass-word"


def login_cookie(base: str, identifier: str) -> str:
    request = urllib.request.Request(
        base + "/api/auth/login", data=json.dumps({"identifier": identifier, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        cookies = [h.split(";")[0] for h in response.headers.get_all("Set-Cookie")]
    return "; ".join(c for c in cookies if c.startswith("sessionid="))


async def open_stream(base: str, cookie: str):
    ws = await websockets.connect(base.replace("http", "ws") + "/ws/events/",
                                  additional_headers={"Cookie": cookie, "Origin": base})
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
    return ws


@pytest.mark.django_db(transaction=True)
def test_group_message_crosses_two_daphne_processes(office_tree, make_user, tmp_path):
    """A notice sent by a client of process A reaches a client of process B through Redis."""
    office = office_tree["commune011"]
    make_user(Role.RECEPTION_OFFICER, office, username="officer.a")
    make_user(Role.LEADER, office, username="leader.b")
    env = server_env(DATABASE_URL=database_url_for_subprocess(), VAR_DIR=str(tmp_path))

    with daphne(env, tmp_path / "a.log") as base_a, daphne(env, tmp_path / "b.log") as base_b:
        cookie_a, cookie_b = login_cookie(base_a, "officer.a"), login_cookie(base_b, "leader.b")

        async def scenario():
            ws_a, ws_b = await open_stream(base_a, cookie_a), await open_stream(base_b, cookie_b)
            try:
                await ws_a.send(json.dumps({"type": "office.notice", "id": "n1", "office": office.pk,
                                            "text": "Phiên tiếp bắt đầu lúc 8:00"}))
                received = json.loads(await asyncio.wait_for(ws_b.recv(), 10))
                assert received["type"] == "event"
                assert received["event"]["payload"]["text"] == "Phiên tiếp bắt đầu lúc 8:00"
                # And the other way, through an HTTP write on B pushed on commit to the socket on A.
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, post_notice_http, base_b, cookie_b, office.code)
                frames = [json.loads(await asyncio.wait_for(ws_a.recv(), 10)) for _ in range(3)]
                texts = [f["event"]["payload"]["text"] for f in frames if f["type"] == "event"]
                assert "Gửi qua HTTP" in texts
            finally:
                await ws_a.close()
                await ws_b.close()

        asyncio.run(scenario())


def post_notice_http(base: str, cookie: str, office_code: str) -> None:
    csrftoken = None
    # Obtain a CSRF token the way a browser would.
    with urllib.request.urlopen(urllib.request.Request(base + "/dang-nhap/", headers={"Cookie": cookie})) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                csrftoken = header.split(";")[0].split("=", 1)[1]
    request = urllib.request.Request(
        f"{base}/api/offices/{office_code}/notices", data=json.dumps({"text": "Gửi qua HTTP"}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"{cookie}; csrftoken={csrftoken}",
                 "X-CSRFToken": csrftoken, "Referer": base + "/"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_celery_worker_and_beat_really_run_on_the_embedded_broker(tmp_path):
    """The embedded default (no DATABASE_URL, no REDIS_URL): beat schedules, the worker executes."""
    import subprocess
    import sys

    from tests.processes import ROOT

    env = server_env(DATABASE_URL=None, REDIS_URL=None, CELERY_BROKER_URL=None, CELERY_TASK_ALWAYS_EAGER=None,
                     VAR_DIR=str(tmp_path),
                     HEARTBEAT_SECONDS="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    with celery(["worker", "--beat", "--concurrency=1", "--loglevel=INFO",
                 f"--schedule={tmp_path / 'beat-schedule'}"], env, tmp_path / "celery.log"):
        deadline = time.monotonic() + 60
        seen = None
        while time.monotonic() < deadline and seen is None:
            time.sleep(1)
            with sqlite3.connect(tmp_path / "db.sqlite3") as db:
                seen = db.execute("SELECT at FROM core_heartbeat WHERE name='celery'").fetchone()
    assert seen is not None, (tmp_path / "celery.log").read_text()[-3000:]
