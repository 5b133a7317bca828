"""pytest plugin (loaded with `-p` before Django's settings are read): test environment.

Plain `pytest` works on a machine without a database or Redis server: when DATABASE_URL or
REDIS_URL is unset, the private server is started, as `manage.py` does (config/devservices.py).

Under pytest-xdist each worker process gets a Redis database and a Celery queue of its own (the
database of REDIS_URL plus the worker's number): a test empties the cache, which empties its
whole Redis database, and a real worker one test starts must not take another test's tasks.
pytest-django gives each worker its own test database the same way (`test_<name>_gw0`, …).
"""

import atexit
import os
import shutil
import tempfile
from urllib.parse import urlsplit, urlunsplit

from config.devservices import ensure_environment

os.environ.setdefault("MUTUALAID_TESTING", "1")
os.environ.setdefault("HTTPS_ONLY", "0")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API runs an event loop
# Cards render inline in tests; test_documents runs the separate-process path on purpose.
os.environ.setdefault("CARD_RENDER_PROCESSES", "0")


def _worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … (unset without xdist)
    return int(worker[2:]) if worker.startswith("gw") else None


def _redis_database(url: str, offset: int) -> str:
    """The same server, the database `offset` places after the URL's own."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + offset
    return urlunsplit(parts._replace(path=f"/{database}"))


ensure_environment()
# Each test process stores uploads and generated files in a directory of its own, removed when it
# ends: a file one worker's test deletes (retention, a withdrawn list) cannot be another's, and a
# run leaves nothing behind in the project's media/. The workers a test starts inherit it.
# pytest-xdist's workers inherit the controlling process's environment: each makes its own folder
# (a file name holds a row's number, which each worker's database gives out from 1 again).
_MEDIA_OF = "MUTUALAID_TEST_MEDIA_OF"  # the process of the run the folder is for
_process = os.environ.get("PYTEST_XDIST_WORKER", "")
if "MEDIA_ROOT" not in os.environ or os.environ.get(_MEDIA_OF, "") != _process:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="mutualaid-test-media-")
    os.environ[_MEDIA_OF] = _process
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)
_number = _worker_number()
if _number is not None:
    os.environ["REDIS_URL"] = _redis_database(os.environ["REDIS_URL"], _number)
    os.environ["CELERY_QUEUE"] = f"{os.environ.get('CELERY_QUEUE', 'celery')}-gw{_number}"
