"""pytest plugin (loaded with `-p` before Django's settings are read): test environment.

Plain `pytest` works on a machine without a database server: when DATABASE_URL is unset, the
private embedded PostgreSQL is started, as `manage.py` does.
"""

import os

os.environ.setdefault("MUTUALAID_TESTING", "1")
os.environ.setdefault("HTTPS_ONLY", "0")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API runs an event loop
# Cards render inline in tests; test_documents runs the separate-process path on purpose.
os.environ.setdefault("CARD_RENDER_PROCESSES", "0")
if not os.environ.get("DATABASE_URL"):
    from config.devdb import ensure_database

    os.environ["DATABASE_URL"] = ensure_database()
