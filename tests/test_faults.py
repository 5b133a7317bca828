"""Money and jobs under faults: a worker killed in the middle of a job, two beats at once.

A job is held still in its middle by a pause point (mutualaid/faults.py) inside its transaction or
its loop; the test then kills the worker with SIGKILL, starts a new one, and checks that the job
ended exactly once, as an undisturbed run ends. The workers get a visibility timeout of one
second, so the task their dead colleague had taken is delivered again within seconds (in
production it comes back after CELERY_VISIBILITY_TIMEOUT, an hour: config/settings.py).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connections
from django.test import Client
from pypdf import PdfReader
from rest_framework.authtoken.models import Token

from enrollment.models import CardPrintJob, Enrollment, ListRow, MemberList
from enrollment.services.approval import member_list_approve
from enrollment.services.cards import card_job_create
from enrollment.services.member_lists import member_list_submit, member_list_upload
from enrollment.tasks import check_member_list, print_cards
from finance.models import Remittance
from finance.tasks import draft_all_remittances
from mutualaid import pii
from mutualaid.tenancy import org_scope, unscoped
from reporting import services as reporting
from reporting.models import Snapshot, SnapshotKind
from reporting.overview import overview
from reporting.tasks import rollup_all, rollup_office
from tests import claimkit, finkit, lists, pgcluster
from tests.conftest import Tree, require_service
from tests.workers import database_url, worker_command

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Workers:
    """Real `celery worker` processes on a queue of their own, killed or stopped at the end."""

    def __init__(self, fault_dir: Path) -> None:
        if not settings.REDIS_URL:
            require_service("REDIS_URL")
        self.queue = f"faults-{uuid.uuid4().hex[:12]}"
        self.fault_dir = fault_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *, pause: str = "") -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CELERY_QUEUE": self.queue,
            "CELERY_VISIBILITY_TIMEOUT": "1",
            "CELERY_RESTORE_INTERVAL": "1",
            "MUTUALAID_FAULT_DIR": str(self.fault_dir),
            "MUTUALAID_FAULT_PAUSE": pause,
        }
        process = subprocess.Popen(
            worker_command(hostname=f"{self.queue}-{len(self.processes)}@%h", queue=self.queue),
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: the SIGKILL reaches all of it
        )
        self.processes.append(process)
        return process

    def send(self, task: Any, **kwargs: Any) -> Any:
        return task.apply_async(kwargs=kwargs, queue=self.queue)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def reached(self, point: str) -> bool:
        return (self.fault_dir / f"{point}.reached").exists()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(self.queue)
        client.close()

    def queue_length(self) -> int:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            return int(client.llen(self.queue))
        finally:
            client.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.close()


def kill_in_the_middle(workers: Workers, point: str, task: Any, **kwargs: Any) -> Any:
    """Start the task on a worker that stops at `point`, SIGKILL that worker there, start a
    healthy one, and return the task's result (the same task, delivered again)."""
    doomed = workers.start(pause=point)
    result = workers.send(task, **kwargs)
    wait_for(lambda: workers.reached(point), timeout=45, what=f"the worker to reach {point}")
    workers.kill(doomed)
    assert doomed.returncode == -signal.SIGKILL
    workers.start()
    return result.get(timeout=45)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_rollup_cut_off_by_a_killed_worker_ends_once_with_the_undisturbed_checksum(
    tree: Tree, workers: Workers
) -> None:
    tree.a.with_enrollment(100)
    finkit.enrolled_last_month(tree.a)
    month = finkit.last_month()
    with org_scope(tree.a.city):
        expected = reporting.checksum(
            {"rules": reporting.RULES_VERSION, "figures": overview(node=tree.a.city, month=month)}
        )

    outcome = kill_in_the_middle(
        workers, "reporting.rollup", rollup_office, org_id=tree.a.city.pk, period=month.isoformat()
    )

    assert outcome.startswith("monthly: r1 created")  # the first run left nothing behind
    # Redis may hand the dead worker's task out once more (its visibility timeout passed while the
    # healthy worker ran it): that delivery is taken too, and changes nothing.
    wait_for(lambda: workers.queue_length() == 0, timeout=30, what="the queue to be empty")
    with unscoped():
        monthly = Snapshot.objects.filter(org=tree.a.city, kind=SnapshotKind.MONTHLY, period_start=month)
        assert list(monthly.values_list("revision", "checksum")) == [(1, expected)]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_list_check_cut_off_by_a_killed_worker_ends_once_and_enrols_each_person_once(
    tree: Tree, workers: Workers
) -> None:
    offer = lists.offer_plan(tree.a.office_user)
    people = [lists.person(300 + i) for i in range(3)]
    agent = tree.a.unit_agent
    with org_scope(agent.org, actor_id=agent.pk):
        member_list, _created = member_list_upload(
            actor=agent, unit=tree.a.unit, period=offer.period, data=lists.member_workbook(people), filename="名单.xlsx"
        )

    outcome = kill_in_the_middle(
        workers, "enrollment.check", check_member_list, org_id=agent.org_id, member_list_id=member_list.pk
    )

    assert outcome == "valid"
    with unscoped():
        checked = MemberList.objects.get(pk=member_list.pk)
        assert (checked.row_count, ListRow.objects.filter(member_list=checked).count()) == (3, 3)
    with org_scope(agent.org, actor_id=agent.pk):
        member_list_submit(actor=agent, member_list=checked)
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        policy = member_list_approve(actor=tree.a.office_user, member_list=checked)
    with unscoped():
        assert Enrollment.objects.filter(policy=policy).count() == policy.member_count == 3
        assert Enrollment.objects.filter(period=offer.period).values("id_hash").distinct().count() == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_card_job_cut_off_by_a_killed_worker_is_taken_over_and_leaves_one_pdf(
    tree: Tree, workers: Workers, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # the workers are given the same folder
    tree.a.with_enrollment(100)
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        job = card_job_create(actor=tree.a.office_user, period=tree.a.period)

    outcome = kill_in_the_middle(
        workers, "enrollment.cards", print_cards, org_id=tree.a.city.pk, job_id=job.pk, actor_id=tree.a.office_user.pk
    )

    assert outcome == "done"
    with unscoped():
        job = CardPrintJob.objects.get(pk=job.pk)
    assert (job.status, job.card_count, job.attempt) == ("done", 2, 2)  # the second attempt finished it
    folder = Path(settings.MEDIA_ROOT) / Path(job.file.name).parent
    assert sorted(p.name for p in folder.glob(f"cards-{job.pk}-*")) == [Path(job.file.name).name]
    pdf = PdfReader(io.BytesIO(pii.decrypt_bytes((Path(settings.MEDIA_ROOT) / job.file.name).read_bytes())))
    assert len(pdf.pages) >= 1 and tree.a.members[0]["name"] in "".join(p.extract_text() for p in pdf.pages)
    # The task delivered again once more (a late duplicate) does not print a second time.
    assert workers.send(print_cards, org_id=tree.a.city.pk, job_id=job.pk).get(timeout=30) == "done"
    with unscoped():
        assert CardPrintJob.objects.get(pk=job.pk).attempt == 2


# Two beat instances by mistake -------------------------------------------------------------------


def twice_at_once(body: Callable[[], Any]) -> list[Any]:
    """Run `body` in two threads released together; each thread has its own database connection."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = body()
        except BaseException as error:  # reported by the assertion below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results


@pytest.fixture
def held_in_the_middle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], None]:
    """Each run that reaches the named point waits there one second: two runs not serialised by
    a lock would both be inside at once."""

    def hold(point: str) -> None:
        monkeypatch.setenv("MUTUALAID_FAULT_PAUSE", point)
        monkeypatch.setenv("MUTUALAID_FAULT_DIR", str(tmp_path))
        monkeypatch.setenv("MUTUALAID_FAULT_TIMEOUT", "1")

    return hold


@pytest.mark.django_db(transaction=True)
def test_two_monthly_rollups_started_at_once_make_one_snapshot_per_office(
    tree: Tree, held_in_the_middle: Callable[[str], None]
) -> None:
    for city, offset in ((tree.a, 100), (tree.b, 200)):
        city.with_enrollment(offset)
        finkit.enrolled_last_month(city)
    held_in_the_middle("reporting.rollup")

    assert twice_at_once(lambda: rollup_all.apply(throw=True).result) == [2, 2]

    with unscoped():
        made = sorted(Snapshot.objects.values_list("org_id", "kind", "period_start", "revision"))
    month = finkit.last_month()
    offices = [tree.a.city.pk, tree.b.city.pk, tree.province.pk]
    monthly = [(org, kind, start, revision) for org, kind, start, revision in made if kind == SnapshotKind.MONTHLY]
    assert monthly == sorted((org, SnapshotKind.MONTHLY.value, month, 1) for org in offices)
    assert len(made) == len(set(made)) == len({row[:3] for row in made})


@pytest.mark.django_db(transaction=True)
def test_two_remittance_draftings_started_at_once_make_one_report_per_office_and_month(
    tree: Tree, held_in_the_middle: Callable[[str], None]
) -> None:
    month = finkit.last_month()
    for city, offset in ((tree.a, 100), (tree.b, 200)):
        city.with_enrollment(offset)
        finkit.move_policy_to(city.policy, month)
    held_in_the_middle("finance.remittance_draft")

    assert twice_at_once(lambda: draft_all_remittances.apply(throw=True).result) == [1, 1]

    with unscoped():
        reports = list(Remittance.objects.values_list("org_id", "month"))
    # Each agent point remits its own policies to its city: one report each, drafted once.
    assert sorted(reports) == sorted((office.pk, month) for office in (tree.a.county, tree.b.county))


# The database restarted under load -----------------------------------------------------------------


def copy_database(*, source: str, target: str, bin_folder: Path) -> None:
    """The test database (schema and the fixtures' rows) into the throwaway cluster. Column
    options the source server has and a stock PostgreSQL does not know are left out."""
    dump = subprocess.Popen(
        [str(bin_folder / "pg_dump"), "--no-owner", "--no-privileges", "--no-statistics", "-d", source],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.Popen(
        [str(bin_folder / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", target],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        assert dump.stdout is not None and restore.stdin is not None
        for line in dump.stdout:
            if not (line.startswith(b"ALTER TABLE ONLY ") and b" SET (pg_attver=" in line):
                restore.stdin.write(line)
        restore.stdin.close()
        assert dump.wait(timeout=60) == 0 and restore.wait(timeout=120) == 0
    finally:
        for process in (dump, restore):  # never left holding locks on the test database
            if process.poll() is None:
                process.kill()
                process.wait()


def start_gunicorn(*, database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = pgcluster.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "PII_ENCRYPTION_KEYS": settings.PII_ENCRYPTION_KEYS,
        "PII_INDEX_KEY": settings.PII_INDEX_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "0",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--threads=4",
                "--timeout=30",
                "--graceful-timeout=5",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}"


class Load:
    """Threads sending, until stopped, the three kinds of request of an office PC and an API
    client: a page, a list, a claim registered (three rows written in one transaction)."""

    def __init__(self, base: str, *, session: str, token: str, enrollment: int) -> None:
        self.base, self.session, self.token, self.enrollment = base, session, token, enrollment
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []
        self.sequence = 0
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(4)]

    def _request(self, kind: str) -> dict[str, Any]:
        api = {"Authorization": f"Token {self.token}"}
        if kind == "page":
            call = {"method": "GET", "url": f"{self.base}/", "cookies": {"sessionid": self.session}}
        elif kind == "list":
            call = {"method": "GET", "url": f"{self.base}/api/v1/claims/", "headers": api}
        else:
            with self.lock:
                self.sequence += 1
                invoice = f"RESTART-{self.sequence:05d}"
            body = {
                **claimkit.PAPERS,
                "enrollment": self.enrollment,
                "invoices": [invoice],
                "account_number": claimkit.PAYEE.account_number,
            }
            call = {"method": "POST", "url": f"{self.base}/api/v1/claims/", "headers": api, "json": body}
        entry: dict[str, Any] = {"kind": kind, "at": time.monotonic(), "invoice": call.get("json", {}).get("invoices")}
        try:
            response = requests.request(**call, timeout=15, allow_redirects=False)
        except requests.RequestException as error:
            entry["status"], entry["error"] = None, type(error).__name__
        else:
            entry["status"], entry["retry_after"] = response.status_code, response.headers.get("Retry-After")
            entry["body"] = response.text[:2000]
        entry["done"] = time.monotonic()
        return entry

    def _run(self, i: int) -> None:
        kinds = ("page", "list", "claim")
        n = i
        while not self.stop.is_set():
            entry = self._request(kinds[n % 3])
            n += 1
            with self.lock:
                self.log.append(entry)
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def kinds_since(self, moment: float, expected: dict[str, int]) -> bool:
        """Each kind of request has been answered as expected since the moment."""
        with self.lock:
            return {e["kind"] for e in self.log if e["at"] >= moment and e["status"] == expected[e["kind"]]} == set(
                expected
            )


OK = {"page": 200, "list": 200, "claim": 201}
UNAVAILABLE = {"page": 503, "list": 503, "claim": 503}


@pytest.mark.django_db(transaction=True)
def test_a_database_restart_under_load_answers_503_then_recovers_with_nothing_half_written(
    claims_ready: Tree, tmp_path: Path
) -> None:
    agent = claims_ready.a.unit_agent
    token = Token.objects.create(user=agent).key
    browser = Client()
    browser.force_login(agent)
    cluster = pgcluster.Cluster()
    app: subprocess.Popen[bytes] | None = None
    try:
        cluster.start()
        url = cluster.create_database("mutualaid")
        copy_database(source=database_url(), target=url, bin_folder=cluster.bin)
        app, base = start_gunicorn(database_url=url, log=tmp_path / "gunicorn.log")
        wait_for(lambda: _answers(base), timeout=45, what="gunicorn to answer")
        session = browser.cookies["sessionid"].value
        with Load(base, session=session, token=token, enrollment=claims_ready.a.enrollment.pk) as load:
            started = time.monotonic()
            wait_for(lambda: load.kinds_since(started, OK), timeout=30, what="success before the restart")
            cluster.stop()
            down = time.monotonic()
            wait_for(lambda: load.kinds_since(down, UNAVAILABLE), timeout=30, what="503 while the database is down")
            # The server accepts connections a moment before `pg_ctl start -w` returns: a request
            # that began in the outage may be answered normally in that moment. The outage is
            # what lies between the stop returning and the start being asked for.
            restarting = time.monotonic()
            cluster.start()
            up = time.monotonic()
            wait_for(lambda: load.kinds_since(up, OK), timeout=30, what="every kind of request to succeed again")
            recovered = time.monotonic()
            time.sleep(1)  # one more second of load: all of it must succeed
            after = time.monotonic()
            time.sleep(1)
        log = load.log

        assert recovered - up < 10, f"took {recovered - up:.1f}s to recover"
        outage = [e for e in log if down <= e["at"] and e["done"] <= restarting]
        assert outage and all(e["status"] == 503 for e in outage), {(e["kind"], e["status"]) for e in outage}
        for entry in outage:
            assert entry["retry_after"] == "5"
            if entry["kind"] == "page":
                assert "服务暂时不可用" in entry["body"] and "Traceback" not in entry["body"]
            else:
                assert "detail" in json.loads(entry["body"])
        assert not [e for e in log if e["status"] not in (200, 201, 503)], "no 500, no dropped connection"
        late = [e for e in log if e["at"] >= after]
        assert late and all(e["status"] == OK[e["kind"]] for e in late)
        # Nothing half-written: every claim stored has its invoice and its registration step, and
        # every claim the API confirmed is stored.
        confirmed = {e["invoice"][0] for e in log if e["kind"] == "claim" and e["status"] == 201}
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT i.number, count(DISTINCT i.id), count(DISTINCT s.id) FROM claims_claim c "
                "JOIN claims_claiminvoice i ON i.claim_id = c.id LEFT JOIN claims_claimstep s ON s.claim_id = c.id "
                "GROUP BY c.id, i.number"
            ).fetchall()
            claims = conn.execute("SELECT count(*) FROM claims_claim").fetchone()
        assert all(invoices == 1 and steps == 1 for _number, invoices, steps in rows), rows
        stored = {number for number, _i, _s in rows}
        assert confirmed and confirmed <= stored and claims is not None and claims[0] == len(stored)
    finally:
        if app is not None:
            os.killpg(app.pid, signal.SIGTERM)
            app.wait(timeout=20)
        cluster.remove()


def _answers(base: str) -> bool:
    try:
        requests.get(f"{base}/accounts/login/", timeout=5)
    except requests.RequestException:
        return False
    return True
