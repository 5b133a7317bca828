"""Key rotation without downtime: a new key first in PII_ENCRYPTION_KEYS, `reencrypt_pii` moves
every ciphertext and encrypted file onto it, and the old key can then be removed."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimDocument
from claims.selectors import document_content
from enrollment.models import Enrollment, MemberList
from mutualaid import pii
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.conftest import Tree

NEW_KEY = "7:" + "R" * 43


@pytest.fixture
def restore_keys(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    pii._keys.cache_clear()  # pytest-django puts the settings back; the cached keys follow them


def _key_ids() -> set[int]:
    with unscoped():
        blobs = [
            blob for row in Enrollment.objects.values_list("id_cipher", "phone_cipher") for blob in row if blob
        ] + [blob for row in Claim.objects.values_list("diagnosis_cipher", "account_cipher") for blob in row]
        files = [row.file for row in [*ClaimDocument.objects.all(), *MemberList.objects.exclude(file="")]]
    ids = {pii.key_id_of(blob) for blob in blobs}
    for file in files:
        with file.storage.open(file.name, "rb") as stored:
            ids.add(pii.key_id_of(stored.read(2)))
    return ids


def _plain() -> tuple[list[str], list[str], list[bytes]]:
    with unscoped():
        numbers = sorted(pii.decrypt(blob) for blob in Enrollment.objects.values_list("id_cipher", flat=True))
        diagnoses = sorted(pii.decrypt(blob) for blob in Claim.objects.values_list("diagnosis_cipher", flat=True))
        documents = [document_content(document=document) for document in ClaimDocument.objects.order_by("pk")]
    return numbers, diagnoses, documents


def test_reencrypting_moves_everything_to_the_new_key_and_the_old_one_can_go(
    claims_ready: Tree,
    restore_keys: None,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    old_id = pii.current_key_id()
    assert _key_ids() == {old_id}
    before = _plain()
    # The operator puts a new key first, keeping the old one after it, and restarts.
    settings.PII_ENCRYPTION_KEYS = f"{NEW_KEY},{settings.PII_ENCRYPTION_KEYS}"
    pii._keys.cache_clear()
    assert _plain() == before  # old values still read

    out = StringIO()
    call_command("reencrypt_pii", "--dry-run", stdout=out)
    assert "nothing changed" in out.getvalue() and _key_ids() == {old_id}

    call_command("reencrypt_pii", stdout=StringIO())
    assert _key_ids() == {7}
    assert _plain() == before

    # Nothing is left under the old key: a second run finds nothing, and without the old key
    # every value and file still reads the same.
    out = StringIO()
    call_command("reencrypt_pii", stdout=out)
    assert all(line.endswith(": 0") for line in out.getvalue().splitlines()[:-1]), out.getvalue()
    settings.PII_ENCRYPTION_KEYS = NEW_KEY
    pii._keys.cache_clear()
    assert _plain() == before
