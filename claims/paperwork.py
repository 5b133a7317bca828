"""A claim's paperwork, as the office files it signed: the claim approval form (理赔审批表) and the
payout notice to the member (赔付通知书), both PDF (WeasyPrint, as the policy's documents).

Both are read from what the claim stores: the figures, the calculation lines the reviewers
approved (never computed again here), and its history of steps, so that the paper says what the
page says. The member's ID number is the masked one and the bank account is masked: a printed
form lies on desks and in folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.lifecycle import ACCEPTED_STATUSES, round_start_in
from claims.models import Claim, ClaimStatus, ClaimStep, Level, StepAction
from enrollment.cardrender import html_pdf
from mutualaid import dates
from mutualaid.paperwork import Signature, signatures

# The levels at which a claim is decided, in order, and what a reviewer may decide there.
DECIDING_LEVELS = (Level.FIRST, Level.SECOND, Level.FINAL, Level.LEADER)
# What each decision reads as on the form (审批意见), in the words offices write there.
DECISIONS: dict[str, Promise] = {
    StepAction.PASS: gettext_lazy("Agreed"),
    StepAction.RETURN: gettext_lazy("Returned for more documents"),
    StepAction.REJECT: gettext_lazy("Rejected: no payout"),
}
# The blocks at the foot of the approval form: who registered it, who reviewed it, who approved it.
PREPARED = gettext_lazy("Handled by:")
REVIEWED = gettext_lazy("Reviewed by:")
APPROVED = gettext_lazy("Approved by:")


@dataclass(frozen=True)
class Row:
    """One line of the review record or of the hand-offs: the level, the person, what was
    decided, when, and what they wrote."""

    level: str
    person: str
    decision: str
    at: datetime
    note: str


def _row(step: ClaimStep) -> Row:
    return Row(
        level=step.get_level_display(),
        person=str(step.actor),
        decision=str(DECISIONS.get(step.action, step.get_action_display())),
        at=step.at,
        note=step.note,
    )


def _names(steps: list[ClaimStep]) -> str:
    names: list[str] = []
    for step in steps:
        if str(step.actor) not in names:
            names.append(str(step.actor))
    return "、".join(names)


def claim_signatures(claim: Claim, steps: list[ClaimStep]) -> list[Signature]:
    """经办人: who registered the claim; 审核人: who passed its first and second review; 审批人:
    who passed the last level (compliance, and the leader for a large claim), in the round that
    counts (a change after a pass started the review again)."""
    start = round_start_in(steps)
    passes = [s for s in steps if s.action == StepAction.PASS and (start is None or s.pk > start)]
    reviewed = [s for s in passes if s.level in (Level.FIRST, Level.SECOND)]
    approved = [s for s in passes if s.level in (Level.FINAL, Level.LEADER)]
    return signatures([(PREPARED, claim.registered_by), (REVIEWED, _names(reviewed)), (APPROVED, _names(approved))])


def _steps(claim: Claim) -> list[ClaimStep]:
    return list(claim.steps.select_related("actor").order_by("at", "pk"))


def approval_form_context(claim: Claim) -> dict[str, Any]:
    steps = _steps(claim)
    return {
        "claim": claim,
        "office": claim.review_office.name,
        "payer": claim.pay_office.name,
        "shares": claim.enrollment.shares,
        "reviews": [_row(s) for s in steps if s.level in DECIDING_LEVELS and s.action in DECISIONS],
        "reopened": [_row(s) for s in steps if s.action == StepAction.REOPEN],
        "handoffs": [_row(s) for s in steps if s.action in (StepAction.REASSIGN, StepAction.OVERRIDE)],
        "signatures": claim_signatures(claim, steps),
        "decided": claim.status in (*ACCEPTED_STATUSES, ClaimStatus.REJECTED),
        "printed": dates.business_today(),
    }


def claim_approval_form_pdf(*, claim: Claim) -> bytes:
    """理赔审批表: the claim, its calculation, each level's decision and the hand-offs, signed."""
    return html_pdf(render_to_string("claims/pdf/approval_form.html", approval_form_context(claim)))


def notice_refusal(claim: Claim) -> str:
    """Why the payout notice cannot be printed yet ('' once it can): it tells the member an amount
    that only an approval fixes."""
    if claim.status in ACCEPTED_STATUSES:
        return ""
    if claim.status == ClaimStatus.REJECTED:
        return _(
            "Claim %(number)s was rejected: there is no payout to notify. Tell the member the reason "
            "given on the claim page."
        ) % {"number": claim.number}
    return _(
        "The payout notice of claim %(number)s can be printed once the claim is approved (it is now: %(status)s)."
    ) % {"number": claim.number, "status": claim.get_status_display()}


def notice_context(claim: Claim) -> dict[str, Any]:
    """From the office that pays the member (and seals the notice), naming the office that
    reviewed the claim where that is another (the province, for the women workers' plan)."""
    return {
        "claim": claim,
        "office": claim.pay_office.name,
        "reviewer": claim.review_office.name if claim.paid_on_behalf else "",
        "paid": claim.status == ClaimStatus.PAID,
        "paid_on": claim.paid_on,
        "approved_on": timezone.localtime(claim.approved_at).date() if claim.approved_at else None,
        "printed": dates.business_today(),
    }


def claim_notice_pdf(*, claim: Claim) -> bytes:
    """赔付通知书 to the member: the amount approved in figures and capitals, how it was reached,
    the account it goes to (masked) and room for the office's seal. Refused before approval."""
    if refusal := notice_refusal(claim):
        raise ValidationError(refusal)
    return html_pdf(render_to_string("claims/pdf/notice.html", notice_context(claim)))
