"""Production settings and the docker-compose file that runs them on an office's own server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "config" / "settings.py").read_text()


def _production_env() -> dict[str, str]:
    test_only = {"MUTUALAID_TESTING", "HTTPS_ONLY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(
        SECRET_KEY="k" * 20 + "-production-secret-key-of-sufficient-length-!",
        ALLOWED_HOSTS="huzhu.example.cn",
        PII_ENCRYPTION_KEYS="1:" + "A" * 43,
        PII_INDEX_KEY="B" * 43,
    )
    return env


def test_check_deploy_passes_under_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = _production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_part_of_the_product() -> None:
    services = _compose()["services"]
    assert set(services) >= {"db", "redis", "web", "worker", "beat"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"] and "beat" in services["beat"]["command"]


def test_compose_pools_connections_in_transaction_mode_and_migrates_directly() -> None:
    services = _compose()["services"]
    pooler = services["pgbouncer"]["environment"]
    assert services["pgbouncer"]["image"].startswith("edoburu/pgbouncer:")
    assert pooler["POOL_MODE"] == "transaction" and pooler["DB_HOST"] == "db"
    assert "@db:5432/" in services["migrate"]["environment"]["DATABASE_URL"]  # DDL and roles: no pooler


def test_compose_runs_a_worker_for_every_queue_and_each_queue_once() -> None:
    from config.celery import queue_of

    consumed: list[str] = []
    for name, service in _compose()["services"].items():
        if name.startswith("worker"):
            (queues,) = [part for part in service["command"] if part.startswith("--queues=")]
            consumed += queues.removeprefix("--queues=").split(",")
    # docker-compose sets no CELERY_QUEUE: the deployment's default queue is Celery's own name.
    every = {"celery", *(f"celery.{kind}" for kind in settings.WORK_QUEUE_KINDS)}
    assert sorted(consumed) == sorted(every)
    assert queue_of("documents") == f"{settings.CELERY_TASK_DEFAULT_QUEUE}.documents"


def test_compose_has_health_checks_and_named_volumes() -> None:
    compose = _compose()
    for name in ("db", "redis", "web"):
        assert "healthcheck" in compose["services"][name], name
    assert set(compose["volumes"]) >= {"pgdata", "media"}
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    for name in ("web", "worker", "worker-documents", "worker-reports", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"


def test_compose_sets_every_environment_variable_the_settings_require() -> None:
    required = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "PII_ENCRYPTION_KEYS", "PII_INDEX_KEY"}
    read = set(re.findall(r'os\.environ(?:\.get)?[\[(]"([A-Z_]+)"', SETTINGS)) | set(
        re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', SETTINGS)
    )
    assert required <= read
    compose = _compose()
    for name in ("web", "worker", "worker-documents", "worker-reports", "beat"):
        env = compose["services"][name]["environment"]
        assert required <= set(env), name
        assert set(env) <= read, f"{name} sets variables the settings never read: {set(env) - read}"
        assert env["DATABASE_URL"].startswith("postgres://") and "@pgbouncer:6432/" in env["DATABASE_URL"]
        assert env["DATABASE_TRANSACTION_POOLING"] == "1"
        assert env["REDIS_URL"].startswith("redis://redis:6379")
