from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mutualaid.celery import ScopedTask, app
from mutualaid.selectors import org_get, org_subtree_stats


@app.task(base=ScopedTask, name="mutualaid.org_stats")
def org_stats(*, org_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """The figures of an office's subtree (nodes, units, headcount, accounts), computed in its scope."""
    return asdict(org_subtree_stats(root=org_get(pk=org_id)))
