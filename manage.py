#!/usr/bin/env python
"""Django's command-line utility.

When DATABASE_URL or REDIS_URL is unset, a private PostgreSQL or Redis under .local/ is started
first (config/devservices.py), so that `python manage.py …` works on a machine with no server
installed.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.devservices import ensure_environment

    ensure_environment()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
