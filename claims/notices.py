"""The claims' notices to members: registered (with what is still missing), returned, rejected
and paid. Their kinds are registered with the core (claims/apps.py); each is prepared inside the
transaction of the step that makes it due and sent by a task after the commit
(mutualaid/notices.py), so a failing provider never undoes a claim's step."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import Claim, DocumentKind
from mutualaid import notices
from mutualaid.notices import Draft, NoticeKind, Placeholder
from mutualaid.numbers import money_text


def _name_and_number() -> tuple[Placeholder, ...]:
    return (
        Placeholder("name", gettext_lazy("the member's name"), "张三"),
        Placeholder("number", gettext_lazy("the claim number"), "LP202600012"),
    )


KINDS = (
    NoticeKind(
        code="claim_registered",
        label=gettext_lazy("Claim registered"),
        recipient=gettext_lazy("the member"),
        default=gettext_lazy(
            "[Workers' mutual aid] {name}, your claim {number} has been registered. Still missing: {missing}."
        ),
        placeholders=(
            *_name_and_number(),
            Placeholder("missing", gettext_lazy("the documents still missing"), "出院小结、费用清单"),
        ),
        order=40,
    ),
    NoticeKind(
        code="claim_returned",
        label=gettext_lazy("Claim returned for more documents"),
        recipient=gettext_lazy("the member"),
        default=gettext_lazy(
            "[Workers' mutual aid] {name}, your claim {number} needs more: {reason}. "
            "Please hand them to your union's agent."
        ),
        placeholders=(
            *_name_and_number(),
            Placeholder("reason", gettext_lazy("what the reviewer asks for"), "请补交住院发票原件"),
        ),
        order=41,
    ),
    NoticeKind(
        code="claim_rejected",
        label=gettext_lazy("Claim rejected"),
        recipient=gettext_lazy("the member"),
        default=gettext_lazy("[Workers' mutual aid] {name}, your claim {number} was not accepted: {reason}."),
        placeholders=(*_name_and_number(), Placeholder("reason", gettext_lazy("the reason"), "出险日期在观察期内")),
        order=42,
    ),
    NoticeKind(
        code="claim_paid",
        label=gettext_lazy("Claim paid"),
        recipient=gettext_lazy("the member"),
        default=gettext_lazy("[Workers' mutual aid] {name}, your claim {number} has been paid: {amount} yuan."),
        placeholders=(*_name_and_number(), Placeholder("amount", gettext_lazy("the amount paid, in yuan"), "2,080.00")),
        order=43,
    ),
)


def _draft(claim: Claim, kind: str, key: str, **values: object) -> Draft:
    enrollment = claim.enrollment
    return Draft(
        kind=kind,
        key=key,
        org=claim.org,
        reference=claim.number,
        name=claim.name,
        phone_cipher=bytes(enrollment.phone_cipher) if enrollment.phone_cipher else None,
        values={"name": claim.name, "number": claim.number, **values},
    )


def notice_claim_registered(*, claim: Claim, missing: list[str]) -> list[int]:
    labels = dict(DocumentKind.choices)
    with translation.override(settings.LANGUAGE_CODE):  # members read the product's language
        text = "、".join(str(labels.get(kind, kind)) for kind in missing) or _("nothing, the documents are complete")
    return notices.notices_prepare([_draft(claim, "claim_registered", f"claim_registered:{claim.pk}", missing=text)])


def notice_claim_decided(*, claim: Claim, action: str) -> list[int]:
    """The member's notice of a return (each return its own, by the claim's version) or a rejection."""
    kind = "claim_returned" if action == "return" else "claim_rejected"
    key = f"{kind}:{claim.pk}:{claim.version}"
    return notices.notices_prepare([_draft(claim, kind, key, reason=claim.reason)])


def notice_claims_paid(*, claims: list[Claim]) -> list[int]:
    return notices.notices_prepare(
        [_draft(claim, "claim_paid", f"claim_paid:{claim.pk}", amount=money_text(claim.payout)) for claim in claims]
    )
