#!/usr/bin/env bash
# Runs the product at http://127.0.0.1:8000 (DEMO_ADDR) with the demo province, as an office runs
# it: the web server, a Celery worker and beat, started together by honcho (scripts/Procfile.demo)
# with their logs interleaved and prefixed, and stopped together by Ctrl+C. Without DATABASE_URL
# and REDIS_URL the private PostgreSQL and Redis under .local/ are used (config/devservices.py);
# they keep running after the demo: `make stop` ends them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DEBUG="${DEBUG:-1}"
export PYTHONUNBUFFERED=1  # each line in the terminal as it is written, not when a buffer fills
eval "$(.venv/bin/python -m config.devservices env)"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
echo
echo "打开 / open: http://${DEMO_ADDR:-127.0.0.1:8000}   (Ctrl+C 结束 / to stop)"
# `-e /dev/null`: an office's `.env` (docker compose) is not the demo's environment.
exec .venv/bin/honcho -e /dev/null -f scripts/Procfile.demo -d . start
