"""Background jobs keep to the office they were started for.

Every task of the project is a ScopedTask, except the few beat fan-outs named below, which read
offices' ids unscoped and do nothing but start one scoped task per office.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app
from mutualaid.scopedtask import ScopedTask
from mutualaid.tasks import org_stats
from mutualaid.tenancy import ScopeError
from tests.conftest import Tree

# Beat fan-outs: started by the schedule with no office, they may only read the ids of offices
# (unscoped, since no office is asking) and start one ScopedTask per office.
FAN_OUTS = {
    "enrollment.renewal_notices_all",  # one enrollment.renewal_notices_office per issuing office
    "finance.draft_all_remittances",  # one finance.draft_remittances per province
    "reporting.rollup_all",  # one reporting.rollup_office per city or industry office
    "mutualaid.retention_all",  # one mutualaid.retention_office per office
    "mutualaid.resend_notices_all",  # one mutualaid.resend_notices_office per province
}


def _project_tasks() -> dict[str, Any]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_of_the_project_runs_in_an_office_scope() -> None:
    tasks = _project_tasks()
    assert "reporting.rollup_office" in tasks and "enrollment.check_member_list" in tasks
    unscoped = sorted(name for name, task in tasks.items() if not isinstance(task, ScopedTask))
    assert unscoped == sorted(FAN_OUTS & set(tasks)), "a task that is neither a ScopedTask nor an allowed fan-out"
    assert set(tasks) >= FAN_OUTS, "an allowed fan-out that no longer exists: remove it from FAN_OUTS"


@pytest.mark.parametrize("name", sorted(FAN_OUTS))
def test_a_fan_out_reads_only_ids_and_starts_scoped_tasks(
    tree: Tree, name: str, monkeypatch: Any, request: pytest.FixtureRequest
) -> None:
    if name == "enrollment.renewal_notices_all":
        request.getfixturevalue("enrolled_tree")  # renewal notices are owed by offices with running policies
    started: list[tuple[str, dict[str, Any]]] = []

    def record(self: Any, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        started.append((self.name, kwargs or {}))

    monkeypatch.setattr(ScopedTask, "apply_async", record)
    with CaptureQueriesContext(connection) as queries:
        count = _project_tasks()[name].apply().get()
    assert count == len(started) > 0
    for task_name, kwargs in started:
        assert isinstance(app.tasks[task_name], ScopedTask), task_name
        assert kwargs.get("org_id"), f"{name} started {task_name} without an office"
    for query in queries.captured_queries:
        selected = re.match(r'SELECT (.*?) FROM "mutualaid_organisation"', query["sql"])
        assert selected and selected.group(1) in {
            '"mutualaid_organisation"."id"',
            '"mutualaid_organisation"."id" AS "pk"',
        }, f"{name} read {query['sql']}"


def test_a_task_refuses_an_actor_from_another_office(tree: Tree) -> None:
    with pytest.raises(ScopeError, match="not in the tree"):
        org_stats.apply(kwargs={"org_id": tree.a.city.pk, "actor_id": tree.b.office_user.pk}).get()


def test_a_task_refuses_an_actor_below_its_office(tree: Tree) -> None:
    """A unit agent cannot start its city's work: the scope would be wider than the agent's."""
    with pytest.raises(ScopeError, match="not in the tree"):
        org_stats.apply(kwargs={"org_id": tree.a.city.pk, "actor_id": tree.a.unit_agent.pk}).get()


def test_a_task_refuses_an_actor_that_does_not_exist(tree: Tree) -> None:
    with pytest.raises(ScopeError, match="not in the tree"):
        org_stats.apply(kwargs={"org_id": tree.a.city.pk, "actor_id": 987_654_321}).get()


def test_a_task_runs_for_its_office_and_the_offices_above(tree: Tree) -> None:
    for actor in (tree.a.office_user, tree.province_user):
        result = org_stats.apply(kwargs={"org_id": tree.a.city.pk, "actor_id": actor.pk}).get()
        assert result["units"] == 1
    result = org_stats.apply(kwargs={"org_id": tree.a.unit.pk, "actor_id": tree.a.unit_agent.pk}).get()
    assert result["units"] == 1
