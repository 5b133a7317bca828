"""Reporting reads on a real streaming replica; writes and everything else on the primary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from mutualaid import replica
from tests import claimkit, finkit, replicas
from tests.conftest import Tree

ROOT = Path(__file__).resolve().parent.parent
LAST = finkit.last_month()


def test_without_a_replica_every_read_stays_on_the_one_database() -> None:
    assert not replica.configured()
    from reporting.models import Snapshot

    with replica.replica_reads():
        assert replica.ReplicaRouter().db_for_read(Snapshot) is None  # Django's default database
    assert replica.ReplicaRouter().db_for_write(None) == "default"
    assert replica.ReplicaRouter().allow_migrate("replica", "enrollment") is False


def test_every_route_registered_for_the_replica_exists_and_only_reads() -> None:
    registered = replica.replica_routes()
    assert "reporting:dashboard" in registered and "api_reporting_overview" in registered
    for name in registered:
        kwargs: dict[str, Any] = {"version": "v1"} if name.startswith("api_") else {}
        if name == "api_reporting_snapshot":
            kwargs["snapshot_pk"] = 1
        reverse(name, kwargs=kwargs)  # raises NoReverseMatch on a name that does not exist
    assert "reporting:targets" not in registered and "reporting:exports" not in registered  # they write


@pytest.fixture
def paid(claims_ready: Tree) -> Tree:
    """City A: two members enrolled last month, one claim paid (committed: the copy sees them)."""
    tree = claims_ready
    people = tree.a.reviewers
    claimkit.pay(people, [claimkit.approve(people, claimkit.register(tree.a.unit_agent, tree.a.enrollment))])
    finkit.enrolled_last_month(tree.a)
    return tree


def test_who_is_asking_is_read_on_the_primary_even_on_a_replica_route() -> None:
    from rest_framework.authtoken.models import Token as TokenModel

    from mutualaid.models import User
    from reporting.models import Snapshot

    router = replica.ReplicaRouter()
    replica._reading.set(True)
    try:
        assert router.db_for_read(Snapshot) == "replica"
        assert router.db_for_read(User) is None and router.db_for_read(TokenModel) is None
    finally:
        replica._reading.set(False)


@pytest.fixture
def token(paid: Tree) -> str:
    """The province's API token, made before the copy of the database."""
    return Token.objects.get_or_create(user=paid.province_user)[0].key


@pytest.fixture
def streaming(paid: Tree, token: str) -> Iterator[tuple[replicas.Server, replicas.Server]]:
    primary = replicas.primary_with_the_test_database()
    standby = None
    try:
        standby = replicas.standby_of(primary)
        yield primary, standby
    finally:
        if standby:
            standby.stop()
        primary.stop()


class Probe:
    """The product as an office's server runs it, on the primary with its replica (tests/replica_probe.py)."""

    def __init__(self, servers: tuple[replicas.Server, replicas.Server]) -> None:
        primary, standby = servers
        env = {**os.environ, "DATABASE_URL": primary.url(), "DATABASE_REPLICA_URL": standby.url()}
        env.pop("PYTEST_XDIST_WORKER", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.replica_probe"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, *command: str) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the probe stopped on {command} (its stderr is above)"
        return json.loads(answer)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_reporting_reads_on_the_replica_and_a_lagging_one_shows_a_whole_month(
    paid: Tree, token: str, streaming: tuple[replicas.Server, replicas.Server]
) -> None:
    primary, standby = streaming
    replicas.caught_up(primary, standby)
    probe = Probe(streaming)
    try:
        _lagging_replica_journey(paid, token, probe, primary, standby)
    finally:
        probe.close()


def _lagging_replica_journey(
    paid: Tree, token: str, probe: Probe, primary: replicas.Server, standby: replicas.Server
) -> None:
    seen = probe("read", token)
    for name in ("overview_api", "snapshots_api"):
        assert seen[name]["status"] == 200, seen
        assert seen[name].get("replica", 0) > 0, seen  # the figures come from the replica
    assert seen["policies_api_not_reporting"].get("replica", 0) == 0, seen  # anything else: the primary

    assert probe("snapshot-isolation") == ["repeatable read", "on"]

    # The replica stops replaying; a month is rolled up on the primary.
    standby.query("SELECT pg_wal_replay_pause()")
    probe("rollup", str(paid.a.city.pk), LAST.isoformat())
    assert primary.query("SELECT count(*) FROM reporting_snapshot") >= 1
    assert probe("snapshots", token) == []  # the replica's moment: before the roll-up, whole
    standby.query("SELECT pg_wal_replay_resume()")
    replicas.caught_up(primary, standby)
    assert probe("snapshots", token) == [paid.a.city.pk]  # and then all of it


def test_a_page_that_writes_never_reads_from_the_replica(paid: Tree) -> None:
    """The middleware only takes GETs of registered routes; a POST of the same page stays put."""
    client = Client()
    client.force_login(paid.a.office_user)
    assert client.post(reverse("reporting:dashboard")).status_code in {403, 405}
