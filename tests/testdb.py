"""The test databases of a run spread over pytest-xdist workers: copies of one migrated template.

Migrating takes half a minute of one core; each worker migrating its own database would spend
that once per worker, all at the same time, before any database test could start. Instead the
controlling process starts one `python -m tests.testdb create` as soon as the run starts, which
migrates a template database while the workers run the tests that need none (they come first:
tests/conftest.py); each worker then copies the template (`CREATE DATABASE … TEMPLATE`, about a
second, as Django's own parallel test runner does) and drops its copy at the end, and the
controlling process drops the template. The environment variable TEMPLATE_ENV tells the workers
the template's name and the folder where the outcome of the migration is written.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPLATE_ENV = "MUTUALAID_TEST_TEMPLATE"  # "<database name>:<folder>"
WAIT_SECONDS = 900


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _drop(name: str) -> None:
    """Drop the database even if a connection a test left open (a thread's, a child process's)
    still holds it."""
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _commit_without_waiting(name: str) -> None:
    """A test database's commits do not wait for the disk (nothing of it must survive a crash of
    the server): the tests that commit, and each test's flush after them, go faster."""
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(name)} SET synchronous_commit TO off")


# --- The controlling process ---------------------------------------------------------------------


def template_start() -> subprocess.Popen[bytes]:
    """Start migrating the template in a process of its own; the workers started after this
    inherit TEMPLATE_ENV."""
    from django.db import connection

    test = connection.settings_dict["TEST"].get("NAME") or f"test_{connection.settings_dict['NAME']}"
    name = f"{test}_template"
    folder = Path(tempfile.mkdtemp(prefix="mutualaid-testdb-"))
    os.environ[TEMPLATE_ENV] = f"{name}:{folder}"
    return subprocess.Popen([sys.executable, "-m", "tests.testdb", "create", name, str(folder)])


def template_finish(process: subprocess.Popen[bytes]) -> None:
    """Stop the migration if no worker needed it after all, and drop the template."""
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    name, folder = os.environ.pop(TEMPLATE_ENV).split(":", 1)
    subprocess.run([sys.executable, "-m", "tests.testdb", "drop", name, folder], check=False)


def _main(command: str, name: str, folder: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import config.pytest_env  # noqa: F401 - the tests' environment, as the workers have it

    django.setup()
    from django.db import connection

    if command == "drop":
        _drop(name)
        for path in Path(folder).iterdir():
            path.unlink()
        Path(folder).rmdir()
        return
    connection.settings_dict["TEST"]["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    except BaseException:
        (Path(folder) / "failed").write_text(traceback.format_exc())
        raise
    connection.close()
    (Path(folder) / "ready").touch()


# --- A worker ------------------------------------------------------------------------------------


def _wait_for_template(folder: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (folder / "ready").exists():
        if (folder / "failed").exists():
            raise RuntimeError(f"migrating the test database failed:\n{(folder / 'failed').read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test database was not migrated within {WAIT_SECONDS} s")
        time.sleep(0.2)


def worker_database_create(worker: str, verbosity: int) -> str:
    """Copy the template into the worker's own database and connect to it; return the name of
    the database to restore at the end."""
    from django.conf import settings
    from django.db import connection

    name, folder = os.environ[TEMPLATE_ENV].split(":", 1)
    _wait_for_template(Path(folder))
    original = str(connection.settings_dict["NAME"])
    with _locked(Path(folder)):  # one copy at a time: the template must have no other session
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = name
        connection.creation.clone_test_db(suffix=worker, verbosity=verbosity, autoclobber=True)
        _commit_without_waiting(connection.creation.get_test_db_clone_settings(worker)["NAME"])
        connection.creation.setup_worker_connection(worker)  # type: ignore[arg-type] # any suffix serves
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"]
    return original


def worker_database_destroy(*, original: str) -> None:
    from django.conf import settings
    from django.db import connections

    own = connections["default"].settings_dict["NAME"]
    connections.close_all()
    _drop(own)
    settings.DATABASES["default"]["NAME"] = connections["default"].settings_dict["NAME"] = original


if __name__ == "__main__":
    _main(*sys.argv[1:4])
