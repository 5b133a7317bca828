"""Re-encrypt personal data under the current key, so that an old key can be retired.

Key rotation without downtime (mutualaid/pii.py): put the new key first in PII_ENCRYPTION_KEYS,
keeping the old ones after it, and restart; new values use the new key, old ones still decrypt.
Then run this command while the application runs: it rewrites every ciphertext and encrypted file
written under another key, in small batches, and says how many remain. When it reports none, the
old keys can be removed from PII_ENCRYPTION_KEYS.

    manage.py reencrypt_pii [--dry-run]

Each batch is its own transaction and only rows still under an old key are touched, so the
command can be interrupted and run again. The blind index (PII_INDEX_KEY) is not rotated here: a
new index key would need every index recomputed at once, with the lookups switched over together.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import models, transaction

from mutualaid import pii
from mutualaid.tenancy import unscoped

BATCH = 1000


def _stale(blob: Any, current: int) -> bool:
    return bool(blob) and pii.key_id_of(blob) != current


class Command(BaseCommand):
    help = "Re-encrypt personal data written under an older key of PII_ENCRYPTION_KEYS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        current = pii.current_key_id()
        with unscoped():  # every office's rows: this is the operator's command
            # Every encrypted column and file of the product, as the apps registered them.
            for label, fields in pii.ENCRYPTED_COLUMNS.items():
                model = apps.get_model(label)
                count = self._columns(model, fields, current, dry_run)
                self.stdout.write(f"{model._meta.label} {', '.join(fields)}: {count}")
            for label in pii.ENCRYPTED_FILES:
                model = apps.get_model(label)
                count = self._files(model, current, dry_run)
                self.stdout.write(f"{model._meta.label} files: {count}")
        self.stdout.write("dry run: nothing changed" if dry_run else f"everything is now under key {current}")

    def _columns(self, model: type[models.Model], fields: tuple[str, ...], current: int, dry_run: bool) -> int:
        done = 0
        last = 0
        while True:
            rows = list(model._default_manager.filter(pk__gt=last).order_by("pk").only("pk", *fields)[:BATCH])
            if not rows:
                return done
            last = rows[-1].pk
            stale = [row for row in rows if any(_stale(getattr(row, field), current) for field in fields)]
            done += len(stale)
            if dry_run or not stale:
                continue
            for row in stale:
                for field in fields:
                    blob = getattr(row, field)
                    if _stale(blob, current):
                        setattr(row, field, pii.encrypt(pii.decrypt(blob)))
            with transaction.atomic():
                model._default_manager.bulk_update(stale, fields)

    def _files(self, model: type[models.Model], current: int, dry_run: bool) -> int:
        done = 0
        for row in model._default_manager.exclude(file="").order_by("pk").iterator(chunk_size=BATCH):
            stored_file = row.file  # type: ignore[attr-defined] # every registered model names its field `file`
            storage, name = stored_file.storage, stored_file.name
            if not storage.exists(name):
                continue  # deleted when its retention period ended
            with storage.open(name, "rb") as stored:
                blob = stored.read()
            if not _stale(blob, current):
                continue
            done += 1
            if dry_run:
                continue
            # A new file beside the old one, the row pointed at it, then the old one removed: a
            # reader at any moment finds one of the two whole.
            saved = storage.save(name, ContentFile(pii.encrypt_bytes(pii.decrypt_bytes(blob))))
            model._default_manager.filter(pk=row.pk).update(file=saved)
            storage.delete(name)
        return done
