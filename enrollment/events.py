"""Events enrollment publishes (mutualaid/events.py); `manage.py list_events` shows who listens."""

from __future__ import annotations

from dataclasses import dataclass

from enrollment.models import Policy
from mutualaid.events import Event
from mutualaid.models import User


@dataclass(frozen=True)
class PolicyIssued(Event):
    """An office approved a member list and issued its policy (or endorsed it), inside the
    approval's transaction: a subscriber that raises refuses the approval."""

    policy: Policy  # the issued policy, its premium and union part set
    actor: User  # the office head who approved the list
