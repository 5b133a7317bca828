"""Issue the enrolment code of an approver who has nobody above to issue it: the first heads of
a new installation, created by the operator. Everyone else's code is issued in the product, by
a second person (mutualaid/services.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mutualaid.models import User
from mutualaid.services import enrolment_code_issue_seeded
from mutualaid.tenancy import org_scope


class Command(BaseCommand):
    help = "Print a one-time enrolment code for an approver's first authenticator (operators only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.auth_objects.select_related("org").filter(username=username).first()
        if user is None or user.org is None:
            raise CommandError(f"No account {username!r} at an office.")
        if not user.needs_two_factor:
            raise CommandError(f"{username} approves nothing and logs in without an authenticator.")
        with org_scope(user.org), transaction.atomic():
            issued = enrolment_code_issue_seeded(user=user)
        self.stdout.write(f"{username}: {issued.code} (valid once, until {issued.expires_at:%Y-%m-%d %H:%M %Z})")
