"""Benchmark: a simulation of a proposal over a plan's past period, ours against the obvious way.

    .venv/bin/python bench/simulation_bench.py [--claims 300000] [--enrollments 5000000] [--sample 2000]

Builds once (and reuses) a database `mutualaid_simbench` holding one province-run plan with a
2026 period: `--enrollments` members over 10 cities × 20 units, and `--claims` approved claims
(one member in six has two, so caps and counts carry between claims), a two-band schedule and a
proposal raising the first band by ten points and the premium by 10 yuan. Then, in the same run:

1. ours: `reporting.simulations.simulation_figures`, the whole simulation as the Celery task
   runs it (inputs loaded in bulk, every claim re-run by the benefit engine in Python, every
   enrollment re-priced in SQL groups, the summary and the fund projection);
2. the obvious way: claim by claim through the ORM (each claim loaded, its facts read by the
   real calculation's own queries, `calculate` under the proposal) and enrollment by enrollment
   (each re-priced in Python), timed over `--sample` claims and as many enrollments per claim as
   the data has, and extrapolated to the whole (the whole would take hours at this scale).

Prints one JSON document. A measurement, not a test: it exits 0 even when the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB = "mutualaid_simbench"
GOAL_SECONDS = 15.0
BANDS = {
    "segments": [{"upto": "10000", "ratio": "0.3"}, {"upto": None, "ratio": "0.5"}],
    "segment_mode": "band",
    "cap_per_period": "50000",
    "daily_allowance": "20",
    "minimum_payout": "200",
    "rounding": "fen_half_up",
}


def _setup() -> None:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    url = base.rsplit("/", 1)[0] + "/" + DB
    import psycopg

    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MUTUALAID_TESTING", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(claims: int, enrollments: int) -> dict[str, int]:
    """The province, its plan, period, schedule, enrollments and claims (by SQL), once per size."""
    from django.db import connection, transaction

    from claims.models import BenefitSchedule
    from enrollment.models import Period, Plan
    from mutualaid.idcheck import make_credit_code
    from mutualaid.models import Organisation, OrgKind
    from mutualaid.services import org_create, user_create
    from mutualaid.tenancy import unscoped
    from reporting.models import Proposal

    marker = ROOT / "bench" / "data" / f"simulation-{claims}-{enrollments}.json"
    with unscoped():
        province = Organisation.objects.filter(code="SIMP").first()
        if province is not None and marker.exists():
            state: dict[str, int] = json.loads(marker.read_text())
            if state.get("province") == province.pk:
                return state
        with transaction.atomic():
            if province is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    for table in (
                        "reporting_simulationrun",
                        "reporting_proposal",
                        "claims_claim",
                        "enrollment_enrollment",
                        "enrollment_policy",
                        "claims_benefitschedule",
                        "enrollment_period",
                        "enrollment_plan",
                        "mutualaid_user",
                        "mutualaid_organisation",
                    ):
                        cursor.execute(f"DELETE FROM {table}")  # the bench's own database
            province = org_create(code="SIMP", name="基准省", kind=OrgKind.PROVINCE, parent=None)
            head = user_create(
                username="sim_head", password="Bench-Passw0rd!", org=province, roles=["office_head", "finance_head"]
            )
            units = []
            for c in range(10):
                city = org_create(code=f"SIMC{c}", name=f"基准市{c}", kind=OrgKind.CITY, parent=province)
                for u in range(20):
                    code = make_credit_code(seventeen=f"9161000{c:02d}{u:07d}X")
                    units.append(
                        org_create(
                            code=f"SIMU{c}-{u}",
                            name=f"单位{c}-{u}",
                            kind=OrgKind.UNIT,
                            parent=city,
                            headcount=10_000,
                            credit_code=code,
                        )
                    )
            plan = Plan.objects.create(org=province, name="职工住院医疗互助保障", kind="inpatient")
            period = Period.objects.create(
                org=province,
                plan=plan,
                label="2026年度",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 12, 31),
                premium_per_share=Decimal("50.00"),
            )
            BenefitSchedule.objects.create(org=province, period=period, rules=BANDS, updated_by=head)
            proposal = Proposal.objects.create(
                org=province,
                plan=plan,
                base_period=period,
                name="方案一",
                rules={**BANDS, "segments": [{"upto": "10000", "ratio": "0.4"}, {"upto": None, "ratio": "0.5"}]},
                premium_per_share=Decimal("60.00"),
                created_by=head,
            )
            _rows(claims, enrollments, units, period, province, head)
        with connection.cursor() as cursor:
            for table in ("enrollment_enrollment", "claims_claim"):
                cursor.execute(f"ANALYZE {table}")
        state = {
            "claims": claims,
            "enrollments": enrollments,
            "province": province.pk,
            "head": head.pk,
            "period": period.pk,
            "proposal": proposal.pk,
        }
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(state))
        return state


def _rows(claims: int, enrollments: int, units: list[Any], period: Any, province: Any, head: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for unit in units:
            cursor.execute(
                """INSERT INTO enrollment_policy (org_id, org_path, number, period_id, issued_by_office_id,
                   issued_by_id, issued_at, starts_on, ends_on, member_count, share_count, premium, member_part,
                   unit_part, union_part, last_member_number)
                   VALUES (%s, %s, %s, %s, %s, %s, now(), '2026-01-01', '2026-12-31', 0, 0, 0, 0, 0, 0, 0)""",
                [unit.pk, unit.path, f"SIM-{unit.pk}", period.pk, province.pk, head.pk],
            )
        cursor.execute(
            "SELECT id, org_id, org_path FROM enrollment_policy WHERE period_id = %s ORDER BY id", [period.pk]
        )
        policies = cursor.fetchall()
        cursor.execute("CREATE TEMP TABLE sim_policy (n int, id bigint, org_id bigint, org_path text)")
        cursor.executemany("INSERT INTO sim_policy VALUES (%s, %s, %s, %s)", [(i, *p) for i, p in enumerate(policies)])
        cursor.execute(
            """INSERT INTO enrollment_enrollment (org_id, org_path, province_id, period_id, plan_kind, policy_id,
                   member_list_id, row_number, number, name, id_cipher, id_hash, id_masked, gender, birth_date,
                   shares, starts_on, ends_on, premium, member_part, unit_part, union_part, status, cancel_reason,
                   created_at, employment_status, parent_name)
               SELECT p.org_id, p.org_path, %s, %s, 'inpatient', p.id, 0, g, g, '职工' || g, '\\x00',
                   decode(md5('p' || g), 'hex'), '6101**********' || lpad((g %% 10000)::text, 4, '0'), 'F',
                   '1980-01-01', 1 + (g %% 5 = 0)::int, '2026-01-01', '2026-12-31',
                   50 * (1 + (g %% 5 = 0)::int), 50 * (1 + (g %% 5 = 0)::int), 0, 0, 'active', '', now(), '', ''
               FROM generate_series(1, %s) g JOIN sim_policy p ON p.n = g %% %s""",
            [province.pk, period.pk, enrollments, len(policies)],
        )
        # One member in six of those who claim has a second claim later in the year.
        firsts = claims - claims // 7
        cursor.execute(
            """INSERT INTO claims_claim (org_id, org_path, number, province_id, enrollment_id, period_id,
                   review_office_id, pay_office_id, id_hash, name, id_masked, care_type, admitted_on, discharged_on,
                   hospital,
                   diagnosis_cipher, member_category, severity, illness_days, total_cost, insurance_paid,
                   deductible_part, self_paid, not_covered, serious_illness_paid, medical_assistance_paid,
                   other_mutual_aid_paid, commercial_insurance_paid, disability_grade, payee_name, bank_name,
                   account_cipher, account_masked, status, version, payout, calculation, refused_reason,
                   schedule_version, flags, needs_leader, assigned_status, assignee_overrides, reason,
                   registered_by_id, registered_at, callback_outcome, callback_note)
               WITH picked AS (
                   SELECT e.*, row_number() OVER (ORDER BY e.id) AS n FROM enrollment_enrollment e
                   WHERE e.period_id = %(period)s AND e.id %% 11 = 3 ORDER BY e.id LIMIT %(firsts)s
               ), claims AS (
                   SELECT p.*, 0 AS second FROM picked p
                   UNION ALL SELECT p.*, 1 FROM picked p WHERE p.n %% 6 = 0 AND p.n / 6 <= %(seconds)s
               ), money AS (
                   SELECT c.*, round(1000 + (c.n * 7919 + c.second * 104729) %% 30000 + (c.n %% 100) / 100.0, 2)
                       AS selfpaid FROM claims c
               )
               SELECT m.org_id, m.org_path, 'SIM' || m.second || lpad(m.n::text, 9, '0'), m.province_id, m.id,
                   m.period_id, %(province)s, %(province)s, m.id_hash, m.name, m.id_masked, 'inpatient',
                   date '2026-02-01' + (m.second * 120 + m.n %% 90)::int, date '2026-02-08' + (m.second * 120 + m.n %% 90)::int,
                   '基准医院', '\\x00', '', '', 0, m.selfpaid + 1600, 1000, 600, m.selfpaid, 0, 0, 0, 0, 0, 0,
                   m.name, '银行', '\\x00', '6222', 'paid', 1,
                   least(50000, 140 + round(m.selfpaid * (CASE WHEN m.selfpaid <= 10000 THEN 0.3 ELSE 0.5 END), 2)),
                   '[]', '', 1, '[]', false, '', false, '', %(head)s, now(), '', ''
               FROM money m""",
            {
                "period": period.pk,
                "firsts": firsts,
                "seconds": claims - firsts,
                "province": province.pk,
                "head": head.pk,
            },
        )


def run_ours(state: dict[str, int]) -> dict[str, Any]:
    from claims.benefits.schedule import Schedule
    from mutualaid.models import Organisation
    from mutualaid.tenancy import org_scope, unscoped
    from reporting import simulation
    from reporting.models import Proposal, SimulationRun
    from reporting.simulations import _offices, simulation_figures

    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
    with org_scope(province):
        proposal = Proposal.objects.get(pk=state["proposal"])
        run = SimulationRun(org=province, proposal=proposal, proposal_version=1, periods=[state["period"]], years=3)
        before = os.times()
        started = time.perf_counter()
        figures = simulation_figures(run=run)
        seconds = time.perf_counter() - started
        after = os.times()
        # CPU seconds of this process and of its forked workers: what the run costs whatever else
        # the machine is doing (wall time on a busy machine says more about the neighbours).
        cpu = {
            "main": round(after.user + after.system - before.user - before.system, 2),
            "workers": round(
                after.children_user + after.children_system - before.children_user - before.children_system, 2
            ),
        }
        # The same again by phase: the inputs read, the claims re-run, the rest.
        phases: dict[str, float] = {}
        clock = time.perf_counter()
        inputs = simulation.load_inputs(
            periods=[proposal.base_period], years=simulation.uses_membership_years(proposal.rules)
        )
        phases["load"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        offices = _offices(proposal.plan.org)
        simulation.recalculate(Schedule.from_dict(proposal.rules), inputs, offices=offices, base=proposal.plan.org.path)
        phases["recalculate"] = round(time.perf_counter() - clock, 2)
        phases["rest"] = round(max(0.0, seconds - phases["load"] - phases["recalculate"]), 2)
    return {
        "phases": phases,
        "cpu_seconds": cpu,
        "processes": simulation.MOST_WORKERS if simulation._cores() > simulation.MOST_WORKERS else simulation._cores(),
        "seconds": round(seconds, 2),
        "claims": figures["total"]["claims"],
        "enrolled": figures["total"]["enrolled"],
        "difference": figures["total"]["difference"],
    }


def run_obvious(state: dict[str, int], sample: int) -> dict[str, Any]:
    """Claim by claim through the ORM, as one would write it with the real calculation's helpers."""
    from claims.benefits.calculate import calculate
    from claims.benefits.schedule import Schedule
    from claims.models import Claim
    from claims.services.calculation import _facts
    from enrollment.models import Enrollment
    from enrollment.rules import money
    from mutualaid.models import Organisation
    from mutualaid.tenancy import org_scope, unscoped
    from reporting.models import Proposal

    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
    with org_scope(province):
        proposal = Proposal.objects.get(pk=state["proposal"])
        schedule = Schedule.from_dict(proposal.rules)
        ids = list(Claim.objects.filter(period_id=state["period"]).order_by("pk").values_list("pk", flat=True)[:sample])
        started = time.perf_counter()
        total = Decimal(0)
        for pk in ids:
            claim = Claim.objects.select_related("enrollment", "period").get(pk=pk)
            total += calculate(schedule, _facts(claim)).payout - claim.payout
        claim_seconds = time.perf_counter() - started
        per_claim = max(1, state["enrollments"] // state["claims"])
        people = list(
            Enrollment.objects.filter(period_id=state["period"])
            .order_by("pk")
            .values_list("pk", flat=True)[: sample * per_claim]
        )
        started = time.perf_counter()
        income = Decimal(0)
        for pk in people:
            enrollment = Enrollment.objects.get(pk=pk)
            income += money(proposal.premium_per_share * enrollment.shares)
        enrollment_seconds = time.perf_counter() - started
    whole = claim_seconds / len(ids) * state["claims"] + enrollment_seconds / max(1, len(people)) * state["enrollments"]
    return {
        "claims_timed": len(ids),
        "claims_seconds": round(claim_seconds, 2),
        "enrollments_timed": len(people),
        "enrollments_seconds": round(enrollment_seconds, 2),
        "extrapolated_seconds": round(whole, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=300_000)
    parser.add_argument("--enrollments", type=int, default=5_000_000)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    _setup()
    started = time.perf_counter()
    state = _build(args.claims, args.enrollments)
    built = time.perf_counter() - started
    ours = run_ours(state)
    obvious = run_obvious(state, args.sample)
    print(
        json.dumps(
            {
                "claims": args.claims,
                "enrollments": args.enrollments,
                "build_seconds": round(built, 1),
                "ours": ours,
                "obvious": obvious,
                "speed_up": round(obvious["extrapolated_seconds"] / max(ours["seconds"], 0.001), 1),
                "goal_seconds": GOAL_SECONDS,
                "goal_met": ours["seconds"] < GOAL_SECONDS,
                "load_average": [round(x, 1) for x in os.getloadavg()],
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
