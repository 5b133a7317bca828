"""A city office's month in a real browser, with exactly one person per role (issue 15).

西安 has one office head, one claims officer (who also registers claims at the window), one
claims supervisor, one compliance officer, one leader in charge, one finance officer and one
finance head; its agent point has one agent and the unit one clerk. From mid-November to the
end of December (the clock moved with time-machine, as tests/test_endorsements.py does):

- the unit's list is uploaded, approved with the rows in view, and its cards printed;
- the only claims officer registers a claim from the member page; nobody else may take its
  first level, so the office head decides it with a written reason; the supervisor returns it
  for a document, the officer adds it (the claim is re-submitted), and it passes every level;
- finance batches it, submits the batch for payment approval (nothing typed), the three
  approvers sign, the transfer workbook goes to the bank and the payment is booked;
- the paperwork (理赔审批表, 赔付通知书, 付款审批单, the member cards) is downloaded and its text read;
- in December a supplementary list becomes an endorsement counted in December;
- the agent point remits November's premium after its due day: the city sees it late, and
  receives it.

At every state the journey reaches, the page offers the next step (the way out).
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from claims.models import Claim, ClaimStatus, PaymentBatch
from enrollment.models import Endorsement, Policy
from finance.models import PaymentRequest, Remittance
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import Role
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.browser import SCREENSHOTS, login, page, screenshot  # noqa: F401 - the fixture
from tests.factories import OrganisationFactory, UserFactory
from tests.lists import member_workbook, offer_plan, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Office:
    """The office, its agent point and unit, and one person per role."""

    def __init__(self) -> None:
        with unscoped():
            province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
            self.city = OrganisationFactory(code="XAM61", name="西安市代办处", kind=OrgKind.CITY, parent=province)
            self.county = OrganisationFactory(
                code="XAM61C1", name="雁塔区代办点", kind=OrgKind.COUNTY, parent=self.city
            )
            self.unit = OrganisationFactory(code="XAM61U1", name="西安机床厂工会", parent=self.county, headcount=80)
        self.head = self._user("head", "王主任", Role.OFFICE_HEAD)
        self.officer = self._user("officer", "李理赔", Role.CLAIMS_OFFICER)
        self.supervisor = self._user("supervisor", "赵主管", Role.CLAIMS_SUPERVISOR)
        self.compliance = self._user("compliance", "钱合规", Role.COMPLIANCE)
        self.leader = self._user("leader", "孙领导", Role.LEADER)
        self.finance = self._user("finance", "周出纳", Role.FINANCE_OFFICER)
        self.finance_head = self._user("finance_head", "吴财务", Role.FINANCE_HEAD)
        self.agent = self._user("agent", "郑代办", Role.COUNTY_AGENT, org=self.county)
        self.clerk = self._user("clerk", "冯经办", Role.UNIT_AGENT, org=self.unit)

    def _user(self, name: str, display: str, role: Role, org: Organisation | None = None) -> User:
        return UserFactory(username=f"xam_{name}", display_name=display, org=org or self.city, roles=[role])


def _logout(tab: Any) -> None:
    tab.click("text=退出")


def _as(tab: Any, user: User) -> None:
    """Whoever was logged in leaves; `user` logs in (a day later the session has idled out anyway)."""
    tab.context.clear_cookies()
    login(tab, user)


def _pdf_text(tab: Any, link: str, name: str) -> str:
    """The document behind a link on the page, downloaded as the browser would, read as text."""
    href = tab.locator(link).first.get_attribute("href")
    response = tab.request.get(tab.base_url + href if href.startswith("/") else href)
    assert response.status == 200, (href, response.status)
    body = response.body()
    assert body.startswith(b"%PDF"), href
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"month-{name}.pdf").write_bytes(body)  # kept beside the screenshots, to look at
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(p.extract_text() for p in reader.pages)


def _upload_list(tab: Any, office: Office, period: Any, rows: list[dict[str, Any]], path: Path) -> str:
    """The clerk uploads a list, sees it pass and submits it; returns the list's page."""
    path.write_bytes(member_workbook(rows))
    tab.goto(tab.base_url + "/enrollment/lists/upload/")
    tab.select_option("#id_unit", str(office.unit.pk))
    tab.select_option("#id_period", str(period.pk))
    tab.set_input_files("#id_file", str(path))
    tab.click("button[type=submit].primary")
    tab.wait_for_selector("text=所有行均通过校验")
    tab.click("text=提交审核")
    tab.wait_for_selector("text=名单已提交办事处审核")
    # Submitted: the agent is told who approves it.
    assert office.head.display_name in tab.locator("[data-testid=approvers]").inner_text()
    return tab.url


def _approve_list(tab: Any, list_url: str, count: int, *, endorsement: bool = False) -> None:
    tab.goto(list_url)
    tab.click("text=核对并审核")
    tab.wait_for_selector("[data-testid=rows]")
    assert tab.locator("[data-testid=member-count]").inner_text() == str(count)
    tab.check("input[name=confirmed]")
    button = tab.locator("[data-testid=approve-form] button.primary")
    assert ("批单" in button.inner_text()) is endorsement
    button.click()
    tab.wait_for_selector("[data-testid=members]")


def _review(tab: Any, claim_url: str, action: str = "通过", reason: str = "") -> None:
    tab.goto(claim_url)
    tab.wait_for_selector("[data-testid=review]")
    if reason:
        tab.fill("[data-testid=review] textarea[name=reason]", reason)
    tab.click(f"[data-testid=review] >> text={action}")
    tab.wait_for_load_state()


def _status(tab: Any, claim_url: str) -> str:
    tab.goto(claim_url)
    return str(tab.locator("[data-testid=claim-status]").inner_text())


def test_a_city_office_of_one_person_per_role_works_through_a_month(page: Any, tmp_path: Path) -> None:  # noqa: F811
    tab = page
    with time_machine.travel(datetime(2026, 11, 16, 9, 30, tzinfo=SHANGHAI), tick=True) as clock:
        office = Office()
        offer = offer_plan(office.head)
        claimkit.set_schedule(office.head, offer.period)
        members = [person(300 + i, name=f"机床会员{i}") for i in range(4)]

        # 16 November: the unit's clerk uploads the list; the office head approves it, rows in view.
        login(tab, office.clerk)
        list_url = _upload_list(tab, office, offer.period, members, tmp_path / "名单.xlsx")
        _as(tab, office.head)
        _approve_list(tab, list_url, 4)
        assert tab.locator("[data-testid=members] tbody tr").count() == 4
        cards = _pdf_text(tab, "[data-testid=cards-link]", "cards")
        assert "机床会员0" in cards and "互助保障卡" in cards
        screenshot(tab, "month-01-policy")
        with unscoped():
            policy = Policy.objects.get(org=office.unit)
            enrollment = policy.enrollments.get(name="机床会员0")

        # 27 November: the only claims officer registers a claim from the member page, one scan short.
        clock.move_to(datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI))
        _as(tab, office.officer)
        tab.goto(tab.base_url + f"/enrollment/members/{enrollment.pk}/")
        tab.click("[data-testid=register-claim]")
        tab.wait_for_selector("[data-testid=chosen-member]")
        tab.select_option("#id_care_type", "inpatient")
        for field, value in (
            ("admitted_on", "2026-11-18"),
            ("discharged_on", "2026-11-25"),
            ("hospital", "西安市第一医院"),
            ("diagnosis", "社区获得性肺炎"),
            ("total_cost", "10000.00"),
            ("insurance_paid", "7000.00"),
            ("deductible_part", "600.00"),
            ("self_paid", "2287.99"),
            ("not_covered", "112.01"),
            ("invoices", "61020261118001"),
            ("payee_name", "机床会员0"),
            ("bank_name", "中国工商银行西安分行"),
            ("account_number", "6222020200112233445"),
        ):
            tab.fill(f"#id_{field}", value)
        scans = {}
        for kind in ("discharge", "invoice", "settlement"):
            scans[kind] = tmp_path / f"{kind}.pdf"
            scans[kind].write_bytes(claimkit.pdf_scan())
        tab.set_input_files("#id_doc_invoice", str(scans["invoice"]))
        tab.set_input_files("#id_doc_settlement", str(scans["settlement"]))
        tab.click("text=登记理赔 >> nth=-1")
        tab.wait_for_selector("[data-testid=claim-status]")
        claim_url = tab.url
        assert tab.locator("[data-testid=claim-status]").inner_text() == "材料不全"
        screenshot(tab, "month-02-claim-incomplete")
        # Documents incomplete: the way out is adding the missing scan.
        tab.set_input_files("#id_doc_discharge", str(scans["discharge"]))
        tab.click("text=上传")
        tab.wait_for_selector("text=材料已补充")
        assert tab.locator("[data-testid=claim-status]").inner_text() == "待初审"
        # She registered it: she may not review it, and nobody else holds the first level.
        assert tab.locator("[data-testid=review]").count() == 0
        _logout(tab)

        # The office head decides the first level, with the reason kept in the history.
        _as(tab, office.head)
        tab.goto(claim_url)
        tab.wait_for_selector("[data-testid=handoff]")
        tab.fill("#override-reason", "本处仅一名理赔员，由其本人登记")
        tab.click("[data-testid=override]")
        tab.wait_for_selector("[data-testid=handed-to]")
        _review(tab, claim_url)
        assert _status(tab, claim_url) == "待复审"

        # The supervisor returns it for a document; the officer adds it: the claim is back in review.
        _as(tab, office.supervisor)
        _review(tab, claim_url, "退回补材料", "请补交费用明细清单")
        assert _status(tab, claim_url) == "材料不全"
        _as(tab, office.officer)
        tab.goto(claim_url)
        assert "请补交费用明细清单" in tab.content()
        extra = tmp_path / "费用明细.pdf"
        extra.write_bytes(claimkit.pdf_scan())
        tab.set_input_files("#id_doc_other", str(extra))
        tab.click("text=上传")
        tab.wait_for_selector("text=材料已补充")
        assert tab.locator("[data-testid=claim-status]").inner_text() == "待初审"
        _as(tab, office.head)
        tab.goto(claim_url)
        tab.fill("#override-reason", "补交材料后重新初审，本处仅一名理赔员")
        tab.click("[data-testid=override]")
        tab.wait_for_selector("[data-testid=handed-to]")
        _review(tab, claim_url)
        for user, status in ((office.supervisor, "待终审（合规）"), (office.compliance, "已审批，待付款")):
            _as(tab, user)
            _review(tab, claim_url)
            assert _status(tab, claim_url) == status
        form = _pdf_text(tab, "[data-testid=approval-form]", "approval-form")
        assert "理赔审批表" in form and "西安市代办处" in form and "王主任" in form
        assert "本处仅一名理赔员" in form
        screenshot(tab, "month-03-claim-approved")

        # 30 November: finance batches it and submits it for payment approval (nothing typed).
        clock.move_to(datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI))
        _as(tab, office.finance)
        tab.goto(tab.base_url + "/claims/batches/")
        tab.check("input[name=claim]")
        tab.click("text=将勾选的理赔生成付款批次")
        tab.wait_for_selector("[data-testid=batch-status]")
        batch_url = tab.url
        assert tab.locator("[data-testid=transfer-link]").count() == 0
        tab.click("[data-testid=prepare-payment]")
        tab.wait_for_selector("[data-testid=batch-payment-status]")
        assert (
            "转账文件在办事处负责人" in tab.content()
            or "审批" in tab.locator("[data-testid=batch-payment]").inner_text()
        )
        with unscoped():
            payment = PaymentRequest.objects.get(claims_batch__org=office.city)
            assert payment.amount == PaymentBatch.objects.get().total
        payment_url = tab.base_url + f"/finance/payments/{payment.pk}/"
        for user in (office.head, office.finance_head, office.leader):
            _as(tab, user)
            tab.goto(payment_url)
            tab.click("text=审批通过")
            tab.wait_for_selector("text=已审批。")
        approval = _pdf_text(tab, "[data-testid=approval-form]", "payment-approval")
        assert "付款审批单" in approval and "王主任" in approval and "吴财务" in approval and "孙领导" in approval

        _as(tab, office.finance)
        tab.goto(batch_url)
        with tab.expect_download() as download:
            tab.click("[data-testid=transfer-link]")
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        assert sheet["D4"].value == "6222020200112233445"
        tab.click("[data-testid=mark-sent]")
        tab.wait_for_selector("[data-testid=mark-paid]")
        tab.fill("input[name=bank_reference]", "ICBC-XA-20261130")
        if tab.locator("[data-testid=overdraw-reason]").count():
            tab.fill("[data-testid=overdraw-reason]", "保费在途，理赔先行垫付")
        tab.click("[data-testid=mark-paid]")
        tab.wait_for_selector("text=批次已标记为已付款")
        assert tab.locator("[data-testid=batch-status]").inner_text() == "已赔付"
        assert _status(tab, claim_url) == "已赔付"
        notice = _pdf_text(tab, "[data-testid=notice]", "payout-notice")
        assert "赔付通知书" in notice and "机床会员0" in notice
        screenshot(tab, "month-04-claim-paid")

        # 3 December: a supplementary list of the unit becomes an endorsement counted in December.
        clock.move_to(datetime(2026, 12, 3, 9, 30, tzinfo=SHANGHAI))
        _as(tab, office.clerk)
        more = [person(320 + i, name=f"机床新会员{i}") for i in range(2)]
        extra_url = _upload_list(tab, office, offer.period, more, tmp_path / "补充名单.xlsx")
        _as(tab, office.head)
        _approve_list(tab, extra_url, 2, endorsement=True)
        tab.goto(tab.base_url + f"/enrollment/policies/{policy.pk}/")
        endorsements = tab.locator("[data-testid=endorsements]").inner_text()
        with unscoped():
            endorsement = Endorsement.objects.get(policy=policy)
        assert endorsement.premium_month.isoformat() == "2026-12-01"
        assert endorsement.number in endorsements
        screenshot(tab, "month-05-endorsement")

        # 20 December: the agent point remits November's premium after its due day (the 15th).
        clock.move_to(datetime(2026, 12, 20, 9, 30, tzinfo=SHANGHAI))
        _as(tab, office.finance_head)
        tab.goto(tab.base_url + "/finance/remittances/")
        warnings = tab.locator("[data-testid=remittance-warnings]").inner_text()
        assert "雁塔区代办点" in warnings
        _as(tab, office.agent)
        tab.goto(tab.base_url + "/finance/remittances/")
        tab.fill("#month", "2026-11")
        tab.click("text=按当月保单生成报告书")
        tab.wait_for_selector("[data-testid=remittance-lines]")
        assert "200.00" in tab.locator("[data-testid=remittance-lines]").inner_text()
        tab.fill("#bank_reference", "ICBC-YT-202611-01")
        if tab.locator("[data-testid=remittance-overdraw-reason]").count():  # the bank does not cover it
            tab.fill("[data-testid=remittance-overdraw-reason]", "单位保费在途，先行上解")
        tab.click("text=确认上解")
        tab.wait_for_selector("text=上解已确认并记账")
        _as(tab, office.finance_head)
        tab.goto(tab.base_url + "/finance/remittances/")
        assert "逾期上解" in tab.locator("[data-testid=remittance-warnings]").inner_text()
        tab.click("[data-testid=incoming] >> text=2026年11月")
        tab.click("text=款项已到账：记为已收")
        tab.wait_for_selector("text=上解款已收到并记账")
        with unscoped():
            report = Remittance.objects.get(org=office.county)
            assert report.status == "received" and report.amount_remitted == 200
            assert Claim.objects.get().status == ClaimStatus.PAID
        screenshot(tab, "month-06-remittance-received")
