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
  # uv resolves and installs the same pinned ranges as pip in a few seconds instead of most of a
  # minute; pip does it alone where uv cannot be installed. uv reads no pip.conf: a local wheel
  # folder pip is told of (PIP_FIND_LINKS) is passed on.
  if [ -n "${PIP_FIND_LINKS:-}" ] && [ -z "${UV_FIND_LINKS:-}" ]; then
    export UV_FIND_LINKS="$PIP_FIND_LINKS"
  fi
  if .venv/bin/python -m pip install -q "uv>=0.5,<1" \
      && .venv/bin/python -m uv pip install -q --python .venv/bin/python -e ".[dev]"; then
    :
  else
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[dev]"
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# Byte-compile the installed packages once: where PYTHONDONTWRITEBYTECODE is set (this machine
# sets it), Python would otherwise compile Django, WeasyPrint and the rest from source in every
# process it starts, about 3.5 s of a core each time (the test run starts dozens).
compiled=".venv/.compiled-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$compiled" ]; then
  env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m compileall -q -j 0 .venv/lib >/dev/null 2>&1 || true
  rm -f .venv/.compiled-*
  touch "$compiled"
fi

# Compiled catalogues are build output; compile only what changed.
for po in locale/*/LC_MESSAGES/django.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check -o "$mo" "$po"
  fi
done

# Charts (Apache ECharts) are served from our own static files, never a CDN: the version is pinned
# in package.json/package-lock.json, installed with `npm ci` only when the lock file changes, and
# the one file the pages load is copied to static/vendor/ (not committed; see .gitignore). Without
# npm the pages still show every figure as tables, and say that charts need this step.
vendor="static/vendor/echarts/echarts.min.js"
if command -v npm >/dev/null 2>&1; then
  npm_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$npm_stamp" ]; then
    echo "安装前端图表库 / installing the chart library (npm ci)"
    if npm ci --no-audit --no-fund --loglevel=error; then
      rm -f node_modules/.installed-*
      touch "$npm_stamp"
    else
      echo "npm ci 失败，页面将不显示图表 / npm ci failed: pages will show tables without charts" >&2
    fi
  fi
  if [ -f node_modules/echarts/dist/echarts.min.js ] && ! cmp -s node_modules/echarts/dist/echarts.min.js "$vendor"; then
    mkdir -p "$(dirname "$vendor")"
    cp node_modules/echarts/dist/echarts.min.js "$vendor"
  fi
  # axe-core, the accessibility checker the browser tests run in the page (served from here, as
  # the Content-Security-Policy allows scripts from this site only).
  axe="static/vendor/axe-core/axe.min.js"
  if [ -f node_modules/axe-core/axe.min.js ] && ! cmp -s node_modules/axe-core/axe.min.js "$axe"; then
    mkdir -p "$(dirname "$axe")"
    cp node_modules/axe-core/axe.min.js "$axe"
  fi
elif [ ! -f "$vendor" ]; then
  echo "未安装 npm，页面将不显示图表 / npm is missing: pages will show tables without charts (install Node.js 18+ and npm)" >&2
fi
