#!/usr/bin/env bash
# Runs the whole test suite, spread over one pytest-xdist worker per core (TEST_WORKERS, default
# `auto`; `make test ARGS="-n 0 …"` runs in one process). Without DATABASE_URL and REDIS_URL the
# private embedded PostgreSQL and Redis are used (config/devservices.py); CI sets both to the
# machine's own servers. Each worker has its own test database, Redis database and Celery queue.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
# The project's own modules are byte-compiled by the first process that imports them and read
# from the cache by the others (the workers, the migration, the servers and workers tests start).
unset PYTHONDONTWRITEBYTECODE
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist worksteal "$@"
