"""The demo province that `make demo` loads."""

from __future__ import annotations

import base64
from io import StringIO

from django.core.management import call_command
from django.db.models import Sum

from claims.models import Claim
from enrollment.models import Enrollment, Policy
from finance.models import Account, Allocation, JournalEntry, JournalLine, PaymentRequest, Remittance
from mutualaid.models import Organisation, User
from mutualaid.roles import Role
from mutualaid.tenancy import unscoped


def test_the_demo_loads_once_with_a_login_per_role_and_a_policy(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())  # running it again changes nothing
    with unscoped():
        assert Organisation.objects.filter(kind="city").count() == 2
        assert Organisation.objects.filter(kind="county").count() == 6
        roles = {role for user in User.auth_objects.all() for role in user.roles}
        assert roles == {r.value for r in Role}
        assert Policy.objects.count() == 1 and Enrollment.objects.count() == 24
        statuses = sorted(Claim.objects.values_list("status", flat=True))
        entries = JournalEntry.objects.count()
        remitted = Remittance.objects.filter(status="received").count()
        paid = list(PaymentRequest.objects.filter(status="paid"))
        allocated = list(Allocation.objects.values_list("status", flat=True))
        city_bank = JournalLine.objects.filter(org__code="6101", account=Account.BANK).aggregate(
            d=Sum("debit"), c=Sum("credit")
        )
    # One claim in each state of the review, unless the year is too young for past hospital stays.
    if statuses:
        assert statuses == sorted(["paid", "approved", "final_review", "second_review", "first_review", "incomplete"])
        # The policy's premium received and remitted up to the province (Jiangmen model), the
        # city's batch paid from the province's allocation: no overdraft confirmed.
        assert remitted == 2 and entries >= 5
        assert allocated == ["received"]
        assert len(paid) == 1 and not paid[0].overdraw_reason
        assert (city_bank["d"] or 0) - (city_bank["c"] or 0) >= 0
    printed = out.getvalue()
    assert "xian_head" in printed and "API token" in printed and "demo policy issued" in printed


def test_the_demo_approvers_have_an_authenticator_whose_secret_is_printed(db: None) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mutualaid.management.commands.seed_demo import DEMO_TOTP_SECRET

    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert DEMO_TOTP_SECRET in printed and "otpauth://totp/" in printed and f"secret={DEMO_TOTP_SECRET}" in printed
    assert "* xian_head" in printed and "  yanta_agent" in printed
    with unscoped():
        head = User.auth_objects.get(username="xian_head")
        agent = User.auth_objects.get(username="yanta_agent")
    device = TOTPDevice.objects.get(user=head, confirmed=True)
    assert device.verify_token(totp(base64.b32decode(DEMO_TOTP_SECRET)))
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_the_demo_approvers_roles_were_granted_by_one_person_and_confirmed_by_another(db: None) -> None:
    from mutualaid.models import GrantStatus, RoleGrant
    from mutualaid.services import role_needs_second_person

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # again: no second grant
    with unscoped():
        grants = {
            (g.user.username, g.role): g for g in RoleGrant.objects.select_related("user", "granted_by", "decided_by")
        }
        approvers = [u for u in User.auth_objects.all() if any(role_needs_second_person(r) for r in u.roles)]
    assert {(u.username, r) for u in approvers for r in u.roles if role_needs_second_person(r)} == set(grants)
    assert all(g.status == GrantStatus.CONFIRMED for g in grants.values())
    operator_seeded = {name for (name, _role), g in grants.items() if g.decided_by is None}
    assert operator_seeded == {"sheng_head", "sheng_deputy"}
    for (name, _role), grant in grants.items():
        assert grant.granted_by != grant.decided_by or name == "sheng_head", name
    finance_head = grants[("xian_finance_head", "finance_head")]
    assert (finance_head.granted_by.username, finance_head.decided_by.username) == ("xian_head", "sheng_head")


def test_the_demo_has_a_plan_with_its_schedule_for_each_regional_shape_of_rules(db: None) -> None:
    from claims.benefits.editor import PRESETS
    from claims.benefits.schedule import Schedule
    from claims.demo_regions import REGIONS
    from claims.models import BenefitSchedule

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # again: no second plan
    with unscoped():
        schedules = {row.period.plan.name: row for row in BenefitSchedule.objects.select_related("period__plan")}
    for region in REGIONS:
        row = schedules[region.name]
        period = row.period
        assert period.starts_on < period.ends_on
        stored = Schedule.from_dict(row.rules)
        preset = Schedule.from_dict(PRESETS[region.preset].schedule)
        # The same rules as the preset, but for a version moved inside the demo's period.
        assert stored.segments == preset.segments and stored.covered_care == preset.covered_care, region.name
        for version in stored.versions:
            assert period.starts_on < version.starts_on <= period.ends_on
    assert Schedule.from_dict(schedules["衢州·职工医疗互助保障"].rules).versions[0].set == (("plan_deductible", 0),)
    assert schedules["女职工特殊疾病互助保障"].rules["eligibility"]["genders"] == ["F"]
    # Seed 000: 女职工安康互助保障金由省互助会审核后划拨代办处给付参保人.
    women = schedules["女职工特殊疾病互助保障"].period.plan
    assert (women.claims_reviewed_by, women.claims_paid_by) == ("plan_office", "city")


def test_the_unit_agent_of_the_demo_is_offered_the_plans_of_the_province_not_other_regions_examples(db: None) -> None:
    """Issue 16: the demo's examples of other regions' rules (Zhejiang's cities, Inner Mongolia)
    are the province's, inactive, so that Qinchuan's agent neither sees them among its plans nor
    starts card printing on one; Shaanxi's own example plans stay offered."""
    from claims.demo_regions import REGIONS
    from enrollment import selectors
    from enrollment.models import Plan
    from mutualaid.tenancy import org_scope

    call_command("seed_demo", stdout=StringIO())
    with unscoped():
        agent = User.auth_objects.get(username="qinchuan_agent")
        active = dict(Plan.objects.values_list("name", "is_active"))
    assert {region.name: active[region.name] for region in REGIONS} == {
        region.name: not region.elsewhere for region in REGIONS
    }
    assert not active["内蒙古·职工住院医疗互助"] and active["陕西·住院+意外保障"]
    with org_scope(agent.org, actor_id=agent.pk):
        offered = {plan.name for plan in selectors.plan_rows(org=agent.org)}
        printable = [period.plan.name for period in selectors.period_list_held(org=agent.org)]
        uploadable = [period.plan.name for period in selectors.period_list_uploadable(org=agent.org)]
    assert offered == {"职工住院医疗互助保障", "女职工特殊疾病互助保障", "陕西·住院+意外保障", "陕西·津贴+重疾保障"}
    assert printable == ["职工住院医疗互助保障"]
    assert uploadable[0] == "职工住院医疗互助保障"
