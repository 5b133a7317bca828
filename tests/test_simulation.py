"""Proposals of a plan's next period and their simulations: exact on hand-computed claims, read
only on real data, one result per run, adoption creating the next period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from claims.models import BenefitSchedule
from enrollment.models import Enrollment, Period
from mutualaid.tenancy import org_scope, unscoped
from reporting import proposals, simulations
from reporting.models import Proposal, SimulationRun, SimulationStatus
from tests import claimkit
from tests.conftest import Tree

# Two bands: 30 % of a self-paid amount up to 10,000 yuan, 50 % of one above; 7,000 a period.
BANDS = {
    "segments": [{"upto": "10000", "ratio": "0.3"}, {"upto": None, "ratio": "0.5"}],
    "segment_mode": "band",
    "cap_per_period": "7000",
    "rounding": "fen_half_up",
}


def _claim(tree: Tree, enrollment: Enrollment, admitted: date, self_paid: str, invoice: str) -> Any:
    paid = Decimal(self_paid)
    claim = claimkit.register(
        tree.a.unit_agent,
        enrollment,
        admitted_on=admitted,
        discharged_on=date(admitted.year, admitted.month, admitted.day + 10),
        total_cost=Decimal("7600.00") + paid,
        insurance_paid=Decimal("7000.00"),
        deductible_part=Decimal("600.00"),
        self_paid=paid,
        not_covered=Decimal("0.00"),
        invoices=(invoice,),
    )
    return claimkit.approve(tree.a.reviewers, claim)


@pytest.fixture
def banded(claims_ready: Tree) -> Tree:
    """City A's plan under BANDS, with three approved claims: the first member's two (the second
    reaches the cap), the second member's one."""
    tree = claims_ready
    claimkit.set_schedule(tree.a.office_user, tree.a.period, BANDS)
    with unscoped():
        first, second = list(tree.a.policy.enrollments.order_by("number"))[:2]
    tree.a.claims = [
        _claim(tree, first, date(2026, 3, 2), "2287.99", "SIM-1"),
        _claim(tree, first, date(2026, 5, 2), "13000.00", "SIM-2"),
        _claim(tree, second, date(2026, 3, 2), "5000.00", "SIM-3"),
    ]
    return tree


def _proposal(tree: Tree, name: str = "方案一", ratio: str = "0.4", premium: str | None = None) -> Proposal:
    user = tree.a.office_user
    with org_scope(tree.a.city, actor_id=user.pk):
        proposal = proposals.proposal_create(actor=user, plan=tree.a.plan, name=name)
        rules = {**BANDS, "segments": [{"upto": "10000", "ratio": ratio}, {"upto": None, "ratio": "0.5"}]}
        terms = proposals.Terms(rules=rules, premium_per_share=Decimal(premium) if premium else None)
        return proposals.proposal_update(actor=user, proposal=proposal, version=proposal.version, terms=terms)


def _simulate(tree: Tree, proposal: Proposal) -> SimulationRun:
    user = tree.a.office_user
    with org_scope(tree.a.city, actor_id=user.pk):
        run = simulations.simulation_start(actor=user, proposal=proposal, period_ids=[tree.a.period.pk], years=3)
        return simulations.simulation_run(run=run)


def test_the_claims_pay_what_the_bands_say(banded: Tree) -> None:
    paid = [claim.payout for claim in banded.a.claims]
    # 2,287.99 × 30 %; 13,000 × 50 % = 6,500 limited to the 7,000 cap less 686.40; 5,000 × 30 %.
    assert paid == [Decimal("686.40"), Decimal("6313.60"), Decimal("1500.00")]


def test_raising_a_bands_ratio_by_ten_points_gives_the_hand_computed_difference(banded: Tree) -> None:
    run = _simulate(banded, _proposal(banded))
    assert run.status == SimulationStatus.DONE, run.error
    total = run.results["total"]
    # First claim 2,287.99 × 40 % = 915.20 (+228.80); the second then has 7,000 − 915.20 = 6,084.80
    # of cap left (−228.80): the cap carries between the member's claims in order; the second
    # member's 5,000 × 40 % = 2,000 (+500). In all +500.00, two members and three claims changed.
    assert total["paid_now"] == "8500.00"
    assert total["paid_proposed"] == "9000.00"
    assert total["difference"] == "500.00"
    assert (total["claims"], total["claims_changed"], total["members"], total["members_affected"]) == (3, 3, 2, 2)
    changes = {entry["number"]: entry["change"] for entry in run.results["largest"]}
    numbers = [claim.number for claim in banded.a.claims]
    assert changes == {numbers[0]: "228.80", numbers[1]: "-228.80", numbers[2]: "500.00"}
    assert run.results["largest"][0]["number"] == numbers[2]  # the largest change first
    bins = {(b["low"], b["high"]): b["claims"] for b in run.results["histogram"]}
    assert bins[(-500, -100)] == 1 and bins[(100, 500)] == 2 and bins[(0, 0)] == 0
    # Per office directly below the plan's office: the county agent point of the unit.
    assert [row["office"] for row in run.results["offices"]] == [banded.a.county.pk]


def test_the_proposed_premium_reprices_every_enrollment(banded: Tree) -> None:
    run = _simulate(banded, _proposal(banded, premium="60.00"))
    total = run.results["total"]
    with unscoped():
        enrolled = Enrollment.objects.filter(period=banded.a.period, status="active")
        members, shares = enrolled.count(), sum(e.shares for e in enrolled)
        premium_now = sum(e.premium for e in enrolled)
    assert (total["enrolled"], total["shares"]) == (members, shares)
    assert Decimal(total["premium_now"]) == premium_now
    assert Decimal(total["premium_proposed"]) == Decimal("60.00") * shares
    assert Decimal(total["loss_ratio_proposed"]) == (Decimal("9000") / (Decimal(60) * shares)).quantize(
        Decimal("0.0001")
    )
    projection = run.results["projection"]
    assert projection["years"] == 3 and len(projection["rows"]) == 6
    keep = 1 - Decimal(projection["reserve_share"])
    expected = (Decimal("9000") / shares / keep).quantize(Decimal("0.01"))
    assert Decimal(projection["breakeven_premium_per_share"]) == expected


def _checksums() -> dict[str, str]:
    """A digest of every table's rows, bar the simulation's own and the audit trail of its progress."""
    own = {"reporting_simulationrun", "reporting_simulationrunevent", "pghistory_context"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall() if row[0] not in own]
        found = {}
        for table in tables:
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t")  # noqa: S608 # table names from the catalogue
            found[table] = cursor.fetchone()[0]
    return found


def test_a_simulation_changes_nothing_real(banded: Tree) -> None:
    proposal = _proposal(banded)
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk):
        run = simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk], years=2)
    before = _checksums()
    with org_scope(banded.a.city, actor_id=user.pk):
        run = simulations.simulation_run(run=run)
    assert run.status == SimulationStatus.DONE
    assert _checksums() == before


def test_a_second_start_while_one_runs_is_refused(banded: Tree) -> None:
    proposal = _proposal(banded)
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk):
        simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk])
        with pytest.raises(ValidationError, match="已有测算正在进行"):
            simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk])
        assert SimulationRun.objects.filter(proposal=proposal).count() == 1


def test_a_run_killed_half_way_shows_no_result_and_a_stale_attempt_cannot_finish(banded: Tree) -> None:
    proposal = _proposal(banded)
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk):
        run = simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk])
        # A worker claims the run and dies: the run stays running, with no result.
        SimulationRun.objects.filter(pk=run.pk).update(status=SimulationStatus.RUNNING, attempt=1, progress=40)
        run.refresh_from_db()
        assert not run.finished and run.results == {}
        assert simulations.latest_result(proposal=proposal) is None
        # The task is delivered again: a new attempt runs from scratch and alone writes the result.
        done = simulations.simulation_run(run=run)
        assert done.status == SimulationStatus.DONE and done.attempt == 2
        stale = SimulationRun.objects.filter(pk=run.pk, attempt=1, status=SimulationStatus.RUNNING)
        assert stale.update(results={"partial": True}) == 0
        assert simulations.latest_result(proposal=proposal) == done


def test_bad_input_is_refused_and_changes_nothing(banded: Tree, tree: Tree) -> None:
    proposal = _proposal(banded)
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk):
        bad = {**BANDS, "segments": [{"upto": "10000", "ratio": "1.4"}]}
        with pytest.raises(ValidationError) as error:
            proposals.proposal_update(
                actor=user, proposal=proposal, version=proposal.version, terms=proposals.Terms(rules=bad)
            )
        assert "rules" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            proposals.proposal_update(
                actor=user,
                proposal=proposal,
                version=proposal.version,
                terms=proposals.Terms(premium_per_share=Decimal("-1")),
            )
        assert "premium_per_share" in error.value.message_dict
        proposal.refresh_from_db()
        assert proposal.rules["segments"][0]["ratio"] == "0.4" and proposal.premium_per_share == Decimal("50.00")
        # The real period's schedule was never touched by the drafts.
        assert BenefitSchedule.objects.get(period=banded.a.period).rules["segments"][0]["ratio"] == "0.3"
        with pytest.raises(ValidationError, match="至少选择"):
            simulations.simulation_start(actor=user, proposal=proposal, period_ids=[])
        with pytest.raises(ValidationError):
            simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk], years=5)
    stranger = tree.b.office_user
    with org_scope(tree.b.city, actor_id=stranger.pk), pytest.raises(PermissionDenied):
        proposals.proposal_create(actor=stranger, plan=banded.a.plan, name="越权")


def test_periods_with_no_claims_are_refused(claims_ready: Tree) -> None:
    tree = claims_ready
    user = tree.a.office_user
    with org_scope(tree.a.city, actor_id=user.pk):
        proposal = proposals.proposal_create(actor=user, plan=tree.a.plan, name="方案一")
        with pytest.raises(ValidationError, match="没有已审核通过或已支付的理赔"):
            simulations.simulation_start(actor=user, proposal=proposal, period_ids=[tree.a.period.pk])


def test_adopting_a_proposal_creates_the_next_period_from_it(banded: Tree) -> None:
    proposal = _proposal(banded, premium="55.00")
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk), pytest.raises(ValidationError, match="完成一次测算"):
        run = SimulationRun(proposal=proposal, status=SimulationStatus.QUEUED, proposal_version=proposal.version)
        proposals.proposal_adopt(
            actor=user,
            proposal=proposal,
            run=run,
            label="2027年度",
            meeting="主任办公会",
            decided_on=date(2026, 12, 1),
        )
    run = _simulate(banded, proposal)
    with org_scope(banded.a.city, actor_id=user.pk):
        period = proposals.proposal_adopt(
            actor=user,
            proposal=proposal,
            run=run,
            label="2027年度",
            meeting="2026年第12次主任办公会",
            decided_on=date(2026, 12, 1),
        )
        assert (period.starts_on, period.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
        assert period.premium_per_share == Decimal("55.00")
        assert BenefitSchedule.objects.get(period=period).rules["segments"][0]["ratio"] == "0.4"
        proposal.refresh_from_db()
        assert proposal.adopted_period == period and proposal.adopted_run == run
        assert proposal.adopted_meeting == "2026年第12次主任办公会" and proposal.adopted_on == date(2026, 12, 1)
        assert Period.objects.get(pk=banded.a.period.pk).premium_per_share == Decimal("50.00")
        with pytest.raises(ValidationError, match="已被采纳"):
            proposals.proposal_adopt(
                actor=user, proposal=proposal, run=run, label="2028年度", meeting="会", decided_on=date(2026, 12, 2)
            )


def test_shared_out_between_processes_the_claims_give_the_same_result(banded: Tree) -> None:
    from claims.benefits.schedule import Schedule
    from reporting import simulation
    from reporting.simulations import _offices

    proposal = _proposal(banded)
    office = proposal.plan.org
    with org_scope(banded.a.city, actor_id=banded.a.office_user.pk):
        inputs = simulation.load_inputs(periods=[banded.a.period])
        offices = _offices(office)
    schedule = Schedule.from_dict(proposal.rules)
    pricing = simulation.Pricing(Decimal("100"), "none", Decimal(0), [])

    def summary(workers: int) -> dict[str, Any]:
        found = simulation.recalculate(schedule, inputs, offices=offices, base=office.path, workers=workers)
        return simulation.summarise(inputs, found, pricing=pricing, offices=offices, base=office.path)

    alone, shared = summary(1), summary(2)
    assert len(simulation._chunks(inputs.claims, 2)) == 2  # the two members, one per process
    assert shared == alone
    assert alone["total"]["claims"] == len(inputs.claims) and alone["total"]["members"] == 2
    # The largest changes carry the proposal's settlement in words (computed without them first).
    labels = [line["label"] for entry in alone["largest"] for line in entry["proposed_lines"]]
    assert labels and all(label and "…" not in label for label in labels)


def test_a_run_cut_off_for_good_gives_way_to_a_new_one_after_an_hour(banded: Tree) -> None:
    from datetime import timedelta

    from django.utils import timezone

    proposal = _proposal(banded)
    user = banded.a.office_user
    with org_scope(banded.a.city, actor_id=user.pk):
        old = simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk])
        SimulationRun.objects.filter(pk=old.pk).update(
            status=SimulationStatus.RUNNING, attempt=1, created_at=timezone.now() - timedelta(hours=2)
        )
        new = simulations.simulation_start(actor=user, proposal=proposal, period_ids=[banded.a.period.pk])
        old.refresh_from_db()
        assert old.status == SimulationStatus.FAILED and old.results == {} and "重新开始" in old.error
        assert simulations.simulation_run(run=new).status == SimulationStatus.DONE


def test_the_members_years_are_read_only_for_rules_that_pay_by_them() -> None:
    from reporting.simulation import uses_membership_years

    assert not uses_membership_years(BANDS)
    assert uses_membership_years({**BANDS, "allowance_by_membership_year": ["10", "20", "30"]})
    nested = {**BANDS, "kinds": [{"kind": "inpatient", "set": {"allowance_by_membership_year": ["10"]}}]}
    assert uses_membership_years(nested)
    assert not uses_membership_years({**BANDS, "allowance_by_membership_year": []})
