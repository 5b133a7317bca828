"""Run the retention job by hand, office by office, each in its own scope, as the nightly task
does; `--dry-run` only counts what has expired."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mutualaid.models import Organisation
from mutualaid.retention import audit_events_past_retention, retention_apply, rules, run_offices
from mutualaid.tenancy import org_scope, unscoped


class Command(BaseCommand):
    help = "Anonymise the personal data whose retention period has passed (--dry-run: count only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what has expired; change nothing.")
        parser.add_argument("--today", type=date.fromisoformat, help="Business date to run as (YYYY-MM-DD).")

    def handle(self, *args: Any, dry_run: bool = False, today: date | None = None, **options: Any) -> None:
        labels = {rule.kind: rule.label for rule in rules()}
        totals = dict.fromkeys(labels, 0)
        for office_id in run_offices():
            with unscoped():  # the office row itself, to enter its scope: the operator's command
                office = Organisation.objects.get(pk=office_id)
            with org_scope(office):
                counts = retention_apply(office=office, today=today, dry_run=dry_run)
            for kind, count in counts.items():
                totals[kind] += count
                if count:
                    self.stdout.write(f"{office.name}\t{labels[kind]}\t{count}")
        verb = "expired" if dry_run else "anonymised"
        for kind, count in totals.items():
            self.stdout.write(f"{kind}\t{verb}\t{count}")
        self.stdout.write(f"audit_events_past_retention\t{audit_events_past_retention(today=today)}")
