"""Events enrollment publishes (mutualaid/events.py); `manage.py list_events` shows who listens."""

from __future__ import annotations

from dataclasses import dataclass

from enrollment.models import Endorsement, Enrollment, Policy
from mutualaid.events import Event
from mutualaid.models import User


@dataclass(frozen=True)
class PolicyIssued(Event):
    """An office approved a unit's first member list of a period and issued its policy, inside
    the approval's transaction: a subscriber that raises refuses the approval."""

    policy: Policy  # the issued policy, its premium and union part set
    actor: User  # the office head who approved the list


@dataclass(frozen=True)
class EndorsementIssued(Event):
    """An office approved a supplementary list into a policy already issued (批单), inside the
    approval's transaction: its members and premium count from its own effective date."""

    endorsement: Endorsement  # its number, effective date, premium month, members and premium
    actor: User  # the office head who approved the list


@dataclass(frozen=True)
class EnrollmentCancelled(Event):
    """A member's enrollment was cancelled (a leaver, a death, a mistake), inside the
    cancellation's transaction: what the union levels granted for the member is taken back."""

    enrollment: Enrollment  # the cancelled enrollment, its list, policy and levels' part
    actor: User  # who cancelled it
