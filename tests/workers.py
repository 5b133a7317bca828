"""Real Celery workers for the tests that need one: the database they must use and their command."""

from __future__ import annotations

import sys
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database, for a worker process started beside the tests."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def worker_command(*, hostname: str, queue: str | None = None, pool: str = "solo") -> list[str]:
    """One worker, quiet, without the cluster chatter a single worker does not need: a solo pool
    (the task runs in the worker's own process) unless the test asks for the prefork pool, where
    a task runs in a pool process as docker-compose's worker runs it."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        f"--pool={pool}",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
        f"--hostname={hostname}",
    ]
    if not queue:  # the worker's own settings name its queues: the default one and one per kind of work
        return command
    kinds = ",".join(f"{queue}.{kind}" for kind in settings.WORK_QUEUE_KINDS)
    return [*command, f"--queues={queue},{kinds}"]
