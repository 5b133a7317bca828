"""Real Celery workers for the tests that need one: the database they must use and their command."""

from __future__ import annotations

import sys
from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """The test database, for a worker process started beside the tests."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def worker_command(*, hostname: str, queue: str | None = None) -> list[str]:
    """One solo worker, quiet, without the cluster chatter a single worker does not need."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
        f"--hostname={hostname}",
    ]
    return command + ([f"--queues={queue}"] if queue else [])
