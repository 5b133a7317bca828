#!/usr/bin/env python
"""Django's command-line utility.

When DATABASE_URL is unset, a private PostgreSQL under .local/ is started first, so that
`python manage.py …` works on a machine with no database server installed.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL"):
        from config.devdb import ensure_database

        os.environ["DATABASE_URL"] = ensure_database()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
