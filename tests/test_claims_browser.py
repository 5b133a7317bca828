"""The claims journey in a real browser: an agent registers a claim with its scans, three
different people pass the three levels, finance pays it in a batch, and the member page shows it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from claims.models import Claim
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.click("text=退出")


def test_a_claim_is_registered_reviewed_at_three_levels_paid_and_shown_on_the_member_page(
    tree: Tree,
    page,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Path,
) -> None:
    tree.a.with_enrollment(100)
    claimkit.set_schedule(tree.a.office_user, tree.a.period)
    people = claimkit.reviewers(tree.a.city, "xa")
    member = tree.a.members[0]
    scans = {}
    for kind, data in (
        ("discharge", claimkit.pdf_scan()),
        ("invoice", claimkit.png_scan()),
        ("settlement", claimkit.pdf_scan()),
    ):
        path = tmp_path / f"{kind}.{'png' if kind == 'invoice' else 'pdf'}"
        path.write_bytes(data)
        scans[kind] = path

    # The county agent registers the claim at the window.
    login(page, tree.a.county_agent)
    page.click('nav >> text="登记理赔"')
    page.fill("input[name=id_number]", member["id_number"])
    page.click('button:has-text("查找会员")')
    page.wait_for_selector("input[name=enrollment]")
    page.select_option("#id_care_type", "inpatient")
    page.fill("#id_admitted_on", "2026-03-02")
    page.fill("#id_discharged_on", "2026-03-12")
    page.fill("#id_hospital", "西安市第一医院")
    page.fill("#id_diagnosis", "社区获得性肺炎")
    page.fill("#id_total_cost", "10000.00")
    page.fill("#id_insurance_paid", "7000.00")
    page.fill("#id_deductible_part", "600.00")
    page.fill("#id_self_paid", "2287.99")
    page.fill("#id_not_covered", "112.01")
    page.fill("#id_invoices", "61020260302001")
    page.fill("#id_payee_name", member["name"])
    page.fill("#id_bank_name", "中国工商银行西安分行")
    page.fill("#id_account_number", "6222020200112233445")
    screenshot(page, "20-claim-register")
    # First with the discharge record missing: the claim waits and the clock has not started.
    page.set_input_files("#id_doc_invoice", str(scans["invoice"]))
    page.set_input_files("#id_doc_settlement", str(scans["settlement"]))
    page.click("text=登记理赔 >> nth=-1")
    page.wait_for_selector("[data-testid=claim-status]")
    assert page.locator("[data-testid=claim-status]").inner_text() == "材料不全"
    assert "材料不全，时限尚未开始计算" in page.content()
    assert page.locator("[data-testid=payout]").inner_text() == "2,080.00"
    calculation = page.locator("[data-testid=calculation]").inner_text()
    assert "80.0%" in calculation and "25" in calculation
    screenshot(page, "21-claim-incomplete")
    page.set_input_files("#id_doc_discharge", str(scans["discharge"]))
    page.click("text=上传")
    page.wait_for_selector("text=材料已补充")
    assert page.locator("[data-testid=claim-status]").inner_text() == "待初审"
    claim_url = page.url
    _logout(page)

    # Three different people, one level each.
    for user, status, shot in (
        (people.officer, "待复审", "22-first-review"),
        (people.supervisor, "待终审（合规）", "23-second-review"),
        (people.compliance, "已审批，待付款", "24-final-review"),
    ):
        login(page, user)
        page.click('nav a:text-is("理赔")')  # the link, not the area's heading
        page.click("[data-testid=queue-mine]")
        page.click(f"a[href='{claim_url.replace(page.base_url, '')}']")
        page.wait_for_selector("[data-testid=review]")
        screenshot(page, shot)
        page.click("[data-testid=review] >> text=通过")
        # No other claim waits at this level: the reviewer is back at their queue, told what changed.
        page.wait_for_selector("text=本级已没有其他待您审核的理赔")
        assert status in page.content()
        page.goto(claim_url)
        assert page.locator("[data-testid=claim-status]").inner_text() == status
        _logout(page)

    # Finance gathers it into a batch, downloads the transfer workbook and marks it paid.
    login(page, people.finance)
    page.click('nav >> text="付款批次"')
    page.check("input[name=claim]")
    screenshot(page, "25-batch-select")
    page.click("text=将勾选的理赔生成付款批次")
    page.wait_for_selector("[data-testid=batch-status]")
    # Its payment is approved in layers by three other people (finance's own journey shows how).
    from claims.models import PaymentBatch

    with unscoped():
        claimkit.approve_payment(people, PaymentBatch.objects.get())
    page.reload()
    with page.expect_download() as download:
        page.click("[data-testid=transfer-link]")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet["D4"].value == "6222020200112233445" and sheet["E4"].value == 2080
    page.click("[data-testid=mark-sent]")
    page.wait_for_selector("[data-testid=mark-paid]")
    page.fill("input[name=bank_reference]", "ICBC-20261102-01")
    # The plan is pooled above: the city's bank account would go below zero, which is confirmed.
    assert "低于零" in page.locator("[data-testid=overdraft-warning]").inner_text()
    page.fill("[data-testid=overdraw-reason]", "省级统筹，理赔先行垫付")
    page.click("text=银行已确认：标记为已付款")
    page.wait_for_selector("text=批次已标记为已付款")
    assert page.locator("[data-testid=batch-status]").inner_text() == "已赔付"
    screenshot(page, "26-batch-paid")
    _logout(page)

    # The member page shows the claim as paid.
    login(page, tree.a.office_user)
    with unscoped():
        claim = Claim.objects.get()
    page.goto(page.base_url + f"/enrollment/members/{claim.enrollment_id}/")
    claims = page.locator("[data-testid=member-claims]").inner_text()
    assert claim.number in claims and "已赔付" in claims and "2,080.00" in claims
    screenshot(page, "27-member-claims")
    page.goto(claim_url)
    history = page.locator("[data-testid=history]").inner_text()
    assert history.count("通过") == 3
    screenshot(page, "28-claim-paid")


def test_an_office_previews_a_new_region_s_rules_before_saving(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree.a.with_enrollment(100)
    login(page, tree.a.office_user)
    page.click('nav >> text="给付方案"')
    page.click("text=未录入")
    page.click("text=金华")
    page.fill("#ex-self", "12000")
    page.fill("#ex-ded", "800")
    page.click("text=校验并预览")
    page.wait_for_selector("[data-testid=preview]")
    preview = page.locator("[data-testid=preview]").inner_text()
    # Jinhua: 5,000 × 50% + 5,000 × 60% + 2,000 × 70% = 6,900; deductible part 800 × 50% = 400.
    assert "7300" in preview.replace(",", ""), preview
    screenshot(page, "29-schedule-preview")
    page.click("text=保存给付方案")
    page.wait_for_selector("text=给付方案已保存")
    page.goto(page.base_url + "/claims/deadlines/")
    screenshot(page, "30-deadlines")
