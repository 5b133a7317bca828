"""The product behind a real PgBouncer in transaction pooling, as docker-compose deploys it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from config.devservices import _free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bouncer() -> Iterator[str]:
    """A PgBouncer in front of the test database, transaction pooling, one server connection."""
    program = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(program).exists():
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is missing: scripts/system-packages.sh --browser installs it")
        pytest.skip("pgbouncer is not installed (scripts/system-packages.sh --browser)")
    db = connection.settings_dict
    folder = Path(tempfile.mkdtemp(prefix="mutualaid-pgbouncer-"))
    folder.chmod(0o755)
    port = _free_port()
    host = db["HOST"] or "127.0.0.1"
    (folder / "users.txt").write_text(f'"{db["USER"] or "postgres"}" "{db["PASSWORD"] or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{db['NAME']} = host={host} port={db['PORT'] or 5432} dbname={db['NAME']}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 50\nserver_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    for item in folder.iterdir():
        item.chmod(0o644)
    if os.geteuid() == 0:  # it runs as nobody and writes its log here
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []  # PgBouncer refuses to run as root
    process = subprocess.Popen([program, *as_user, str(folder / "pgbouncer.ini")], cwd=folder)
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"], check=False).returncode:
            assert time.monotonic() < deadline and process.poll() is None, "PgBouncer did not start"
            time.sleep(0.2)
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        yield f"postgres://{db['USER'] or 'postgres'}{password}@127.0.0.1:{port}/{db['NAME']}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_two_offices_whole_month_share_one_server_connection_and_leave_nothing_on_it(bouncer: str) -> None:
    env = {**os.environ, "DATABASE_URL": bouncer, "DATABASE_TRANSACTION_POOLING": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.pgbouncer_probe"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == [], "\n".join(seen["errors"])
    assert seen["enrolled"] == 6  # two members and one supplementary member in each city
    # Nothing a transaction took is left on the shared server connection for the next client.
    assert seen["advisory_locks"] == 0 and seen["prepared_statements"] == 0 and seen["open_cursors"] == 0
    assert seen["history_context_left"] == "" and seen["trigger_ignore_left"] == ""
    assert seen["time_zone"] == "UTC"
    # `.iterator()` holds no server-side cursor open across transactions behind the pooler.
    assert seen["cursors_seen_while_iterating"] == [0]


def test_transaction_pooling_turns_server_side_cursors_off() -> None:
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS'))"
    env = {**os.environ, "DATABASE_TRANSACTION_POOLING": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "True", out.stderr[-2000:]
