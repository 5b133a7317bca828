#!/usr/bin/env bash
# Runs the product at http://127.0.0.1:8000 with the demo province. Without DATABASE_URL a
# private PostgreSQL under .local/ is used; without REDIS_URL background jobs run in-process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DEBUG="${DEBUG:-1}"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
echo
echo "打开 / open: http://${DEMO_ADDR:-127.0.0.1:8000}   (Ctrl+C 结束 / to stop)"
exec .venv/bin/python manage.py runserver "${DEMO_ADDR:-127.0.0.1:8000}"
