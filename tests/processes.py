"""Real server processes for integration tests: Daphne and Celery, started with the test database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def require_program(name: str, package: str, path: str | None = None) -> None:
    """Skip a test whose Debian program is missing — only outside CI: under ``CI=true`` the test fails, since
    ``make test`` installs it (scripts/system_packages.sh) and CI must not skip the integration suite."""
    import pytest

    if shutil.which(name) is None or (path is not None and not os.path.exists(path)):
        message = f"{name} is missing (apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_subprocess() -> str:
    """The URL of the database pytest-django created for this run (test_<name>)."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _field_keys() -> dict:
    """The field-encryption keys this test process uses, so server processes read what the tests wrote
    (without configured keys each process would generate its own in its own VAR_DIR)."""
    from django.conf import settings

    from core import crypto

    keys = list(settings.FIELD_ENCRYPTION_KEYS) or [crypto._dev_key_file("field_encryption_key").decode()]
    index_key = settings.FIELD_INDEX_KEY or crypto._dev_key_file("field_index_key").decode()
    return {"FIELD_ENCRYPTION_KEYS": ",".join(keys), "FIELD_INDEX_KEY": index_key}


def server_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(_field_keys())
    env.update({"DEBUG": "true", "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"})
    env.update({k: v for k, v in overrides.items() if v is not None})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
    return env


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


class ServerURL(str):
    """A base URL that also knows its server process (``.process``)."""

    process: subprocess.Popen


@contextlib.contextmanager
def daphne(env: dict, log_path: Path, wait_healthy: bool = True):
    """A Daphne process serving project.asgi on a free port; yields its base URL (a :class:`ServerURL`)."""
    import urllib.request

    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "project.server", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = ServerURL(f"http://127.0.0.1:{port}")
    base.process = proc
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"daphne exited early: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if not wait_healthy or response.status == 200:
                        break
            except urllib.error.HTTPError as exc:
                if not wait_healthy:
                    break
                last = exc
            except OSError as exc:
                last = exc
            if time.monotonic() > deadline:
                raise RuntimeError(f"daphne not ready: {last}; log: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        stop(proc, 10)
        log.close()


@contextlib.contextmanager
def celery(args: list[str], env: dict, log_path: Path):
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(VENV_BIN / "celery"), "-A", "project", *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc, 15)
        log.close()


@contextlib.contextmanager
def media_worker(env: dict, log_path: Path, worker_id: str = "w1"):
    """A ``manage.py media_worker`` process; yields the Popen (kill it to test a take-over)."""
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(VENV_BIN / "python"), "manage.py", "media_worker", "--id", worker_id], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc, 15)
        log.close()


class RedisServer:
    """A dedicated ``redis-server`` on one port, with no persistence: a restart forgets everything (groups,
    queued channel messages, cache), like a crashed or redeployed Redis."""

    def __init__(self, port: int, log_path: Path, executable: str = "redis-server"):
        self.port, self.log_path, self.executable = port, log_path, executable
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 10) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--bind", "127.0.0.1", "--dir", str(self.log_path.parent)],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def redis_server(log_path: Path, port: int | None = None):
    """A dedicated Redis on a free port (never the machine's Redis); yields the ``RedisServer`` (``url``,
    ``stop()``, ``start()``, ``restart()``). Stopped on exit."""
    server = RedisServer(port or free_port(), log_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def turn_server(log_path: Path, secret: str, port: int | None = None):
    """A real coturn (``turnserver``) on 127.0.0.1 with the TURN REST API (``use-auth-secret``): it accepts
    exactly the time-limited credentials ``signaling.ice`` computes. Yields its ``turn:`` URL."""
    port = port or free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={port}",
         "--use-auth-secret", f"--static-auth-secret={secret}", "--realm=tiepcongdan.test", "--no-tls",
         "--no-dtls", "--no-cli", "--allow-loopback-peers", "--min-port=43000", "--max-port=43199",
         f"--pidfile={log_path}.pid", f"--userdb={log_path}.db", "--log-file=stdout", "--simple-log", "-v"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while b"Total General servers" not in log_path.read_bytes():
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.1)
        time.sleep(0.5)  # the auth threads start just after
        yield f"turn:127.0.0.1:{port}?transport=udp"
    finally:
        stop(proc, 10)
        log.close()


async def in_thread(function, *args, **kwargs):
    """Run a synchronous (database) call from a test's event loop."""
    from channels.db import database_sync_to_async

    return await database_sync_to_async(function)(*args, **kwargs)


async def wait_for(predicate, timeout: float = 20, what: str = "condition"):
    """Poll a synchronous (database) predicate from a test's event loop until it is truthy; return it."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not (result := await in_thread(predicate)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)
    return result
