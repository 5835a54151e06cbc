#!/usr/bin/env bash
# Creates .venv with the pinned dependencies (re-installs only when pyproject.toml or constraints.txt
# change) and compiles the translations. Called by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "Python 3.11 is required (found $("$PYTHON" --version 2>&1))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.deps-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "Installing dependencies into .venv ..."
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -c constraints.txt -e '.[test]'
  rm -f .venv/.deps-*
  touch "$stamp"
fi

if command -v msgfmt >/dev/null 2>&1; then
  .venv/bin/python manage.py compilemessages -v0 --ignore=.venv
else
  echo "warning: gettext's msgfmt is missing (apt-get install gettext); pages fall back to Vietnamese." >&2
fi
