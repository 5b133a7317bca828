"""Starting and running a simulation of a proposal (the figures: reporting/simulation.py).

A run is started in the scope of the office that runs the plan and carried out by a Celery task
in that same scope. It reads real rows and writes only its own: its progress and, once, its
result. Running it is safe to repeat, as an export's is (reporting/jobs.py): a run claims the row
by a conditional UPDATE that bumps `attempt`, and the result is stored, with the status done, only
while the attempt is still the row's. A worker killed half-way leaves the run "running" with no
result shown; the task is delivered again and starts from scratch. While a run of a proposal is
queued or running, a second one is refused (a partial unique index says so to the database too).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError
from claims.benefits.schedule import Schedule
from claims.lifecycle import ACCEPTED_STATUSES
from claims.models import Claim
from enrollment.models import Period
from finance.models import Account, FinanceSettings
from finance.selectors.solvency import Band, band_judge, share_of
from finance.services.ledger import balance_get
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from reporting import simulation
from reporting.models import Proposal, SimulationRun, SimulationStatus

logger = logging.getLogger(__name__)


def _periods(proposal: Proposal, period_ids: Sequence[Any]) -> list[Period]:
    """The chosen periods: the plan's, begun by today; at least one, with claims to re-run."""
    wanted: set[int] = set()
    for value in period_ids:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"periods": _("Choose the past periods to re-run from the list.")}) from None
    if not wanted:
        raise ValidationError({"periods": _("Choose at least one past period of the plan to re-run.")})
    today = dates.business_today()
    periods = list(Period.objects.filter(plan=proposal.plan, pk__in=wanted, starts_on__lte=today).order_by("starts_on"))
    if len(periods) != len(wanted):
        raise ValidationError(
            {
                "periods": _("Only periods of %(plan)s that have begun can be re-run: choose from the list.")
                % {"plan": proposal.plan.name}
            }
        )
    claims = Claim.objects.filter(period__in=periods, status__in=ACCEPTED_STATUSES)
    if not claims.exists():
        raise ValidationError(
            {"periods": _("The chosen periods have no approved or paid claim to re-run: choose periods with claims.")}
        )
    return periods


def simulation_start(*, actor: User, proposal: Proposal, period_ids: Sequence[Any], years: Any = 3) -> SimulationRun:
    """Queue a simulation of the proposal as it stands; the caller starts the task on commit."""
    require_permission(actor, "reporting.proposals")
    if actor.org_id is None or proposal.plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that runs the plan simulates its proposals."))
    try:
        horizon = int(years)
    except (TypeError, ValueError):
        horizon = 0
    if not 1 <= horizon <= 3:
        raise ValidationError({"years": _("Project the fund for 1, 2 or 3 years.")})
    periods = _periods(proposal, period_ids)
    _abandon_stale(proposal)
    busy = _("A simulation of this proposal is already running: wait for it to finish.")
    if SimulationRun.objects.filter(
        proposal=proposal, status__in=[SimulationStatus.QUEUED, SimulationStatus.RUNNING]
    ).exists():
        raise ValidationError(busy)
    try:
        with transaction.atomic():
            return SimulationRun.objects.create(
                org=proposal.org,
                proposal=proposal,
                proposal_version=proposal.version,
                periods=[p.pk for p in periods],
                years=horizon,
                created_by=actor,
            )
    except IntegrityError:  # started twice at the same moment: the index lets one through
        raise ValidationError(busy) from None


# A run still queued or running this long after it started was cut off for good (its worker
# gone and the task not delivered again): well past the task's time limit (settings).
STALE_AFTER = timedelta(minutes=60)


def _abandon_stale(proposal: Proposal) -> None:
    """Mark as failed the runs of `proposal` that can no longer finish, so that a new one may
    start; an attempt of one that wakes up later cannot write (its status is no longer running)."""
    SimulationRun.objects.filter(
        proposal=proposal,
        status__in=[SimulationStatus.QUEUED, SimulationStatus.RUNNING],
        created_at__lt=timezone.now() - STALE_AFTER,
    ).update(
        status=SimulationStatus.FAILED,
        error=_("This simulation stopped before it finished; nothing of it is shown. Start it again."),
        finished_at=timezone.now(),
    )


def _offices(plan_office: Organisation) -> dict[str, tuple[int, str]]:
    """Path prefix → (id, name) of the offices directly below the plan's office, and its own."""
    found = {child.path: (child.pk, child.name) for child in Organisation.objects.filter(parent=plan_office)}
    found[plan_office.path] = (plan_office.pk, plan_office.name)
    return found


def simulation_figures(*, run: SimulationRun, step: Any = None) -> dict[str, Any]:
    """The run's result, computed from the real rows in the caller's scope (read only)."""
    proposal = run.proposal
    periods = list(Period.objects.filter(pk__in=run.periods, plan=proposal.plan).order_by("starts_on"))
    if len(periods) != len(run.periods):
        raise ValidationError(_("A chosen period is no longer there: start the simulation again."))
    try:
        schedule = Schedule.from_dict(proposal.rules)
    except ScheduleError as error:
        raise ValidationError(error.message) from None
    tick = step or (lambda _share: None)
    inputs = simulation.load_inputs(periods=periods, years=simulation.uses_membership_years(proposal.rules))
    if not inputs.claims:
        raise ValidationError(
            _("The chosen periods have no approved or paid claim to re-run: choose periods with claims.")
        )
    tick(0.15)
    office = proposal.plan.org
    offices = _offices(office)
    found = simulation.recalculate(
        schedule, inputs, offices=offices, base=office.path, step=lambda share: tick(0.15 + 0.75 * share)
    )
    pricing = simulation.Pricing(
        premium_per_share=proposal.premium_per_share,
        subsidy_kind=proposal.subsidy_kind,
        subsidy_amount=proposal.subsidy_amount,
        subsidy_stages=proposal.subsidy_stages,
    )
    summary = simulation.summarise(inputs, found, pricing=pricing, offices=offices, base=office.path)
    # The real calculation of the largest changes, to show beside the proposal's: one query.
    real = dict(Claim.objects.filter(pk__in=[e["claim"] for e in summary["largest"]]).values_list("pk", "calculation"))
    for entry in summary["largest"]:
        entry["now_lines"] = real.get(entry["claim"], [])
    rules = office_settings(FinanceSettings, office)
    opening = balance_get(office=office, plan=proposal.plan, account=Account.BANK)
    summary["projection"] = simulation.projection(
        summary["total"],
        periods=len(periods),
        years=run.years,
        opening=opening,
        reserve_share=Decimal(rules.reserve_ratio),
    )
    summary["solvency_band"] = projection_judge(summary["projection"], Band.of(rules))
    summary["periods"] = [{"id": p.pk, "label": p.label} for p in periods]
    summary["premium_per_share_now"] = str(periods[-1].premium_per_share)
    summary["premium_per_share_proposed"] = str(proposal.premium_per_share)
    return summary


def projection_judge(projection: dict[str, Any], band: Band) -> dict[str, str]:
    """Each projected year against the office's band of reasonable surplus (合理结余), read as the
    solvency page reads a fund's books (finance/selectors/solvency.py): the months of payouts the
    fund at the year's end covers (a year's claims paid is twelve months of payouts), the year's
    loss ratio (claims paid against premium), whether the fund stays within, above or below the
    band, and why. The reserve is set aside by the projection itself, so never short of its share.
    Each row gains `months_covered`, `loss_ratio`, `band` and `band_problems`; returned: the band."""
    for row in projection["rows"]:
        fund, paid, premium = Decimal(row["fund_end"]), Decimal(row["paid"]), Decimal(row["premium"])
        months = share_of(max(fund, Decimal(0)) * 12, paid, Decimal("0.1"))
        loss = share_of(paid, premium)
        status, problems = band_judge(band=band, fund_balance=fund, months_covered=months, loss_ratio=loss)
        row["months_covered"] = None if months is None else str(months)
        row["loss_ratio"] = None if loss is None else str(loss)
        row["band"], row["band_problems"] = status, problems
    return {
        "months_min": str(band.months_min),
        "months_max": str(band.months_max),
        "loss_min": str(band.loss_min),
        "loss_max": str(band.loss_max),
    }


def simulation_run(*, run: SimulationRun) -> SimulationRun:
    """Carry out the run; see the module's docstring for why this may safely run twice."""
    mine = SimulationRun.objects.filter(pk=run.pk, status__in=[SimulationStatus.QUEUED, SimulationStatus.RUNNING])
    if not mine.update(status=SimulationStatus.RUNNING, attempt=F("attempt") + 1, progress=0, error=""):
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    current = SimulationRun.objects.filter(pk=run.pk, attempt=run.attempt, status=SimulationStatus.RUNNING)
    last = [-1]

    def step(share: float) -> None:
        percent = min(99, int(share * 100))
        if percent >= last[0] + 2:
            last[0] = percent
            current.update(progress=percent)

    try:
        if run.proposal.version != run.proposal_version:
            raise ValidationError(_("The proposal changed after this simulation was started: start a new one."))
        figures = simulation_figures(run=run, step=step)
    except Exception as error:
        logger.exception("simulation %s failed", run.pk)
        message = " ".join(error.messages) if isinstance(error, ValidationError) else _("The simulation failed.")
        current.update(status=SimulationStatus.FAILED, error=message[:300], finished_at=timezone.now())
        run.refresh_from_db()
        return run
    current.update(status=SimulationStatus.DONE, progress=100, results=figures, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def simulation_list(*, proposal: Proposal) -> QuerySet[SimulationRun]:
    return SimulationRun.objects.filter(proposal=proposal).order_by("-created_at")


def latest_result(*, proposal: Proposal) -> SimulationRun | None:
    """The latest finished simulation of the proposal as it stands now (None: none)."""
    return (
        SimulationRun.objects.filter(proposal=proposal, status=SimulationStatus.DONE, proposal_version=proposal.version)
        .order_by("-finished_at")
        .first()
    )


def proposal_list(*, office: Organisation) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(org=office).select_related("plan", "base_period").order_by("plan__name", "created_at")
    )


def proposal_get(*, office: Organisation, pk: Any) -> Proposal:
    """One of the office's own proposals; DoesNotExist for anyone else's."""
    return proposal_list(office=office).get(pk=pk)


def decided_on(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
