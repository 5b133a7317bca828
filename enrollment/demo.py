"""Demo enrollment for `manage.py seed_demo`: a provincial plan with this year's period, and one
unit's approved list of 24 members, through the same services an office uses, so every
enrollment page has something to show."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook

from enrollment.models import Plan, PlanKind
from enrollment.services import approval, member_lists, plans
from enrollment.workbook.columns import COLUMNS
from mutualaid import dates
from mutualaid.demo import demo_acting, demo_clock
from mutualaid.idcheck import Gender, make_resident_id
from mutualaid.models import User
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import COUNT

PLAN_NAME = "职工住院医疗互助保障"


def seed() -> str | None:
    if Plan.objects.exists():
        return None
    year = dates.business_today().year  # the demo's period is always the current year
    head = User.auth_objects.get(username="sheng_head")
    city_head = User.auth_objects.get(username="xian_head")
    agent = User.auth_objects.get(username="qinchuan_agent")
    with demo_acting(head):
        plan = plans.plan_create(actor=head, name=PLAN_NAME, kind=PlanKind.INPATIENT)
        period = plans.period_create(
            actor=head,
            plan=plan,
            label=f"{year}年度",
            starts_on=date(year, 1, 1),
            ends_on=date(year, 12, 31),
            premium_per_share=Decimal("50.00"),
            max_shares=3,
            min_participation=Decimal("0.000"),
            subsidy_kind="fixed",
            subsidy_amount=Decimal("15.00"),
            unit_ratio=Decimal("0.500"),
        )
    # The unit's list was sent and approved on the 12th of last month, so that the demo has a
    # month to remit: its policy, its members and its premium receivable in the books all carry
    # that day (one date basis, README "Which month a figure belongs to").
    last_month = dates.last_month()
    with demo_clock(datetime(last_month.year, last_month.month, 12, 10, tzinfo=timezone.get_current_timezone())):
        with demo_acting(agent) as unit:
            member_list, _created = member_lists.member_list_upload(
                actor=agent, unit=unit, period=period, data=_workbook(plan.name), filename="参保人员名单-演示.xlsx"
            )
            checked = member_lists.member_list_check(member_list=member_list, viewer=unit)
            member_lists.member_list_submit(actor=agent, member_list=checked)
        with demo_acting(city_head):
            policy = approval.member_list_approve(actor=city_head, member_list=checked)
    with demo_acting(city_head):
        # The unit's contact, so that its renewal notice (in December) has someone to go to.
        from enrollment.notices import unit_contact_save

        unit_contact_save(actor=city_head, unit=policy.org, name="秦川工会王会计", phone="13991230001")
    return f"已出具演示保单 / demo policy issued: {policy.number}"


def _workbook(plan_name: str) -> bytes:
    """The unit's list of 24 members as an agent fills in the template."""
    book = Workbook()
    sheet = book.active
    for column, header in enumerate((c.header for c in COLUMNS), start=1):
        write.cell(sheet, 1, column, header)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢"
    for i in range(24):
        sex: Gender = "M" if i % 2 else "F"
        born = date(1970 + i, 1 + i % 12, 1 + i % 27)
        number = make_resident_id(region="610113", birth_date=born, sequence=100 + i, gender=sex)
        name = surnames[i] + ("建华" if sex == "M" else "秀英")
        gender = "男" if sex == "M" else "女"
        values = (i + 1, name, number, gender, None, f"139{29000000 + i}", plan_name, 1, "是", None)
        for column, value in enumerate(values, start=1):
            write.cell(sheet, i + 2, column, value, COUNT if isinstance(value, int) else None)
    return write.save(book)
