"""Writes of reporting: monthly and quarterly snapshots, consolidation at the province, targets.

A roll-up computes an office's figures for a closed period and freezes them with a checksum of
the figures and the rules version. Running it again for the same period computes the same
checksum and returns the snapshot already there (idempotent: a retried task or a second beat
changes nothing). If the figures have changed since (a late correction in the books), a new
revision is only made with a reason; the earlier revision stays readable. Each roll-up runs in
one transaction under an advisory lock per office, kind and period, so a worker dying half-way
leaves nothing, and two at once make one snapshot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus
from enrollment.models import Plan
from mutualaid import dates
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.tenancy import subtree
from reporting import running
from reporting.figures import Window
from reporting.models import Snapshot, SnapshotKind, Target
from reporting.overview import overview
from reporting.selectors import snapshot_submission_list
from reporting.turnaround import turnaround

# Bumped whenever what a snapshot contains or how a figure is computed changes, so that a
# snapshot says which rules made it.
RULES_VERSION = "2026.11"
REPORTING_OFFICES = (OrgKind.CITY, OrgKind.INDUSTRY, OrgKind.PROVINCE)
log = logging.getLogger(__name__)


def checksum(figures: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(figures, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _lock(office: Organisation, kind: str, start: date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"snapshot:{office.pk}:{kind}:{start}"]
        )


def quarterly_claims(*, node: Organisation, quarter: date) -> dict[str, Any]:
    """The quarterly claims summary (季度赔付汇总): claims paid in the quarter by plan."""
    end = date(quarter.year + (quarter.month > 9), (quarter.month + 2) % 12 + 1, 1)
    rows = (
        Claim.objects.filter(subtree(node), status=ClaimStatus.PAID, paid_on__gte=quarter, paid_on__lt=end)
        .values("period__plan_id", "period__plan__name")
        .annotate(claims=Count("pk"), paid=Sum("payout"), self_paid=Sum("self_paid"))
        .order_by("period__plan_id")
    )
    return {
        "office": {"id": node.pk, "name": node.name},
        "quarter": f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}",
        "rows": [
            {
                "plan_id": row["period__plan_id"],
                "plan_name": row["period__plan__name"],
                "claims": row["claims"],
                "paid": str(row["paid"] or Decimal("0.00")),
                "self_paid": str(row["self_paid"] or Decimal("0.00")),
            }
            for row in rows
        ],
    }


def _check_running_figures(office: Organisation, month: date, figures: dict[str, Any]) -> None:
    """The roll-up computes the month from the rows; the pages read the running figures the
    database keeps (reporting.running). Were they ever to differ (rows loaded with the triggers
    off, say), they are rebuilt from the rows here, and the difference is logged."""
    if overview(node=office, month=month) != figures:
        log.warning(
            "running figures of %s for %s differ from the rows: rebuilt (%s rows)",
            office.pk,
            f"{month:%Y-%m}",
            running.rebuild(),
        )


@transaction.atomic
def snapshot_rollup(
    *, office: Organisation, period: date, kind: str = SnapshotKind.MONTHLY, actor: User | None = None, reason: str = ""
) -> tuple[Snapshot, bool]:
    """Freeze the office's figures for a closed month (or quarter); returns (snapshot, created)."""
    if office.kind not in REPORTING_OFFICES:
        raise ValidationError(_("Figures are rolled up by city offices and the provincial office."))
    if kind == SnapshotKind.QUARTERLY_CLAIMS:
        start = dates.quarter_start(period)
        closed = date(start.year + (start.month > 9), (start.month + 2) % 12 + 1, 1) <= dates.business_today()
    else:
        start = dates.month_start(period)
        closed = start < dates.month_start(dates.business_today())
    if not closed:
        raise ValidationError(
            _("%(period)s is not closed yet: its figures are rolled up once it is over.") % {"period": f"{start:%Y-%m}"}
        )
    _lock(office, kind, start)
    if kind == SnapshotKind.QUARTERLY_CLAIMS:
        figures = quarterly_claims(node=office, quarter=start)
    else:
        figures = overview(node=office, month=start, from_rows=True)
        _check_running_figures(office, start, figures)
    if not figures["rows"]:
        raise ValidationError(
            _("%(office)s has no figures for %(period)s: there is nothing to roll up.")
            % {"office": office.name, "period": f"{start:%Y-%m}"}
        )
    digest = checksum({"rules": RULES_VERSION, "figures": figures})
    latest = Snapshot.objects.filter(org=office, kind=kind, period_start=start).order_by("-revision").first()
    if latest is not None and latest.checksum == digest:
        return latest, False
    if latest is not None and not reason.strip():
        raise ValidationError(
            _(
                "The figures of %(period)s have changed since revision %(revision)s was submitted: give the reason "
                "for the correction to submit a new revision."
            )
            % {"period": f"{start:%Y-%m}", "revision": latest.revision}
        )
    snapshot = Snapshot.objects.create(
        org=office,
        kind=kind,
        period_start=start,
        revision=latest.revision + 1 if latest else 1,
        figures=figures,
        turnaround=turnaround(node=office, window=Window(start)) if kind == SnapshotKind.MONTHLY else None,
        rules_version=RULES_VERSION,
        checksum=digest,
        reason=reason.strip()[:300],
        created_by=actor,
    )
    pause_point("reporting.rollup")
    return snapshot, True


@transaction.atomic
def snapshot_consolidate(
    *, province: Organisation, period: date, kind: str = SnapshotKind.MONTHLY, actor: User | None = None
) -> Snapshot:
    """The province's snapshot, once every city is in; refused naming the cities still out."""
    missing = [
        row["office"].name
        for row in snapshot_submission_list(province=province, period=period, kind=kind)
        if row["snapshot"] is None
    ]
    if missing:
        raise ValidationError(
            _("Not every city has submitted %(period)s yet: %(cities)s.")
            % {"period": f"{period:%Y-%m}", "cities": "、".join(missing)}
        )
    snapshot, _created = snapshot_rollup(office=province, period=period, kind=kind, actor=actor)
    return snapshot


@transaction.atomic
def target_set(
    *,
    actor: User,
    target_org: Organisation,
    plan: Plan,
    year: int,
    people: int | None = None,
    premium: Decimal | None = None,
    coverage_rate: Decimal | None = None,
) -> Target:
    """An office sets the annual target of one of its child offices or units."""
    if not actor.has_perm("reporting.targets"):
        raise PermissionDenied(_("Your roles do not allow this."))
    office = actor.org
    if office is None or target_org.parent_id != office.pk:
        raise PermissionDenied(_("Targets are set by the office directly above."))
    if people is None and premium is None and coverage_rate is None:
        raise ValidationError(_("Set a target in people, premium or coverage rate."))
    target, _created = Target.objects.update_or_create(
        target_org=target_org,
        plan=plan,
        year=year,
        defaults={"org": office, "people": people, "premium": premium, "coverage_rate": coverage_rate},
    )
    return target
