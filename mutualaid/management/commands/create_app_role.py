"""Create (or bring up to date) the login role the application connects as in production.

Run as the database owner after every `migrate`: it is idempotent, and grants cover the tables
that exist when it runs. The role owns nothing and is no superuser, so it cannot drop or disable
the triggers of mutualaid/dbguard.py; it may not update, delete or truncate the audit and ledger
tables at all. Its name comes from DATABASE_APP_ROLE (default mutualaid_app), its password, if
any, from DATABASE_APP_PASSWORD.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from mutualaid.dbguard import app_role_grants, install_guards


class Command(BaseCommand):
    help = "Create or update the application's non-owner database role and its privileges."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=settings.DATABASE_APP_ROLE, help="Role name (DATABASE_APP_ROLE).")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if not role.replace("_", "").isalnum():
            raise CommandError("The role name may hold letters, digits and underscores only.")
        who = connection.ops.quote_name(role)
        password = os.environ.get("DATABASE_APP_PASSWORD", "")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found and found[0]:
                raise CommandError("The application's role must not be the role running the migrations.")
            if not found:
                cursor.execute(f"CREATE ROLE {who} LOGIN")
            cursor.execute(
                "SELECT count(*) FROM pg_class JOIN pg_roles ON pg_roles.oid = relowner WHERE rolname = %s", [role]
            )
            if cursor.fetchone()[0]:
                raise CommandError("The application's role owns tables; the owner must be another role.")
            cursor.execute(f"ALTER ROLE {who} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
            if password:
                cursor.execute(f"ALTER ROLE {who} PASSWORD %s", [password])
            install_guards()
            for statement in app_role_grants(role):
                cursor.execute(statement)
        self.stdout.write(f"{role}: {'updated' if found else 'created'}")
