"""The test database of a pytest-xdist worker: a copy of one migrated template.

Migrating takes half a minute of one core; each worker migrating its own database would spend
that once per worker, all at the same time. The first worker migrates a template database
instead and each worker, one after the other, copies it (`CREATE DATABASE … TEMPLATE`, about a
second), as Django's own parallel test runner does. The workers of one run share the folder
above their temporary folders, where a lock file orders them.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / "test-database.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _drop(name: str) -> None:
    """Drop the database even if a connection a test left open (a thread's, a child process's)
    still holds it."""
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _template(worker: str) -> str:
    from django.db import connection

    own = connection.settings_dict["TEST"]["NAME"]  # test_<name>_gw0: pytest-django's suffix
    return str(own).removesuffix(f"_{worker}") + "_template"


def worker_database_create(worker: str, shared: Path, verbosity: int) -> str:
    """Copy the template (migrated first if no worker did yet) and connect to the copy; return
    the name of the database to restore at the end."""
    from django.conf import settings
    from django.db import connection

    original = str(connection.settings_dict["NAME"])
    template = _template(worker)
    with _locked(shared):
        if not (shared / "test-database.ready").exists():
            test = connection.settings_dict["TEST"]
            own, test["NAME"] = test["NAME"], template
            connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
            test["NAME"] = own
            (shared / "test-database.ready").touch()
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = template
        connection.creation.clone_test_db(suffix=worker, verbosity=verbosity, autoclobber=True)
        connection.creation.setup_worker_connection(worker)  # type: ignore[arg-type] # any suffix serves
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"]
    return original


def worker_database_destroy(worker: str, shared: Path, verbosity: int, *, original: str) -> None:
    """Drop the worker's copy, and the template with the last copy."""
    from django.conf import settings
    from django.db import connections

    own = connections["default"].settings_dict["NAME"]
    connections.close_all()
    _drop(own)
    settings.DATABASES["default"]["NAME"] = connections["default"].settings_dict["NAME"] = original
    with _locked(shared):
        done = shared / "test-database.done"
        count = len(done.read_text()) + 1 if done.exists() else 1
        done.write_text("x" * count)
        if count == int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")):
            _drop(_template(worker))
