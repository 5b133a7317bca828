"""Oversight of claims: hospital checks on a claim, re-checks of paid claims by the office above,
and an overpayment followed as a recovery in the paying office's books to its repayment."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.models import HospitalCheck, HospitalCheckDocument, Recheck, RecheckFinding, RecheckItem
from claims.services.oversight import recheck_draw, recheck_review
from finance.models import Account, JournalEntry, Recovery, RecoveryRepayment
from finance.services.ledger import balance_get
from finance.services.recoveries import recovery_repay
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def paid(tree: Tree) -> Tree:
    """City A with one claim paid (through the three levels, a batch and the bank)."""
    tree.a.with_enrollment(100).with_claim()
    return tree


def _check_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "checked_on": str(dates.business_today()),
        "checker": "王查勘、李代办",
        "place": "甲XA西安人民医院 骨科三病区",
        "outcome": "confirmed",
        "findings": "住院病历、费用清单与结算单一致。",
        "scans": SimpleUploadedFile("查勘记录.pdf", claimkit.pdf_scan()),
    }
    data.update(changes)
    return data


def test_a_hospital_check_is_recorded_with_its_scan_encrypted_and_shown_on_the_claim(paid: Tree) -> None:
    officer = _login(paid.a.reviewers.officer)
    claim = paid.a.claim
    pdf = claimkit.pdf_scan()
    form = _check_form(scans=SimpleUploadedFile("查勘记录.pdf", pdf))
    response = officer.post(reverse("claims:claim_hospital_check", kwargs={"claim_pk": claim.pk}), form)
    assert response.status_code == 302
    with unscoped():
        check = HospitalCheck.objects.get(claim=claim)
        scan = HospitalCheckDocument.objects.get(hospital_check=check)
        stored = scan.file.read()
    assert check.checker == "王查勘、李代办" and check.outcome == "confirmed"
    assert stored and b"%PDF" not in stored and scan.sha256 == hashlib.sha256(pdf).hexdigest()  # encrypted at rest
    page = officer.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert "骨科三病区" in page and "查勘记录.pdf" in page and "住院病历、费用清单与结算单一致。" in page
    shown = officer.get(
        reverse("claims:hospital_check_scan", kwargs={"claim_pk": claim.pk, "check_document_pk": scan.pk})
    )
    assert shown.status_code == 200 and shown.content == pdf


def test_a_bad_hospital_check_names_the_field_and_saves_nothing(paid: Tree) -> None:
    officer = _login(paid.a.reviewers.officer)
    url = reverse("claims:claim_hospital_check", kwargs={"claim_pk": paid.a.claim.pk})
    tomorrow = str(dates.business_today() + timedelta(days=1))
    for changes in (
        {"checked_on": tomorrow},
        {"findings": "  "},
        {"scans": SimpleUploadedFile("x.pdf", b"not a scan")},
    ):
        response = officer.post(url, _check_form(**changes), follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        assert 'class="msg error"' in body or "msg error" in body
    with unscoped():
        assert not HospitalCheck.objects.exists() and not HospitalCheckDocument.objects.exists()


def test_the_api_records_and_lists_hospital_checks(paid: Tree) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=paid.a.office_user).key}")
    url = reverse("api_claim_hospital_checks", kwargs={"version": "v1", "claim_pk": paid.a.claim.pk})
    created = client.post(url, _check_form(outcome="discrepancy", findings="住院天数多报两天"))
    assert created.status_code == 201, created.content
    assert created.json()["outcome"] == "discrepancy" and len(created.json()["documents"]) == 1
    bad = client.post(url, _check_form(outcome="maybe"))
    assert bad.status_code == 400 and "outcome" in bad.json()
    listed = client.get(url).json()
    assert [row["findings"] for row in listed] == ["住院天数多报两天"]


def _draw(tree: Tree, **changes: object) -> Recheck:
    user = tree.province_user
    args: dict[str, object] = {
        "target": tree.a.city,
        "paid_from": date(2026, 11, 1),
        "paid_to": dates.business_today(),
        "size": 5,
        "with_flagged": True,
    }
    args.update(changes)
    with org_scope(tree.province, actor_id=user.pk):
        return recheck_draw(actor=user, **args)  # type: ignore[arg-type]


def test_the_office_above_draws_a_sample_with_a_recorded_seed_that_draws_it_again(paid: Tree) -> None:
    first = _draw(paid)
    again = _draw(paid, seed=first.seed)
    with unscoped():
        drawn = list(first.items.values_list("claim_id", flat=True))
        redrawn = list(again.items.values_list("claim_id", flat=True))
    assert drawn == [paid.a.claim.pk] and redrawn == drawn and again.seed == first.seed


def test_a_sample_of_a_sibling_or_of_ones_own_claims_is_refused(paid: Tree) -> None:
    paid.b.with_enrollment(200)
    city_head = paid.a.office_user
    for target in (paid.b.city, paid.a.city):
        with org_scope(paid.a.city, actor_id=city_head.pk), pytest.raises(ValidationError) as refused:
            recheck_draw(
                actor=city_head, target=target, paid_from=date(2026, 1, 1), paid_to=dates.business_today(), size=3
            )
        assert "target" in refused.value.message_dict
    with unscoped():
        assert not Recheck.objects.exists()
    # Through the page, a sibling's office is not even offered, and a forged choice is refused.
    page = _login(city_head).post(
        reverse("claims:recheck_list"),
        {"target": paid.b.city.pk, "paid_from": "2026-01-01", "paid_to": str(dates.business_today()), "size": 3},
        follow=True,
    )
    assert page.status_code == 200 and "msg error" in page.content.decode()
    with unscoped():
        assert not Recheck.objects.exists()


def _overpaid(tree: Tree, amount: str = "500.00") -> RecheckItem:
    recheck = _draw(tree)
    user = tree.province_user
    with org_scope(tree.province, actor_id=user.pk):
        item = recheck.items.get()
        return recheck_review(
            actor=user, item=item, finding=RecheckFinding.OVERPAID, overpaid=Decimal(amount), note="住院天数多报两天"
        )


def test_an_overpayment_found_becomes_a_recovery_in_the_paying_offices_books(paid: Tree) -> None:
    item = _overpaid(paid)
    with unscoped():
        recovery = Recovery.objects.get()
        entry = JournalEntry.objects.get(pk=recovery.entry_id)
        lines = {(line.account, line.debit, line.credit) for line in entry.lines.all()}
    assert recovery.org == paid.a.city and recovery.claim_id == item.claim_id and recovery.amount == Decimal(500)
    assert lines == {
        (Account.RECOVERY_RECEIVABLE, Decimal(500), Decimal(0)),
        (Account.CLAIMS_PAID, Decimal(0), Decimal(500)),
    }
    with org_scope(paid.a.city):
        assert balance_get(office=paid.a.city, plan=None, account=Account.RECOVERY_RECEIVABLE) == Decimal(500)
    # The claim shows its recovery to the paying office.
    page = _login(paid.a.office_user).get(reverse("claims:claim_detail", kwargs={"claim_pk": item.claim_id}))
    assert recovery.number in page.content.decode() and "500.00" in page.content.decode()
    # A finding is recorded once: the same overpayment is never booked twice.
    user = paid.province_user
    with org_scope(paid.province, actor_id=user.pk), pytest.raises(ValidationError):
        recheck_review(actor=user, item=item, finding=RecheckFinding.OVERPAID, overpaid=Decimal(500), note="again")
    with unscoped():
        assert Recovery.objects.count() == 1


def test_an_overpaid_finding_needs_an_amount_within_the_payout(paid: Tree) -> None:
    recheck = _draw(paid)
    user = paid.province_user
    with org_scope(paid.province, actor_id=user.pk):
        item = recheck.items.get()
        for amount in ("0", "999999.00", "1.005"):
            with pytest.raises(ValidationError):
                recheck_review(
                    actor=user, item=item, finding=RecheckFinding.OVERPAID, overpaid=Decimal(amount), note="x"
                )
        with pytest.raises(ValidationError):
            recheck_review(actor=user, item=item, finding=RecheckFinding.IRREGULAR, note="")
    with unscoped():
        assert not Recovery.objects.exists()
        assert RecheckItem.objects.get(pk=item.pk).finding == RecheckFinding.PENDING


def test_repayments_are_booked_once_balanced_and_never_above_what_is_outstanding(paid: Tree) -> None:
    _overpaid(paid)
    finance = paid.a.reviewers.finance
    today = dates.business_today()
    with org_scope(paid.a.city, actor_id=finance.pk):
        recovery = Recovery.objects.get()
        first = recovery_repay(
            actor=finance, recovery=recovery, amount=Decimal(200), received_on=today, key="k1", bank_reference="R1"
        )
        twice = recovery_repay(actor=finance, recovery=recovery, amount=Decimal(200), received_on=today, key="k1")
        assert first.pk == twice.pk
        with pytest.raises(ValidationError):
            recovery_repay(actor=finance, recovery=recovery, amount=Decimal(301), received_on=today, key="k2")
        recovery_repay(actor=finance, recovery=recovery, amount=Decimal(300), received_on=today, key="k3")
        recovery.refresh_from_db()
        assert recovery.settled and recovery.repaid == Decimal(500)
        assert balance_get(office=paid.a.city, plan=None, account=Account.RECOVERY_RECEIVABLE) == Decimal(0)
        assert RecoveryRepayment.objects.count() == 2
    # A repayment is booked money: the database refuses to change it.
    with unscoped(), pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
        RecoveryRepayment.objects.filter(pk=first.pk).update(amount=Decimal(1))


def test_the_recovery_page_books_a_repayment_and_the_claim_shows_it_repaid(paid: Tree) -> None:
    item = _overpaid(paid, "120.00")
    finance = _login(paid.a.reviewers.finance)
    with unscoped():
        recovery = Recovery.objects.get()
    url = reverse("finance:recovery_detail", kwargs={"recovery_pk": recovery.pk})
    page = finance.get(url)
    assert page.status_code == 200 and "120.00" in page.content.decode()
    form = {"amount": "120.00", "received_on": str(dates.business_today()), "bank_reference": "R9", "key": "abc"}
    assert finance.post(url, form).status_code == 302
    assert finance.post(url, form).status_code == 302  # the same form sent twice books once
    with unscoped():
        assert RecoveryRepayment.objects.count() == 1
    claim_page = finance.get(reverse("claims:claim_detail", kwargs={"claim_pk": item.claim_id})).content.decode()
    assert recovery.number in claim_page
    listed = _login(paid.a.office_user).get(reverse("finance:recovery_list")).content.decode()
    assert recovery.number in listed


def test_the_recheck_pages_draw_and_record_findings(paid: Tree) -> None:
    province = _login(paid.province_user)
    page_form = {
        "target": paid.a.city.pk,
        "paid_from": "2026-11-01",
        "paid_to": str(dates.business_today()),
        "size": 4,
        "with_flagged": "on",
    }
    drawn = province.post(reverse("claims:recheck_list"), page_form)
    assert drawn.status_code == 302, drawn.content.decode()[-1500:]
    with unscoped():
        recheck = Recheck.objects.get()
    detail = province.get(drawn["Location"]).content.decode()
    assert str(recheck.seed) in detail and paid.a.claim.number in detail
    finding_url = reverse("claims:recheck_finding", kwargs={"recheck_pk": recheck.pk, "claim_pk": paid.a.claim.pk})
    # The office re-checked reads the re-check of its claims, and records no finding on them.
    city = _login(paid.a.office_user)
    shown = city.get(reverse("claims:recheck_detail", kwargs={"recheck_pk": recheck.pk}))
    assert shown.status_code == 200 and 'name="finding"' not in shown.content.decode()
    refused = city.post(finding_url, {"finding": "correct", "note": ""}, follow=True)
    assert "msg error" in refused.content.decode()
    with unscoped():
        assert RecheckItem.objects.get().finding == RecheckFinding.PENDING
    done = province.post(finding_url, {"finding": "correct", "note": ""})
    assert done.status_code == 302
    with unscoped():
        assert RecheckItem.objects.get().finding == RecheckFinding.CORRECT
    # The sibling city does not see it at all.
    sibling = _login(paid.b.office_user)
    assert sibling.get(reverse("claims:recheck_detail", kwargs={"recheck_pk": recheck.pk})).status_code == 404


def test_callback_outcomes_are_counted_in_the_monthly_overview(paid: Tree) -> None:
    from claims.services.callback import claim_callback
    from reporting.overview import overview

    officer = paid.a.reviewers.officer
    with org_scope(paid.a.city, actor_id=officer.pk):
        claim_callback(actor=officer, claim=paid.a.claim, outcome="complaint", note="到账晚了")
        figures = overview(node=paid.a.city, month=date(2026, 11, 1))
        december = overview(node=paid.a.city, month=date(2026, 12, 1))
    assert figures["callbacks"]["month"] == {"satisfied": 0, "complaint": 1, "not_reached": 0, "none": 0}
    assert december["callbacks"]["month"]["complaint"] == 0 and december["callbacks"]["year"]["complaint"] == 1
    page = _login(paid.a.office_user).get(reverse("reporting:overview") + "?month=2026-11").content.decode()
    assert 'data-testid="callbacks"' in page
    pdf = _login(paid.a.office_user).get(reverse("reporting:overview_pdf") + "?month=2026-11")
    assert pdf.status_code == 200
    from pypdf import PdfReader

    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "回访" in text or "callback" in text.lower()
