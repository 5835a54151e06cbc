"""Shared set-up for benchmarks: a dedicated PostgreSQL database, Django configured against it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE", "tcd_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def database_url() -> str:
    return f"{PG}/{BENCH_DB}"


def prepare_environment(fresh: bool = True) -> dict:
    """Create (or recreate) the bench database, migrate and seed the offices. Returns the env used."""
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "DEBUG": os.environ.get("BENCH_DEBUG", "true"), "ALLOW_CONSOLE_SMS": "true",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
           "CSRF_COOKIE_SECURE": "false", "CHANNEL_LAYER_PREFIX": os.environ.get("BENCH_PREFIX", "tcdbench"),
           "CACHE_PREFIX": os.environ.get("BENCH_PREFIX", "tcdbench"),
           "CELERY_TASK_ALWAYS_EAGER": "true", "THROTTLE_LOGIN": "100000/minute"}
    if fresh:
        subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"], check=True)
        subprocess.run(["psql", PG + "/postgres", "-qc", f"CREATE DATABASE {BENCH_DB}"], check=True)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "seed_offices"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)
    return env


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> str:
    return (f"n={len(values)} p50={percentile(values, 50) * 1000:.1f} ms p99={percentile(values, 99) * 1000:.1f} ms "
            f"mean={statistics.fmean(values) * 1000:.1f} ms max={max(values) * 1000:.1f} ms")
