"""/healthz and the settings: production defaults, embedded default, check --deploy."""

import json
import os
import subprocess
import sys

import pytest

from tests.processes import ROOT, daphne, server_env


@pytest.mark.django_db
def test_healthz_ok_on_real_services(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": True, "configured": True, "latency_ms": body["redis"]["latency_ms"]}


@pytest.mark.django_db
def test_healthz_reports_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


@pytest.mark.integration
def test_healthz_reports_database_down_from_a_real_server(tmp_path):
    env = server_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing", VAR_DIR=str(tmp_path))
    import urllib.error
    import urllib.request

    with daphne(env, tmp_path / "daphne.log", wait_healthy=False) as base:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(base + "/healthz", timeout=5)
        assert answer.value.code == 503
        assert json.loads(answer.value.read())["failed"] == ["database"]


def run_python(code: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def bare_env(tmp_path, **extra) -> dict:
    keep = {"PATH", "HOME", "LANG"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(VAR_DIR=str(tmp_path), **extra)
    return env


def test_embedded_default_with_no_environment(tmp_path):
    out = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='project.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.CELERY_BROKER_URL, s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.LANGUAGE_CODE, s.TIME_ZONE)",
        bare_env(tmp_path, ALLOW_CONSOLE_SMS="true"),
    )
    assert out.split() == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "filesystem://",
                           "False", "True", "True", "vi", "Asia/Ho_Chi_Minh"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_services_from_environment(tmp_path):
    out = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='project.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_URL)",
        bare_env(tmp_path, DATABASE_URL="postgres://u@db:5432/x", REDIS_URL="redis://cache:6379/1",
                 ALLOW_CONSOLE_SMS="true"),
    )
    assert out.split() == ["django.db.backends.postgresql", "core.channel_layer.PipelinedRedisChannelLayer",
                           "redis://cache:6379/1"]


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = bare_env(tmp_path, ALLOWED_HOSTS="tiepcongdan.gov.vn", SECRET_KEY="k" * 10 + os.urandom(32).hex(),
                   ALLOW_CONSOLE_SMS="true",
                   DATABASE_URL=os.environ.get("DATABASE_URL", ""), REDIS_URL=os.environ.get("REDIS_URL", ""))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_bad_boolean_setting_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=bare_env(tmp_path, DEBUG="maybe"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


def test_production_refuses_the_console_sms_backend(tmp_path):
    """Issue 13: DEBUG off with the console SMS backend (which sends nothing) does not start unless allowed."""
    refused = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=bare_env(tmp_path),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "ALLOW_CONSOLE_SMS" in refused.stderr
    development = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                                 env=bare_env(tmp_path, DEBUG="true"), capture_output=True, text=True, timeout=60)
    assert development.returncode == 0, development.stderr
    allowed = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                             env=bare_env(tmp_path, ALLOW_CONSOLE_SMS="true"), capture_output=True, text=True,
                             timeout=60)
    assert allowed.returncode == 0, allowed.stderr
