"""Builds member-list workbooks and the enrollment objects the tests need, through the services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from enrollment.models import MemberList, Period, Plan, PlanKind, Policy
from enrollment.services.approval import member_list_approve
from enrollment.services.member_lists import member_list_check, member_list_submit, member_list_upload
from enrollment.services.plans import period_create, plan_create
from enrollment.workbook.columns import COLUMNS, EXTRA_COLUMNS
from mutualaid.idcheck import make_resident_id
from mutualaid.models import Organisation, User
from mutualaid.tenancy import org_scope

PLAN_NAME = "职工住院医疗互助保障"
PERIOD_START = date(2026, 1, 1)
PERIOD_END = date(2026, 12, 31)


def person(i: int, *, sex: str = "F", born: date | None = None, **overrides: Any) -> dict[str, Any]:
    """Row i of a list: a woman with a valid ID number unless overridden (`sex` is "M" or "F")."""
    birth = born or date(1980 + i % 20, 1 + i % 12, 1 + i % 28)
    number = make_resident_id(region="610113", birth_date=birth, sequence=i % 500, gender=sex)  # type: ignore[arg-type]
    row = {
        "seq": i + 1,
        "name": f"职工{i}",
        "id_number": number,
        "gender": "男" if sex == "M" else "女",
        "birth_date": None,
        "phone": f"139{i:08d}",
        "plan": PLAN_NAME,
        "shares": 1,
        "basic_insurance": "是",
        "remarks": None,
    }
    row.update(overrides)
    return row


def member_workbook(rows: list[dict[str, Any]]) -> bytes:
    """The standard columns, then any column of a plan's eligibility that a row fills in."""
    columns = [*COLUMNS, *(c for c in EXTRA_COLUMNS if any(c.key in row for row in rows))]
    book = Workbook()
    sheet = book.active
    sheet.title = "参保人员名单"
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in columns])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):  # text as typed, even a plan named "=…" by a hostile test
                cell.data_type = "s"
    for cell in sheet["C"][1:]:
        cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class Offer:
    plan: Plan
    period: Period


def offer_plan(office_head: User, *, max_shares: int = 3, **period: Any) -> Offer:
    """A plan of the office head's office with one 2026 period."""
    with org_scope(office_head.org, actor_id=office_head.pk):
        plan = plan_create(actor=office_head, name=PLAN_NAME, kind=PlanKind.INPATIENT)
        settings = {
            "label": "2026年度",
            "starts_on": PERIOD_START,
            "ends_on": PERIOD_END,
            "premium_per_share": Decimal("50.00"),
            "max_shares": max_shares,
            "min_participation": Decimal("0.000"),
            **period,
        }
        return Offer(plan, period_create(actor=office_head, plan=plan, **settings))


def upload_and_check(agent: User, unit: Organisation, period: Period, rows: list[dict[str, Any]]) -> MemberList:
    with org_scope(agent.org, actor_id=agent.pk):
        member_list, _created = member_list_upload(
            actor=agent, unit=unit, period=period, data=member_workbook(rows), filename="名单.xlsx"
        )
        return member_list_check(member_list=member_list, viewer=agent.org)


def enrol(agent: User, office_head: User, unit: Organisation, period: Period, rows: list[dict[str, Any]]) -> Policy:
    checked = upload_and_check(agent, unit, period, rows)
    assert checked.status == "valid", checked.cell_problems or checked.list_problems
    with org_scope(agent.org, actor_id=agent.pk):
        member_list_submit(actor=agent, member_list=checked)
    with org_scope(office_head.org, actor_id=office_head.pk):
        return member_list_approve(actor=office_head, member_list=checked)
