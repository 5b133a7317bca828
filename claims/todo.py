"""What waits in claims for the person on the home page (registered with mutualaid.todo)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from claims.lifecycle import REVIEW_LEVELS
from claims.models import Claim, ClaimStatus
from claims.selectors import NEAR_DAYS, claim_deadline, claim_queue_mine
from mutualaid import dates
from mutualaid.models import User
from mutualaid.todo import Todo

# Who watches the office's clock: the reviewers, whoever hands levels on, and the payers.
# The claims no longer open, as the partial index claim_open_subtree leaves them out.
CLOSED = [ClaimStatus.REJECTED, ClaimStatus.PAID]
WATCHERS = ("claims.assign", "claims.pay", *(perm for _level, perm in REVIEW_LEVELS.values()))


def claims_todo(user: User) -> list[Todo]:
    """Claims at the user's own levels (and how many of them are overdue), the office's overdue
    claims and those due within NEAR_DAYS, and, for a registrar, the claims waiting for documents.
    One aggregate query in the user's scope, over the open claims only."""
    if user.org_id is None or not user.has_perm("claims.view"):
        return []
    watcher = any(user.has_perm(perm) for perm in WATCHERS)
    registrar = user.has_perm("claims.register")
    if not (watcher or registrar):
        return []
    today = dates.business_today()
    overdue = claim_deadline("overdue", today=today)
    mine = claim_queue_mine(actor=user)
    # Every figure counts open claims: read through the index of the open claims of the tree
    # (claim_open_subtree), a few hundred, not the hundreds of thousands paid at a province.
    counts = Claim.objects.exclude(status__in=CLOSED).aggregate(
        mine=Count("pk", filter=mine),
        mine_overdue=Count("pk", filter=mine & overdue),
        overdue=Count("pk", filter=overdue),
        near=Count("pk", filter=claim_deadline("near", today=today)),
        incomplete=Count("pk", filter=Q(status=ClaimStatus.INCOMPLETE)),
    )
    claims = reverse("claims:claim_list")
    found = []
    if watcher:
        found += [
            Todo(
                "settlement",
                _("Claims waiting at your level"),
                counts["mine"],
                f"{claims}?{urlencode({'queue': 'mine'})}",
                note=_("%(count)s of them overdue") % {"count": counts["mine_overdue"]}
                if counts["mine_overdue"]
                else "",
            ),
            Todo(
                "settlement",
                _("Overdue claims"),
                counts["overdue"],
                f"{claims}?{urlencode({'queue': 'overdue'})}",
                urgent=True,
            ),
            Todo(
                "settlement",
                _("Claims due within %(days)s days") % {"days": NEAR_DAYS},
                counts["near"],
                f"{reverse('claims:deadlines')}?{urlencode({'due': 'near'})}",
            ),
        ]
    if registrar:
        found.append(
            Todo(
                "settlement",
                _("Claims waiting for documents"),
                counts["incomplete"],
                f"{claims}?{urlencode({'status': ClaimStatus.INCOMPLETE})}",
            )
        )
    return found
