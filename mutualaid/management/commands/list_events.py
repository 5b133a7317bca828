"""Print every business event with its fields and the subscribers that act on it, in order."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from django.core.management.base import BaseCommand

from mutualaid.events import subscriptions


class Command(BaseCommand):
    help = "List the business events (mutualaid/events.py), their fields and their subscribers."

    def handle(self, *args: Any, **options: Any) -> None:
        for event_type, subscribers in sorted(subscriptions().items(), key=lambda item: item[0].__module__):
            self.stdout.write(f"{event_type.__module__}.{event_type.__qualname__}")
            doc = " ".join((event_type.__doc__ or "").split())
            if doc:
                self.stdout.write(f"  {doc}")
            for field in fields(event_type):
                self.stdout.write(f"  field {field.name}: {field.type}")
            for subscriber in subscribers:
                self.stdout.write(f"  -> {subscriber.__module__}.{subscriber.__qualname__}")
