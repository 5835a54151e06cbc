#!/usr/bin/env bash
# `make run`: the platform on the embedded default (SQLite, in-process channel layer, Celery worker and
# beat on a filesystem broker), with demo data, at http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export DEBUG=${DEBUG:-true}
export PORT=${PORT:-8000}
PY=.venv/bin/python
$PY manage.py migrate --noinput -v0
$PY manage.py seed_offices
$PY manage.py seed_demo
$PY manage.py collectstatic --noinput -v0
echo "Open http://127.0.0.1:${PORT}/  (admin: /admin/, API docs: /api/docs/, health: /healthz)"
exec .venv/bin/honcho -f Procfile start
