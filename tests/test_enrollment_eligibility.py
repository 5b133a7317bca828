"""Who may join a plan: checked on each row when a list is checked, and again when it is approved;
the template of a plan has the columns its rules ask for (issue 17, seeds 000, 001, 003)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from enrollment.eligibility import extra_columns, retirement_date
from enrollment.models import Enrollment, MemberList, Period, PlanKind
from enrollment.services.approval import member_list_approve
from enrollment.services.member_lists import member_list_submit
from enrollment.services.plans import period_create, period_update, plan_create
from enrollment.workbook.template import build_template
from mutualaid import pii
from mutualaid.models import Organisation
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import PERIOD_END, PERIOD_START, enrol, offer_plan, person, upload_and_check


def problems(member_list: MemberList) -> dict[int, dict[str, str]]:
    """row -> {code: column} of the list's cell problems."""
    found: dict[int, dict[str, str]] = {}
    for problem in member_list.cell_problems:
        found.setdefault(problem["row"], {})[problem["code"]] = problem["column"]
    return found


def messages_of(member_list: MemberList, code: str) -> list[str]:
    return [p["message"] for p in member_list.cell_problems if p["code"] == code]


# The statutory retirement age with its gradual raise from 2025 ----------------------------------


@pytest.mark.parametrize(
    ("born", "gender", "women_from", "retires"),
    [
        (date(1964, 12, 15), "M", 50, date(2024, 12, 15)),  # before the raise: 60
        (date(1965, 1, 10), "M", 50, date(2025, 2, 10)),  # first cohort: 60 years 1 month
        (date(1965, 5, 31), "M", 50, date(2025, 7, 31)),  # 60 years 2 months
        (date(1976, 8, 1), "M", 50, date(2039, 7, 1)),  # 62 years 11 months
        (date(1976, 9, 1), "M", 50, date(2039, 9, 1)),  # 63 from September 1976 on
        (date(1990, 3, 1), "M", 50, date(2053, 3, 1)),
        (date(1974, 12, 1), "F", 50, date(2024, 12, 1)),  # women workers before the raise: 50
        (date(1975, 2, 28), "F", 50, date(2025, 3, 28)),  # 50 years 1 month, every two months of birth
        (date(1984, 11, 1), "F", 50, date(2039, 11, 1)),  # 55 from November 1984 on
        (date(1970, 1, 31), "F", 55, date(2025, 2, 28)),  # women cadres: 55 years 1 month, end of month
        (date(1981, 9, 1), "F", 55, date(2039, 9, 1)),  # 58 from September 1981 on
    ],
)
def test_the_statutory_retirement_age_rises_gradually_from_2025(
    born: date, gender: str, women_from: int, retires: date
) -> None:
    assert retirement_date(birth_date=born, gender=gender, women_from=women_from) == retires


# At the check: each refused member on their row --------------------------------------------------


def test_a_man_cannot_join_the_women_workers_plan(tree: Tree) -> None:
    offer = offer_plan(tree.province_user, gender="F")
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0), person(1, sex="M"), person(2)])
    assert checked.status == "invalid"
    assert problems(checked) == {3: {"gender_not_covered": "gender"}}  # header on row 1, data from row 2
    (message,) = messages_of(checked, "gender_not_covered")
    assert "女职工" in message and "删除" in message


def test_age_limits_by_gender_and_by_the_retirement_age(tree: Tree) -> None:
    offer = offer_plan(tree.province_user, max_age=70, max_age_female=50, retirement_limit="women_50")
    rows = [
        person(0, sex="F", born=date(1976, 1, 1)),  # 50 at the start, retires at 50 years 7 months: in
        person(1, sex="F", born=date(1974, 6, 1)),  # 51: over women's maximum, and retired at 50
        person(2, sex="M", born=date(1966, 6, 1)),  # 59 and a half: below 60 years and 6 months
        person(3, sex="M", born=date(1965, 6, 1)),  # retired in August 2025 (60 years 2 months)
    ]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, rows)
    assert problems(checked) == {
        3: {"age_over_gender_limit": "id_number", "over_retirement_age": "id_number"},
        5: {"over_retirement_age": "id_number"},
    }
    assert any("2025-08-01" in m for m in messages_of(checked, "over_retirement_age"))


def test_employment_status_is_asked_and_checked_when_the_plan_names_some(tree: Tree) -> None:
    offer = offer_plan(tree.province_user, employment_statuses=["in_service", "flexible"])
    rows = [
        person(0, employment="在职"),
        person(1, employment="退休"),
        person(2),  # not filled in
        person(3, employment="下岗"),
        person(4, employment="灵活就业"),
    ]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, rows)
    assert problems(checked) == {
        3: {"employment_not_covered": "employment"},
        4: {"employment_missing": "employment"},
        5: {"bad_employment": "employment"},
    }
    assert "在职" in messages_of(checked, "employment_missing")[0]


def test_a_plan_open_to_some_types_of_unit_refuses_the_whole_list_of_another(tree: Tree) -> None:
    offer = offer_plan(tree.province_user, unit_types=["public", "state"])
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0)])
    assert [p["code"] for p in checked.list_problems] == ["unit_type_not_covered"]
    assert "未记录" in checked.list_problems[0]["message"]
    with unscoped():
        Organisation.objects.filter(pk=tree.a.unit.pk).update(unit_type="private")
    tree.a.unit.refresh_from_db()
    again = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0, name="职工零")])
    assert "非公企业" in again.list_problems[0]["message"]
    with unscoped():
        Organisation.objects.filter(pk=tree.a.unit.pk).update(unit_type="state")
    tree.a.unit.refresh_from_db()
    assert upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0, name="职工〇")]).status == "valid"


# A children's plan ------------------------------------------------------------------------------


def children_offer(tree: Tree) -> Period:
    with org_scope(tree.province, actor_id=tree.province_user.pk):
        plan = plan_create(
            actor=tree.province_user, name="子女意外伤害保障", kind=PlanKind.CHILD_ACCIDENT, insures_children=True
        )
        return period_create(
            actor=tree.province_user,
            plan=plan,
            label="2026年度",
            starts_on=PERIOD_START,
            ends_on=PERIOD_END,
            premium_per_share=Decimal("20.00"),
            max_shares=1,
            min_age=0,
            max_age=18,
            min_participation=Decimal("0"),
        )


def child(i: int, parent: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    row = person(100 + i, born=date(2015, 1 + i % 12, 1), plan="子女意外伤害保障")
    row.update({"relationship": "子女", "parent_name": parent["name"], "parent_id": parent["id_number"]})
    row.update(overrides)
    return row


def test_a_childrens_plan_insures_the_children_of_members_enrolled_through_the_unit(tree: Tree) -> None:
    members = offer_plan(tree.province_user)
    parent, stranger = person(0), person(1)
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, members.period, [parent])
    period = children_offer(tree)
    rows = [
        child(0, parent),
        child(1, stranger),  # the parent is not enrolled through the unit
        child(2, parent, relationship="配偶"),
        child(3, parent, parent_id=None),
        child(4, parent, parent_id=child(4, parent)["id_number"]),  # the child's own number
    ]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, period, rows)
    assert problems(checked) == {
        3: {"parent_not_enrolled": "parent_id"},
        4: {"not_a_child": "relationship"},
        5: {"parent_id_missing": "parent_id"},
        6: {"parent_is_child": "parent_id"},
    }
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, period, [child(0, parent)])
    with org_scope(tree.a.unit):
        insured = Enrollment.objects.get(policy=policy)
    assert bytes(insured.parent_id_hash) == pii.blind_index(parent["id_number"])
    assert insured.parent_name == parent["name"]


def test_the_template_of_a_plan_has_the_columns_its_rules_ask_for(tree: Tree) -> None:
    period = children_offer(tree)
    with org_scope(tree.province):
        period_update(actor=tree.province_user, period=period, employment_statuses=["in_service"])
        period.refresh_from_db()
        extras = extra_columns(period)
    data = build_template(plans=["子女意外伤害保障"], unit_name="单位", period_label="2026年度", extras=extras)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [cell.value for cell in sheet[2]]
    assert headers[-4:] == ["就业状态", "与会员关系", "会员姓名", "会员证件号码"]
    plain = build_template(plans=["住院"], unit_name="单位", period_label="2026年度")
    assert "与会员关系" not in [cell.value for cell in load_workbook(io.BytesIO(plain)).worksheets[0][2]]


# At approval: the rules as they are then ------------------------------------------------------


def test_approval_refuses_rows_the_rules_refuse_now_and_stores_nothing(tree: Tree) -> None:
    offer = offer_plan(tree.province_user)
    rows = [person(0), person(1, sex="M"), person(2, sex="M"), person(3)]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, rows)
    assert checked.status == "valid"
    with org_scope(tree.a.unit_agent.org):
        member_list_submit(actor=tree.a.unit_agent, member_list=checked)
    with org_scope(tree.province):  # the office makes it a women's plan before anyone is enrolled
        period_update(actor=tree.province_user, period=offer.period, gender="F")
        with pytest.raises(ValidationError) as refused:
            member_list_approve(actor=tree.province_user, member_list=checked)
    lines = refused.value.messages
    assert lines[0].startswith("第3行") and "性别" in lines[0] and "女" in lines[0]
    assert lines[1].startswith("第4行")
    assert "未保存" in lines[-1]
    with unscoped():
        assert not Enrollment.objects.exists()
    with org_scope(tree.province):
        period_update(actor=tree.province_user, period=offer.period, gender="")
        policy = member_list_approve(actor=tree.province_user, member_list=checked)
    assert policy.member_count == 4


def test_approval_refuses_a_child_whose_parent_left_meanwhile(tree: Tree) -> None:
    members = offer_plan(tree.province_user)
    parent = person(0)
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, members.period, [parent])
    period = children_offer(tree)
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, period, [child(0, parent)])
    assert checked.status == "valid", checked.cell_problems
    with org_scope(tree.a.unit_agent.org):
        member_list_submit(actor=tree.a.unit_agent, member_list=checked)
    with unscoped():
        Enrollment.objects.filter(policy=policy).update(status="cancelled")
    with org_scope(tree.province), pytest.raises(ValidationError) as refused:
        member_list_approve(actor=tree.province_user, member_list=checked)
    assert refused.value.messages[0].startswith("第2行") and "会员证件号码" in refused.value.messages[0]
