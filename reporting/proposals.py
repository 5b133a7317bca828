"""Proposals (方案): drafts of a plan's next period, and adopting one.

A proposal copies the rules, premium and subsidy of a period of the plan and is edited on its
own row: the period it came from is never written. Its schedule is checked exactly as a
period's schedule is (the engine's `Schedule.from_dict`, then what only the period can tell,
against the next period's dates). Adopting one, after a finished simulation of its current
draft, creates the next period of the plan and its schedule through the services that create
any period, and records the meeting that decided (集体研究) and the simulation it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError
from claims.benefits.schedule import Schedule
from claims.models import BenefitSchedule
from claims.services.schedules import schedule_check_period, schedule_save
from enrollment.models import Period, Plan, SubsidyKind
from enrollment.services.plans import period_create
from mutualaid.models import User
from mutualaid.roles import require_permission
from reporting.models import Proposal, SimulationRun, SimulationStatus

MAX_COMPARED = 3


def _own_plan(actor: User, plan: Plan) -> None:
    require_permission(actor, "reporting.proposals")
    if actor.org_id is None or plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that runs the plan drafts and decides its next period."))


def next_dates(period: Period) -> tuple[date, date]:
    """The next period's first and last day: from the day after `period`, as long as it."""
    starts = period.ends_on + timedelta(days=1)
    return starts, starts + (period.ends_on - period.starts_on)


def latest_period(plan: Plan) -> Period | None:
    return Period.objects.filter(plan=plan).order_by("-starts_on").first()


def proposal_create(*, actor: User, plan: Plan, name: str, base_period: Period | None = None) -> Proposal:
    """A draft copied from `base_period` (the plan's latest period when none is given)."""
    _own_plan(actor, plan)
    period = base_period or latest_period(plan)
    if period is None or period.plan_id != plan.pk:
        raise ValidationError({"base_period": _("The plan has no period to draft from: create a period first.")})
    schedule = BenefitSchedule.objects.filter(period=period).first()
    if schedule is None:
        raise ValidationError(
            {
                "base_period": _("%(period)s has no benefit schedule to copy: enter its schedule first.")
                % {"period": period}
            }
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the proposal a name, such as 方案一.")})
    if len(name) > 60:
        raise ValidationError({"name": _("The name is longer than 60 characters: shorten it.")})
    if Proposal.objects.filter(plan=plan, name=name).exists():
        raise ValidationError(
            {"name": _("The plan already has a proposal named %(name)s: choose another name.") % {"name": name}}
        )
    try:
        with transaction.atomic():
            return Proposal.objects.create(
                org=plan.org,
                plan=plan,
                base_period=period,
                name=name,
                rules=schedule.rules,
                premium_per_share=period.premium_per_share,
                subsidy_kind=period.subsidy_kind,
                subsidy_amount=period.subsidy_amount,
                subsidy_stages=period.subsidy_stages,
                created_by=actor,
            )
    except IntegrityError:  # the same name, created at the same moment
        raise ValidationError(
            {"name": _("The plan already has a proposal named %(name)s: choose another name.") % {"name": name}}
        ) from None


@dataclass(frozen=True)
class Terms:
    """What an edit may change; None leaves the field as it is."""

    name: str | None = None
    note: str | None = None
    rules: dict[str, Any] | None = None
    premium_per_share: Decimal | None = None
    subsidy_kind: str | None = None
    subsidy_amount: Decimal | None = None
    subsidy_stages: list[Any] | None = None


def _next_period_stub(proposal: Proposal) -> Period:
    starts, ends = next_dates(proposal.base_period)
    return Period(plan=proposal.plan, starts_on=starts, ends_on=ends, premium_per_share=Decimal(1))


def check_rules(proposal: Proposal, rules: Any) -> dict[str, Any]:
    """The schedule as the engine writes it back, checked as a period's schedule is."""
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("The rules must be a JSON object, as in the schedule editor.")})
    try:
        parsed = Schedule.from_dict(rules)
    except ScheduleError as error:
        raise ValidationError({"rules": error.message}) from None
    schedule_check_period(parsed, _next_period_stub(proposal))
    return parsed.to_dict()


def _check_money(errors: dict[str, str], terms: Terms) -> None:
    premium = terms.premium_per_share
    if premium is not None and (
        not premium.is_finite() or premium <= 0 or premium != premium.quantize(Decimal("0.01"))
    ):
        errors["premium_per_share"] = _("Enter the premium per share in yuan, above 0, with at most two decimals.")
    elif premium is not None and premium >= Decimal("1000000"):
        errors["premium_per_share"] = _("The premium per share is below 1,000,000 yuan: check the figure.")
    amount = terms.subsidy_amount
    if amount is not None and (not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01"))):
        errors["subsidy_amount"] = _("Enter the subsidy per member in yuan, 0 or more, with at most two decimals.")
    if terms.subsidy_kind is not None and terms.subsidy_kind not in SubsidyKind.values:
        errors["subsidy_kind"] = _("Choose no subsidy, a fixed amount or staged by enrollment date.")


def _check_stages(errors: dict[str, str], kind: str, stages: Any) -> None:
    if kind != SubsidyKind.STAGED:
        return
    problem = _('List the stages as [{"until": "YYYY-MM-DD", "amount": "30"}].')
    if not isinstance(stages, list) or not stages:
        errors["subsidy_stages"] = problem
        return
    for stage in stages:
        try:
            date.fromisoformat(stage["until"])
            amount = Decimal(str(stage["amount"]))
        except (TypeError, KeyError, ValueError, ArithmeticError):
            errors["subsidy_stages"] = problem
            return
        if not amount.is_finite() or amount < 0:
            errors["subsidy_stages"] = problem
            return


@transaction.atomic
def proposal_update(*, actor: User, proposal: Proposal, version: int, terms: Terms) -> Proposal:
    """Edit a draft; everything wrong is said at once and nothing is stored. `version` is the draft
    the editor read: an edit made meanwhile by someone else is not overwritten."""
    _own_plan(actor, proposal.plan)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.adopted:
        raise ValidationError(_("This proposal has been adopted; it can no longer be changed."))
    if locked.version != version:
        raise ValidationError(
            _("Someone else changed this proposal meanwhile: reload the page and make the change again.")
        )
    errors: dict[str, str] = {}
    rules = locked.rules
    if terms.rules is not None:
        try:
            rules = check_rules(locked, terms.rules)
        except ValidationError as error:
            errors["rules"] = " ".join(error.messages)
    _check_money(errors, terms)
    kind = terms.subsidy_kind if terms.subsidy_kind is not None else locked.subsidy_kind
    stages = terms.subsidy_stages if terms.subsidy_stages is not None else locked.subsidy_stages
    _check_stages(errors, kind, stages)
    if terms.name is not None:
        name = terms.name.strip()
        if not name or len(name) > 60:
            errors["name"] = _("Give the proposal a name of at most 60 characters.")
        elif Proposal.objects.filter(plan=locked.plan, name=name).exclude(pk=locked.pk).exists():
            errors["name"] = _("The plan already has a proposal named %(name)s: choose another name.") % {"name": name}
        else:
            locked.name = name
    if terms.note is not None:
        if len(terms.note) > 300:
            errors["note"] = _("The note is longer than 300 characters: shorten it.")
        locked.note = terms.note.strip()
    if errors:
        raise ValidationError(errors)
    locked.rules = rules
    for field in ("premium_per_share", "subsidy_kind", "subsidy_amount"):
        if getattr(terms, field) is not None:
            setattr(locked, field, getattr(terms, field))
    locked.subsidy_stages = stages if kind == SubsidyKind.STAGED else []
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def proposal_adopt(
    *, actor: User, proposal: Proposal, run: SimulationRun, label: str, meeting: str, decided_on: date
) -> Period:
    """Create the plan's next period from the proposal, as decided at `meeting` on `decided_on`
    after seeing `run` (a finished simulation of the proposal as it stands)."""
    _own_plan(actor, proposal.plan)
    require_permission(actor, "plans.manage")
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    errors: dict[str, str] = {}
    if locked.adopted:
        raise ValidationError(_("This proposal has already been adopted."))
    if run.proposal_id != locked.pk or run.status != SimulationStatus.DONE or run.proposal_version != locked.version:
        errors["run"] = _(
            "Adopt a proposal after a finished simulation of it as it stands now: start a simulation and wait for it."
        )
    if not meeting.strip() or len(meeting) > 100:
        errors["meeting"] = _(
            "Name the meeting that decided (集体研究), such as 2026年第3次主任办公会, in at most 100 characters."
        )
    if not label.strip() or len(label) > 40:
        errors["label"] = _("Give the new period a label of at most 40 characters, such as 2027年度.")
    if errors:
        raise ValidationError(errors)
    base = locked.base_period
    starts, ends = next_dates(base)
    period = period_create(
        actor=actor,
        plan=locked.plan,
        label=label.strip(),
        starts_on=starts,
        ends_on=ends,
        premium_per_share=locked.premium_per_share,
        max_shares=base.max_shares,
        min_age=base.min_age,
        max_age=base.max_age,
        requires_basic_insurance=base.requires_basic_insurance,
        min_participation=base.min_participation,
        waiting_days=base.waiting_days,
        subsidy_kind=locked.subsidy_kind,
        subsidy_amount=locked.subsidy_amount,
        subsidy_stages=locked.subsidy_stages,
        unit_ratio=base.unit_ratio,
    )
    schedule_save(actor=actor, period=period, rules_data=locked.rules)
    locked.adopted_period = period
    locked.adopted_meeting = meeting.strip()
    locked.adopted_on = decided_on
    locked.adopted_by = actor
    locked.adopted_run = run
    locked.save()
    return period
