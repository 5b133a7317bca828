"""A payment's approval form (付款审批单), as the office files it signed: the payee, the amount in
figures and in capitals, the purpose, the claims batch and the claims it pays, each layer's
approval, the collective decision (集体研究) where the amount needs one, and the signatures.

Read from what the payment stores; a rejection's signer is read from the payment's history (the
rejection is a change of the payment, recorded with who made it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import Claim
from enrollment.cardrender import html_pdf
from finance.models import APPROVAL_LAYERS, LAYER_LABELS, FinanceSettings, PaymentRequest, PaymentStatus
from mutualaid import dates
from mutualaid.models import User
from mutualaid.officesettings import office_settings
from mutualaid.paperwork import signatures

PREPARED = gettext_lazy("Prepared by:")


@dataclass(frozen=True)
class Approval:
    """One layer of the approval: who signed it, when, and what they decided ('' while waiting)."""

    layer: str
    person: str
    at: datetime | None
    decision: str
    note: str = ""


def _rejection(payment: PaymentRequest) -> tuple[User | None, datetime | None]:
    """Who rejected the payment and when, from its history: the first recorded change to
    'rejected' and the user it was made by (a person of the payment's office)."""
    event_model = apps.get_model("finance", "PaymentRequestEvent")
    event = (
        event_model.objects.filter(pgh_obj_id=payment.pk, status=PaymentStatus.REJECTED)
        .select_related("pgh_context")
        .order_by("pgh_created_at")
        .first()
    )
    if event is None:
        return None, None
    context = event.pgh_context.metadata if event.pgh_context is not None else {}
    user_id = context.get("user")
    user = User.objects.filter(pk=int(user_id), org_id=payment.org_id).first() if user_id else None
    return user, event.pgh_created_at


def payment_approvals(payment: PaymentRequest) -> list[Approval]:
    """The three layers in order: signed ones with the signer, the layer that refused it with the
    reason, and those never reached."""
    signed = {a.layer: a for a in payment.approvals.select_related("approver")}
    rows: list[Approval] = []
    refused = payment.status == PaymentStatus.REJECTED
    for name, _perm in APPROVAL_LAYERS:
        label = str(LAYER_LABELS[name])
        if name in signed:
            approval = signed[name]
            rows.append(Approval(label, str(approval.approver), approval.approved_at, _("Agreed")))
        elif refused:
            who, at = _rejection(payment)
            rows.append(Approval(label, str(who) if who else "", at, _("Not approved"), payment.reason))
            refused = False  # the layers after the one that refused were never reached
        else:
            rows.append(Approval(label, "", None, ""))
    return rows


def collective_decision(payment: PaymentRequest) -> dict[str, Any]:
    """Whether the amount needs a collective decision (the office's threshold), and the one recorded."""
    threshold: Decimal = office_settings(FinanceSettings, payment.org).collective_decision_from
    return {
        "required": payment.amount >= threshold,
        "threshold": threshold,
        "meeting": payment.meeting,
        "meeting_on": payment.meeting_on,
    }


def approval_form_context(payment: PaymentRequest) -> dict[str, Any]:
    claims = (
        list(
            Claim.objects.filter(batch_id=payment.claims_batch_id)
            .select_related("org")
            .only("number", "name", "id_masked", "care_type", "payout", "payee_name", "account_masked", "org__name")
            .order_by("number")
        )
        if payment.claims_batch_id
        else []
    )
    approvals = payment_approvals(payment)
    return {
        "payment": payment,
        "office": payment.org.name,
        "claims": claims,
        "approvals": approvals,
        "decision": collective_decision(payment),
        "signatures": signatures(
            [(PREPARED, payment.prepared_by), *((_("%(role)s:") % {"role": a.layer}, a.person) for a in approvals)]
        ),
        "printed": dates.business_today(),
    }


def payment_approval_form_pdf(*, payment: PaymentRequest) -> bytes:
    """付款审批单: A4, in Chinese, every claim the payment pays listed (masked)."""
    return html_pdf(render_to_string("finance/pdf/payment_approval.html", approval_form_context(payment)))
