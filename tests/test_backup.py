"""Backup and restore (README, "Backup and restore"): scripts/backup.sh then scripts/restore.sh
into a new database and media folder give back the same books, the same rows and documents that
still decrypt with the keys kept apart."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from mutualaid import pii
from tests import pgcluster
from tests.conftest import Tree

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "mutualaid_organisation",
    "mutualaid_user",
    "enrollment_plan",
    "enrollment_policy",
    "enrollment_enrollment",
    "enrollment_cardprintjob",
    "claims_claim",
    "claims_claimdocument",
    "claims_paymentbatch",
    "finance_journalentry",
    "finance_journalline",
    "finance_remittance",
    "reporting_snapshot",
]
BALANCES = (
    "SELECT org_id, plan_id, account, sum(debit) - sum(credit) FROM finance_journalline "
    "GROUP BY org_id, plan_id, account ORDER BY org_id, plan_id, account"
)


def _url(name: str) -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{name}"


def _facts(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608
        return {
            "counts": counts,
            "balances": conn.execute(BALANCES).fetchall(),
            "documents": conn.execute("SELECT file FROM claims_claimdocument ORDER BY id").fetchall(),
        }


def _run(script: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_has_the_same_books_rows_and_readable_documents(
    tree: Tree, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    tree.a.with_enrollment(100).with_claim().with_finance()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        bin_folder = pgcluster.bin_for_server(int(cursor.fetchone()[0]))
    assert bin_folder is not None, "no pg_dump of the server's major version on this machine"
    source = _url(connection.settings_dict["NAME"])
    tools = {"PG_BIN": str(bin_folder)}

    env = {**tools, "DATABASE_URL": source, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    folder = Path(_run("backup.sh", str(tmp_path / "backups"), env=env).strip())
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("mutualaid-")
    assert sorted(p.name for p in folder.iterdir()) == ["MANIFEST", "SHA256SUMS", "database.dump", "media.tar.gz"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"

    restored_name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    restored_media = tmp_path / "restored-media"
    try:
        _run(
            "restore.sh",
            str(folder),
            env={**tools, "DATABASE_URL": _url(restored_name), "MEDIA_ROOT": str(restored_media)},
        )
        before, after = _facts(source), _facts(_url(restored_name))
        assert after == before
        assert all(before["counts"].values()), before["counts"]  # the tree has a row in every table
        assert before["balances"] and sum(balance for *_key, balance in before["balances"]) == 0
        for (name,) in after["documents"]:
            stored = (restored_media / name).read_bytes()
            assert b"%PDF" not in stored[:64]  # encrypted at rest, in the backup too
            assert pii.decrypt_bytes(stored)[:4] in (b"%PDF", b"\x89PNG")
        # A second restore into the same database is refused rather than mixed in.
        again = subprocess.run(
            [str(ROOT / "scripts" / "restore.sh"), str(folder)],
            env={**os.environ, **tools, "DATABASE_URL": _url(restored_name), "MEDIA_ROOT": str(tmp_path / "other")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert again.returncode == 1 and "not empty" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
