"""Stored schedules brought to the current form, for the data migration and its test.

Two things changed shape: the threshold basis "cumulative" is now named "per_period" (beside
"per_year" and "none"), and the waiting period is read from one place, the period, so a
schedule-wide `waiting_days` moves to the period (kinds and variants may still replace it).
Everything else reads as before: the current form only adds fields (kinds, versions, base…).
"""

from __future__ import annotations

import copy
from typing import Any


def _rename_threshold(fields: dict[str, Any]) -> None:
    if fields.get("threshold_basis") == "cumulative":
        fields["threshold_basis"] = "per_period"


def upgrade(rules: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The rules in the current form, and the waiting period in days that moves to the period
    (None: the schedule set none, the period's own applies)."""
    data = copy.deepcopy(rules)
    _rename_threshold(data)
    for variant in data.get("variants") or []:
        if isinstance(variant, dict) and isinstance(variant.get("set"), dict):
            _rename_threshold(variant["set"])
    waiting = data.pop("waiting_days", None)
    return data, (int(waiting) if waiting is not None else None)
