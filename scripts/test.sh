#!/usr/bin/env bash
# `make test`: the whole suite, on the real services (PostgreSQL and Redis are started when down).
# Extra arguments go to pytest (e.g. `make test ARGS="-k seeding"`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/system_packages.sh  # gettext, chromium, coturn when missing
scripts/services.sh  # the suite runs on the real services: no fallback

# A database name of its own per run: parallel runs (developers, helpers, CI) never share a test database.
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tcd_$$}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
# A private namespace in Redis for this run, so parallel runs and a running platform do not mix.
export CHANNEL_LAYER_PREFIX="tcdtest$$"
export CACHE_PREFIX="tcdtest$$"
export VAR_DIR=${VAR_DIR:-$(mktemp -d)}
# Production settings (DEBUG off) except the HTTPS redirect: the test clients speak plain HTTP.
export DEBUG=false SECURE_SSL_REDIRECT=false
# No SMS gateway in tests: the console backend is allowed explicitly (production refuses it otherwise).
export ALLOW_CONSOLE_SMS=true
# Tasks enqueued by services run inline in tests; the Celery integration test starts a real worker instead.
export CELERY_TASK_ALWAYS_EAGER=true
# Tests run up to 40 threads against the database at once (contention tests): a pool to match.
export DB_POOL_MAX=${DB_POOL_MAX:-45} DB_POOL_TIMEOUT=${DB_POOL_TIMEOUT:-30}
exec .venv/bin/pytest "$@"
