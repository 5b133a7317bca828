"""Oversight of claims: hospital checks (查勘) recorded on a claim, and re-checks of paid claims
(理赔回头看) by the office above, whose overpaid findings become recoveries in finance
(claims.events.OverpaymentFound)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.events import OverpaymentFound
from claims.models import (
    CheckOutcome,
    Claim,
    ClaimStatus,
    HospitalCheck,
    HospitalCheckDocument,
    Recheck,
    RecheckFinding,
    RecheckItem,
    SampleReason,
)
from claims.services.documents import Upload, scan_save
from enrollment.rules import money
from mutualaid import dates, events
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission

MAX_SAMPLE = 500


@transaction.atomic
def hospital_check_record(
    *,
    actor: User,
    claim: Claim,
    checked_on: date,
    checker: str,
    place: str,
    outcome: str,
    findings: str,
    documents: Sequence[Upload] = (),
) -> HospitalCheck:
    """Record a visit to the hospital on a claim, with the scans brought back (encrypted)."""
    require_permission(actor, "claims.inspect")
    errors: dict[str, str] = {}
    if checked_on > dates.business_today():
        errors["checked_on"] = _("The date of the visit cannot be in the future.")
    elif checked_on < claim.admitted_on:
        errors["checked_on"] = _("The visit cannot be before the admission (%(day)s).") % {"day": claim.admitted_on}
    if not checker.strip():
        errors["checker"] = _("Name who went to the hospital.")
    if not place.strip():
        errors["place"] = _("Name the hospital and ward visited.")
    if outcome not in CheckOutcome.values:
        errors["outcome"] = _("Choose what the visit found.")
    if not findings.strip():
        errors["findings"] = _("Write what the visit found.")
    if errors:
        raise ValidationError(errors)
    check = HospitalCheck.objects.create(
        org=claim.org,
        claim=claim,
        checked_on=checked_on,
        checker=checker.strip()[:100],
        place=place.strip()[:150],
        outcome=outcome,
        findings=findings.strip()[:1000],
        recorded_by=actor,
    )
    for upload in documents:
        scan_save(
            HospitalCheckDocument(org=claim.org, hospital_check=check),
            upload=upload,
            actor=actor,
            stem=f"{claim.number}-check{check.pk}",
        )
    return check


def _descendant(actor: User, target: Organisation) -> Organisation:
    office = actor.org
    if office is None or target.pk == office.pk or not target.path.startswith(office.path):
        raise ValidationError(
            {"target": _("Choose an office below yours: a re-check samples the claims of an office you oversee.")}
        )
    return office


@transaction.atomic
def recheck_draw(
    *,
    actor: User,
    target: Organisation,
    paid_from: date,
    paid_to: date,
    size: int,
    with_flagged: bool = True,
    seed: int | None = None,
    note: str = "",
) -> Recheck:
    """Draw a sample of the claims an office below the actor's paid: every claim with a risk
    flag or a leader's approval (when asked), and `size` others at random with a recorded seed."""
    require_permission(actor, "claims.recheck")
    office = _descendant(actor, target)
    if paid_to < paid_from:
        raise ValidationError({"paid_to": _("The end of the span is before its start.")})
    if paid_to > dates.business_today():
        raise ValidationError({"paid_to": _("The span cannot end in the future.")})
    if not 0 <= size <= MAX_SAMPLE:
        raise ValidationError({"size": _("Draw between 0 and %(most)s claims at random.") % {"most": MAX_SAMPLE}})
    # The claims the office below (or an office under it) reviewed, now paid: never the drawer's own.
    # Sampled by the reviewing office, not the paying one: a re-check judges the review decision, so
    # a claim the province reviewed and a city paid for it is not in the province's sample of that
    # city (an overpayment found is recovered by the office that paid it: finance/services/recoveries.py).
    paid = Claim.objects.filter(
        org_path__startswith=target.path,
        review_office__path__startswith=target.path,
        status=ClaimStatus.PAID,
        paid_on__gte=paid_from,
        paid_on__lte=paid_to,
    )
    flagged_rows = paid.filter(~Q(flags=[]) | Q(needs_leader=True)) if with_flagged else paid.none()
    flagged = sorted(flagged_rows.values_list("pk", flat=True))
    others = sorted(paid.exclude(pk__in=flagged).values_list("pk", flat=True))
    seed = secrets.randbelow(2**62) if seed is None else seed
    drawn = sorted(random.Random(seed).sample(others, min(size, len(others))))  # noqa: S311 - a sample, not a secret
    if not flagged and not drawn:
        raise ValidationError(
            _("%(office)s has no paid claim between %(start)s and %(end)s to re-check: choose another span.")
            % {"office": target.name, "start": paid_from, "end": paid_to}
        )
    recheck = Recheck.objects.create(
        org=target,
        target=target,
        drawn_by_office=office,
        paid_from=paid_from,
        paid_to=paid_to,
        size=size,
        seed=seed,
        with_flagged=with_flagged,
        note=note.strip()[:300],
        drawn_by=actor,
    )
    RecheckItem.objects.bulk_create(
        [
            RecheckItem(org=target, org_path=target.path, recheck=recheck, claim_id=pk, reason=SampleReason.FLAGGED)
            for pk in flagged
        ]
        + [
            RecheckItem(org=target, org_path=target.path, recheck=recheck, claim_id=pk, reason=SampleReason.RANDOM)
            for pk in drawn
        ]
    )
    return recheck


@transaction.atomic
def recheck_review(
    *, actor: User, item: RecheckItem, finding: str, overpaid: Decimal = Decimal(0), note: str = ""
) -> RecheckItem:
    """Record what the re-check found on one sampled claim, once. An overpayment is published for
    finance to book as a receivable and follow to repayment."""
    require_permission(actor, "claims.recheck")
    locked = (
        RecheckItem.objects.select_for_update()
        .select_related("claim__review_office", "recheck__target")
        .get(pk=item.pk)
    )
    if actor.org is None or actor.org.path.startswith(locked.recheck.target.path):
        raise PermissionDenied(_("The office re-checked does not record the findings on its own claims."))
    if locked.finding != RecheckFinding.PENDING:
        raise ValidationError(
            _("Claim %(number)s already has a finding (%(finding)s): a finding is recorded once.")
            % {"number": locked.claim.number, "finding": locked.get_finding_display()}
        )
    if finding not in RecheckFinding.values or finding == RecheckFinding.PENDING:
        raise ValidationError({"finding": _("Choose what the re-check found.")})
    if overpaid != money(overpaid):
        raise ValidationError({"overpaid": _("Enter the amount in yuan with at most two decimals.")})
    if finding == RecheckFinding.OVERPAID:
        if overpaid <= 0:
            raise ValidationError({"overpaid": _("Enter the amount paid too much, more than 0.")})
        if overpaid > locked.claim.payout:
            raise ValidationError(
                {
                    "overpaid": _("The amount paid too much cannot exceed the payout of %(payout)s.")
                    % {"payout": locked.claim.payout}
                }
            )
    elif overpaid:
        raise ValidationError({"overpaid": _("An amount paid too much goes with the finding “Overpaid” only.")})
    if finding != RecheckFinding.CORRECT and not note.strip():
        raise ValidationError({"note": _("Write what was found wrong.")})
    locked.finding, locked.overpaid, locked.note = finding, overpaid, note.strip()[:500]
    locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
    locked.save()
    if finding == RecheckFinding.OVERPAID:
        events.publish(
            OverpaymentFound(
                claim=locked.claim,
                amount=overpaid,
                actor=actor,
                reference=f"recheck-item:{locked.pk}",
                note=locked.note,
            )
        )
    return locked
