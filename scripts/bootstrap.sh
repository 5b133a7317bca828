#!/usr/bin/env bash
# Prepares a checkout: Python virtualenv with the pinned dependencies (re-installed only when
# pyproject.toml changes), system packages, compiled translations. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=""
for candidate in python3.11 python3.12 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))'; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then
  echo "需要 Python 3.11 或 3.12 / Python 3.11 or 3.12 is required." >&2
  exit 1
fi

scripts/system-packages.sh "$@"

if [ ! -x .venv/bin/python ]; then
  echo "创建虚拟环境 / creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "安装依赖 / installing Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Compiled catalogues are build output; compile only what changed.
for po in locale/*/LC_MESSAGES/django.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check -o "$mo" "$po"
  fi
done
