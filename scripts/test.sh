#!/usr/bin/env bash
# Runs the whole test suite. Without DATABASE_URL the private embedded PostgreSQL is used; CI
# sets DATABASE_URL and REDIS_URL to the machine's own servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
exec .venv/bin/python -m pytest "$@"
