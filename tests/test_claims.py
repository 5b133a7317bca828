"""Claims through their services: registration, calculation, review, routing, flags, the clock,
payment. Pages and API are in test_claims_views.py; the calculator alone in test_claims_rules.py."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import load_workbook

from claims.models import BenefitSchedule, Claim, ClaimDocument, ClaimStatus, OfficeDay
from claims.selectors import claim_diagnosis, claim_missing_documents, document_content
from claims.services.callback import claim_callback
from claims.services.documents import claim_add_documents, document_check
from claims.services.notifications import claim_notify_paid
from claims.services.office import office_day_set
from claims.services.payment import batch_create, batch_settle
from claims.services.registration import claim_amend
from claims.services.review import claim_review
from enrollment.models import Enrollment
from enrollment.services.enrollments import enrollment_cancel
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree


def _second_member(tree: Tree) -> Enrollment:
    with unscoped():
        return tree.a.policy.enrollments.order_by("number")[1]


def _count() -> tuple[int, int]:
    with unscoped():
        return Claim.objects.count(), ClaimDocument.objects.count()


# Registration and calculation ----------------------------------------------------------------


def test_a_claim_with_its_documents_goes_to_first_review_with_the_shaoxing_payout(claims_ready: Tree) -> None:
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    assert claim.status == ClaimStatus.FIRST_REVIEW
    # Seed (Shaoxing): self-paid 2,287.99 × 80% = 1,830.39 → 1,830 yuan; 10 days × 25 = 250.
    assert claim.payout == Decimal("2080")
    amounts = [Decimal(line["amount"]) for line in claim.calculation]
    assert sum(amounts) == claim.payout
    assert any("80.0%" in line["label"] and Decimal(line["amount"]) == 1830 for line in claim.calculation)
    assert any("25" in line["label"] and Decimal(line["amount"]) == 250 for line in claim.calculation)
    assert claim.review_office_id == claims_ready.a.city.pk
    assert claim.documents_complete_on == dates.business_today()
    assert claim.target_due_on > claim.documents_complete_on
    assert claim.limit_due_on > claim.target_due_on


def test_the_calculation_is_in_chinese(claims_ready: Tree) -> None:
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    labels = " ".join(line["label"] for line in claim.calculation)
    assert "自付" in labels and "住院" in labels, labels
    # The rounding is shown where it changed a figure: 2,287.99 × 80% = 1,830.392 → 1,830.
    assert "1,830.392 元，四舍五入到元" in labels, labels


def test_a_claim_without_its_documents_waits_and_its_clock_has_not_started(claims_ready: Tree) -> None:
    claim = claimkit.register(
        claims_ready.a.unit_agent, claims_ready.a.enrollment, documents=[claimkit.upload("invoice")]
    )
    assert claim.status == ClaimStatus.INCOMPLETE
    assert claim.documents_complete_on is None and claim.target_due_on is None
    with org_scope(claims_ready.a.unit, actor_id=claims_ready.a.unit_agent.pk):
        assert claim_missing_documents(claim=claim) == ["discharge", "settlement"]
        claim = claim_add_documents(
            actor=claims_ready.a.unit_agent,
            claim=claim,
            documents=[claimkit.upload("discharge"), claimkit.upload("settlement", claimkit.png_scan(), "结算单.png")],
        )
    assert claim.status == ClaimStatus.FIRST_REVIEW
    assert claim.documents_complete_on == dates.business_today()


def test_documents_and_sensitive_fields_are_stored_encrypted(claims_ready: Tree) -> None:
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment, diagnosis="急性阑尾炎")
    with connection.cursor() as cursor:
        cursor.execute("SELECT diagnosis_cipher, account_cipher FROM claims_claim WHERE id = %s", [claim.pk])
        diagnosis, account = (bytes(value) for value in cursor.fetchone())
    assert "急性阑尾炎".encode() not in diagnosis
    assert b"6222020200112233445" not in account
    with unscoped():
        document = ClaimDocument.objects.filter(claim=claim).first()
        stored = document.file.open("rb").read()
        assert not stored.startswith(b"%PDF")
        assert document_content(document=document).startswith(b"%PDF")
        assert claim_diagnosis(claim=claim) == "急性阑尾炎"
    assert claim.account_masked == "6222***********3445"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"discharged_on": date(2026, 3, 1)}, "discharged_on", "早于入院日期"),
        ({"admitted_on": date(2025, 12, 20), "discharged_on": date(2026, 1, 2)}, "admitted_on", "不在会员的保障期内"),
        ({"total_cost": Decimal("9999.00")}, "total_cost", "合计"),
        ({"self_paid": Decimal("-1"), "total_cost": Decimal("7710.00")}, "self_paid", "不小于 0"),
        ({"invoices": ()}, "invoices", "发票号码"),
        ({"invoices": ("A1", "A1")}, "invoices", "重复"),
        ({"discharged_on": None}, "discharged_on", "出院日期"),
    ],
)
def test_bad_figures_are_refused_by_field_and_nothing_is_saved(
    claims_ready: Tree, changes: dict[str, object], field: str, words: str
) -> None:
    before = _count()
    with pytest.raises(ValidationError) as caught:
        claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment, **changes)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field]) or words in str(caught.value)
    assert _count() == before


def test_the_error_messages_are_chinese_and_name_what_to_do(claims_ready: Tree) -> None:
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment, total_cost=Decimal("9999.00"))
    text = caught.value.message_dict["total_cost"][0]
    assert "合计" in text or "总" in text, text
    assert "10000.00" in text and "9999.00" in text


def test_a_cancelled_enrollment_does_not_cover_care_after_the_cancellation(claims_ready: Tree) -> None:
    with org_scope(claims_ready.a.unit, actor_id=claims_ready.a.unit_agent.pk):
        enrollment_cancel(
            actor=claims_ready.a.unit_agent, enrollment=claims_ready.a.enrollment, reason="离职", on=date(2026, 3, 1)
        )
        enrollment = Enrollment.objects.get(pk=claims_ready.a.enrollment.pk)
    before = _count()
    with pytest.raises(ValidationError) as caught:
        claimkit.register(claims_ready.a.unit_agent, enrollment)
    assert "admitted_on" in caught.value.message_dict
    assert _count() == before
    # Care before the cancellation is still covered.
    claim = claimkit.register(
        claims_ready.a.unit_agent, enrollment, admitted_on=date(2026, 2, 10), discharged_on=date(2026, 2, 20)
    )
    assert claim.status == ClaimStatus.FIRST_REVIEW


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("invoice.pdf", b"MZ\x90\x00 this is a program", "不是 PDF、JPG 或 PNG"),
        ("scan.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "不是 PDF、JPG 或 PNG"),
        ("empty.png", b"", "空文件"),
    ],
)
def test_a_document_that_is_not_a_scan_is_refused_by_name(name: str, data: bytes, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        document_check(kind="invoice", upload=SimpleUploadedFile(name, data))
    assert words in caught.value.messages[0] and name in caught.value.messages[0]


def test_an_oversized_document_is_refused(settings: object) -> None:
    settings.CLAIM_DOCUMENT_MAX_BYTES = 1000  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as caught:
        document_check(kind="invoice", upload=SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2000))
    assert "big.pdf" in caught.value.messages[0] and "MB" in caught.value.messages[0]


def test_no_schedule_and_a_schedule_of_another_province_are_refused(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    with pytest.raises(ValidationError) as caught:
        claimkit.register(tree.a.unit_agent, tree.a.enrollment)
    assert "给付方案" in str(caught.value)
    schedule = claimkit.set_schedule(tree.a.office_user, tree.a.period)
    from tests.factories import OrganisationFactory

    with unscoped():
        other = OrganisationFactory(code="P62", name="另一省办事处", kind="province")
        BenefitSchedule.objects.filter(pk=schedule.pk).update(org=other, org_path=other.path)
    before = _count()
    with pytest.raises(ValidationError) as caught:
        claimkit.register(tree.a.unit_agent, tree.a.enrollment)
    assert "其他省" in str(caught.value)
    assert _count() == before


def test_a_change_of_figures_before_approval_recomputes_the_payout(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    with org_scope(claims_ready.a.city, actor_id=people.officer.pk):
        claim = claim_amend(
            actor=people.officer,
            claim=claim,
            version=claim.version,
            figures=claimkit.figures(
                self_paid=Decimal("1000.00"), not_covered=Decimal("1400.00"), discharged_on=date(2026, 3, 6)
            ),
        )
    # 1,000 × 80% = 800; 4 days × 25 = 100.
    assert claim.payout == Decimal("900")
    claim = claimkit.approve(people, claim)
    with org_scope(claims_ready.a.city, actor_id=people.officer.pk), pytest.raises(ValidationError):
        claim_amend(actor=people.officer, claim=claim, version=claim.version, figures=claimkit.figures())


# Review ---------------------------------------------------------------------------------------


def test_three_different_people_pass_the_three_levels(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    claim = claimkit.act(people.officer, claim)
    assert claim.status == ClaimStatus.SECOND_REVIEW
    claim = claimkit.act(people.supervisor, claim)
    assert claim.status == ClaimStatus.FINAL_REVIEW
    claim = claimkit.act(people.compliance, claim)
    assert claim.status == ClaimStatus.APPROVED and claim.approved_at is not None
    with unscoped():
        steps = list(claim.steps.values_list("level", "action", "actor_id"))
    assert steps == [
        ("intake", "register", claims_ready.a.unit_agent.pk),
        ("first", "pass", people.officer.pk),
        ("second", "pass", people.supervisor.pk),
        ("final", "pass", people.compliance.pk),
    ]


def test_no_person_acts_at_two_levels_of_the_same_claim(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    both = people.officer
    both.roles = ["claims_officer", "claims_supervisor"]
    both.save()
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    claim = claimkit.act(both, claim)
    with pytest.raises(PermissionDenied) as caught:
        claimkit.act(both, claim)
    assert "只能在一个环节" in str(caught.value)
    # The registrar may not review either: intake is a level.
    registrar = claims_ready.a.office_user  # holds every office role
    claim2 = claimkit.register(
        registrar,
        claims_ready.a.enrollment,
        invoices=("INV-R",),
        admitted_on=date(2026, 5, 1),
        discharged_on=date(2026, 5, 3),
    )
    with pytest.raises(PermissionDenied):
        claimkit.act(registrar, claim2)


def test_a_reviewer_without_the_level_or_of_another_office_is_refused(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    with pytest.raises(PermissionDenied):
        claimkit.act(people.supervisor, claim)  # waits at the first level
    province_officer = claimkit.reviewers(claims_ready.province, "p").officer
    with pytest.raises(PermissionDenied) as caught:
        claimkit.act(province_officer, claim)
    assert claims_ready.a.city.name in str(caught.value)


def test_an_action_on_an_old_version_is_refused_and_nothing_is_applied_twice(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    seen = claim.version
    claimkit.act(people.officer, claim)
    with org_scope(claims_ready.a.city, actor_id=people.officer.pk), pytest.raises(ValidationError) as caught:
        claim_review(actor=people.officer, claim=claim, version=seen, action="pass")
    assert "刚刚已被其他人处理" in str(caught.value)
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SECOND_REVIEW
        assert claim.steps.filter(action="pass").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_the_same_moment_one_wins_the_other_is_told(tree: Tree) -> None:
    from tests.factories import UserFactory

    tree.a.with_enrollment(100)
    claimkit.set_schedule(tree.a.office_user, tree.a.period)
    claim = claimkit.register(tree.a.unit_agent, tree.a.enrollment)
    officers = [UserFactory(username=f"xa_officer{i}", org=tree.a.city, roles=["claims_officer"]) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(user: object) -> None:
        try:
            with org_scope(tree.a.city, actor_id=user.pk):  # type: ignore[attr-defined]
                barrier.wait()
                claim_review(actor=user, claim=claim, version=claim.version, action="pass")  # type: ignore[arg-type]
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append("told: " + " ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(user,)) for user in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["told", "won"], outcomes
    with unscoped():
        current = Claim.objects.get(pk=claim.pk)
        assert current.status == ClaimStatus.SECOND_REVIEW and current.version == claim.version + 1
        assert current.steps.filter(action="pass").count() == 1


def test_return_and_reject_need_a_reason_the_member_can_read(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    with pytest.raises(ValidationError):
        claimkit.act(people.officer, claim, "return")
    claim = claimkit.act(people.officer, claim, "return", "请补交出院小结原件")
    assert claim.status == ClaimStatus.INCOMPLETE and claim.reason == "请补交出院小结原件"
    assert claim.documents_complete_on is None  # the clock stops and starts again when complete
    with org_scope(claims_ready.a.unit, actor_id=claims_ready.a.unit_agent.pk):
        claim = claim_add_documents(
            actor=claims_ready.a.unit_agent, claim=claim, documents=[claimkit.upload("discharge")]
        )
    assert claim.status == ClaimStatus.FIRST_REVIEW
    claim = claimkit.act(people.officer, claim)
    claim = claimkit.act(people.supervisor, claim, "reject", "住院期间不在保障期内")
    assert claim.status == ClaimStatus.REJECTED and claim.reason == "住院期间不在保障期内"


# Routing -----------------------------------------------------------------------------------


def test_a_plan_reviewed_by_the_province_goes_to_the_province(claims_ready: Tree) -> None:
    from enrollment.models import Plan

    with unscoped():
        Plan.objects.filter(pk=claims_ready.a.plan.pk).update(claims_reviewed_by="plan_office")
    # City A runs this plan itself, so "the office that runs the plan" is city A: move the plan up.
    with unscoped():
        Plan.objects.filter(pk=claims_ready.a.plan.pk).update(
            org=claims_ready.province, org_path=claims_ready.province.path
        )
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    assert claim.review_office_id == claims_ready.province.pk
    with pytest.raises(PermissionDenied):
        claimkit.act(claims_ready.a.reviewers.officer, claim)
    province = claimkit.reviewers(claims_ready.province, "p")
    claim = claimkit.act(province.officer, claim)
    assert claim.status == ClaimStatus.SECOND_REVIEW


def test_a_large_claim_also_needs_the_leader(claims_ready: Tree) -> None:
    from enrollment.models import Plan

    with unscoped():
        Plan.objects.filter(pk=claims_ready.a.plan.pk).update(large_claim_amount=Decimal("2000"))
    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    assert claim.status == ClaimStatus.LEADER_REVIEW and claim.needs_leader
    claim = claimkit.act(people.leader, claim)
    assert claim.status == ClaimStatus.APPROVED


# Flags ---------------------------------------------------------------------------------------


def test_a_reused_invoice_blocks_the_claim(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    first = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    other = _second_member(claims_ready)
    second = claimkit.register(
        claims_ready.a.unit_agent, other, admitted_on=date(2026, 6, 1), discharged_on=date(2026, 6, 3)
    )
    codes = {flag["code"]: flag for flag in second.flags}
    assert codes["invoice_reused"]["blocking"] and first.number in codes["invoice_reused"]["message"]
    with pytest.raises(ValidationError) as caught:
        claimkit.act(people.officer, second)
    assert "已被拦截" in str(caught.value)
    # Rejecting the first claim releases its invoice.
    claimkit.act(people.officer, first, "reject", "重复报销")
    claimkit.act(people.officer, second)


def test_early_many_large_and_overlapping_claims_are_flagged(claims_ready: Tree) -> None:
    from claims.models import ClaimSettings

    with unscoped():
        ClaimSettings.objects.create(
            org=claims_ready.a.city, early_claim_days=90, claims_per_member=1, large_amount=Decimal("2000")
        )
    first = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    assert {f["code"] for f in first.flags} == {"early_claim", "large_amount"}
    second = claimkit.register(
        claims_ready.a.unit_agent,
        claims_ready.a.enrollment,
        invoices=("INV0002",),
        admitted_on=date(2026, 3, 10),
        discharged_on=date(2026, 3, 15),
    )
    codes = {f["code"] for f in second.flags}
    assert {"many_claims", "overlapping_stay", "early_claim"} <= codes
    assert not second.blocking_flags
    from claims.selectors import risk_list

    with org_scope(claims_ready.a.city):
        assert {c.pk for c in risk_list()} == {first.pk, second.pk}


def test_the_period_cap_counts_what_was_paid_before(claims_ready: Tree) -> None:
    claimkit.set_schedule(
        claims_ready.a.office_user, claims_ready.a.period, {**claimkit.SHAOXING, "cap_per_period": "2500"}
    )
    people = claims_ready.a.reviewers
    claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    second = claimkit.register(
        claims_ready.a.unit_agent,
        claims_ready.a.enrollment,
        invoices=("INV0002",),
        admitted_on=date(2026, 7, 1),
        discharged_on=date(2026, 7, 11),
    )
    # 2,080 was approved before; 420 is left of the 2,500 cap.
    assert second.payout == Decimal("420")
    assert second.cap_left_after == 0


# The working-day clock ---------------------------------------------------------------------


def test_the_clock_skips_national_day_and_the_office_s_own_closures(
    claims_ready: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dates, "business_today", lambda: date(2026, 9, 29))
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    # 2026-09-29 (Tue) + 5 working days: 9-30, then the National Day holiday to 10-8 (with 10-10
    # a working Saturday): 10-9, 10-10, 10-12, 10-13.
    from claims.workdays import WorkdayCalendar

    assert claim.target_due_on == WorkdayCalendar().add(date(2026, 9, 29), 5)
    assert claim.target_due_on > date(2026, 10, 8)
    head = claims_ready.a.office_user
    with org_scope(claims_ready.a.city, actor_id=head.pk):
        office_day_set(actor=head, day=date(2026, 9, 30), is_workday=False, note="地方假日")
    with unscoped():
        moved = Claim.objects.get(pk=claim.pk)
        assert OfficeDay.objects.count() == 1
    assert moved.target_due_on == WorkdayCalendar(closed=[date(2026, 9, 30)]).add(date(2026, 9, 29), 5)
    assert moved.target_due_on > claim.target_due_on


def test_the_overdue_queue_lists_claims_past_their_target(claims_ready: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    from claims import selectors

    monkeypatch.setattr(dates, "business_today", lambda: date(2026, 6, 1))
    late = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    monkeypatch.setattr(dates, "business_today", lambda: date(2026, 6, 10))
    other = _second_member(claims_ready)
    fresh = claimkit.register(
        claims_ready.a.unit_agent,
        other,
        invoices=("INV-F",),
        admitted_on=date(2026, 6, 1),
        discharged_on=date(2026, 6, 5),
    )
    with org_scope(claims_ready.a.city):
        assert [c.pk for c in selectors.claim_list_overdue(office=claims_ready.a.city)] == [late.pk]
        summary = selectors.deadline_summary(office=claims_ready.a.city)
    assert (summary.running, summary.overdue, summary.past_limit) == (2, 1, 0)
    assert fresh.target_due_on >= date(2026, 6, 10)


# Payment ---------------------------------------------------------------------------------------


def test_a_batch_is_paid_through_its_payment_notifies_and_freezes_the_schedule(
    claims_ready: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    from finance.models import PaymentStatus
    from finance.services import payments

    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    finance = people.finance
    with org_scope(claims_ready.a.city, actor_id=finance.pk):
        batch = batch_create(actor=finance, claim_ids=[claim.pk])
        assert batch.total == Decimal("2080") and batch.claim_count == 1
    payment = claimkit.approve_payment(people, batch)
    assert payment.amount == Decimal("2080") and payment.plan == claims_ready.a.plan  # nothing typed
    with org_scope(claims_ready.a.city, actor_id=finance.pk):
        with pytest.raises(ValidationError):  # the transfer file has not gone to the bank yet
            payments.payment_mark_paid(actor=finance, payment=payment, paid_on=date(2026, 11, 2), bank_reference="R1")
        data = payments.payment_transfer_file(actor=finance, payment=payment)
        sheet = load_workbook(io.BytesIO(data)).active
        rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0] is not None]
        assert rows[2][3] == "6222020200112233445"
        assert rows[2][4] == 2080 and rows[-1][4] == 2080
        payment = payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        with caplog.at_level("INFO", logger="mutualaid.notify"), django_capture_on_commit():
            payment = payments.payment_mark_paid(  # the plan is pooled, the city's bank account empty: confirmed
                actor=finance,
                payment=payment,
                paid_on=date(2026, 11, 2),
                bank_reference="R1",
                overdraw_reason="理赔先行垫付",
            )
        with pytest.raises(ValidationError):  # settled once only
            batch_settle(actor=finance, batch=batch, paid_on=date(2026, 11, 2), bank_reference="R1")
    assert payment.status == PaymentStatus.PAID and payment.paid_on == date(2026, 11, 2)
    with unscoped():
        paid = Claim.objects.get(pk=claim.pk)
        schedule = BenefitSchedule.objects.get(period=claims_ready.a.period)
    assert paid.status == ClaimStatus.PAID and paid.paid_on == date(2026, 11, 2) and paid.notified_at
    sent = [r.getMessage() for r in caplog.records if r.name == "mutualaid.notify"]
    assert len(sent) == 1 and claim.number in sent[0] and "2,080.00" in sent[0]  # the one number format
    assert claims_ready.a.members[0]["phone"] not in sent[0]  # masked in the log
    assert schedule.frozen_at is not None
    with pytest.raises(ValidationError) as caught:
        claimkit.set_schedule(
            claims_ready.a.office_user, claims_ready.a.period, {**claimkit.SHAOXING, "daily_allowance": "30"}
        )
    assert "冻结" in str(caught.value)


def django_capture_on_commit():  # type: ignore[no-untyped-def]
    """Run on_commit callbacks at the end of the block, as a real commit would."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_a_claim_in_a_batch_cannot_be_batched_twice_and_others_pay_only_their_own(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    with org_scope(claims_ready.a.city, actor_id=people.finance.pk):
        batch_create(actor=people.finance, claim_ids=[claim.pk])
        with pytest.raises(ValidationError):
            batch_create(actor=people.finance, claim_ids=[claim.pk])
    province_finance = claimkit.reviewers(claims_ready.province, "p").finance
    with (
        org_scope(claims_ready.province, actor_id=province_finance.pk),
        pytest.raises((PermissionDenied, ValidationError)),
    ):
        batch_create(actor=province_finance, claim_ids=[claim.pk])


def test_a_callback_is_recorded_after_payment(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    with org_scope(claims_ready.a.city, actor_id=people.supervisor.pk), pytest.raises(ValidationError):
        claim_callback(actor=people.supervisor, claim=claim, outcome="satisfied")
    claimkit.pay(people, [claim])
    with org_scope(claims_ready.a.city, actor_id=people.supervisor.pk):
        claim_callback(actor=people.supervisor, claim=claim, outcome="satisfied", note="已到账")
    with unscoped():
        done = Claim.objects.get(pk=claim.pk)
    assert done.callback_outcome == "satisfied" and done.callback_by == people.supervisor


def test_a_failed_message_is_sent_again_by_the_retry_and_a_sent_one_never_twice(
    claims_ready: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mutualaid import notify

    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    claimkit.pay(people, [claim])  # in a test transaction the commit (and the task) never comes
    calls: list[str] = []

    def broken(**kwargs: object) -> bool:
        raise OSError("SMS gateway down")

    monkeypatch.setattr(notify, "send", broken)
    with org_scope(claims_ready.a.city), pytest.raises(OSError):
        claim_notify_paid(claim_ids=[claim.pk])
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).notified_at is None
    monkeypatch.setattr(notify, "send", lambda **kwargs: calls.append(str(kwargs["reference"])) or True)
    with org_scope(claims_ready.a.city):
        assert claim_notify_paid(claim_ids=[claim.pk]) == 1
        assert claim_notify_paid(claim_ids=[claim.pk]) == 0
    assert calls == [claim.number]


def test_a_flag_does_not_name_another_office_s_claim(claims_ready: Tree) -> None:
    ours = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    claims_ready.b.with_enrollment(200)
    claimkit.set_schedule(claims_ready.b.office_user, claims_ready.b.period)
    theirs = claimkit.register(claims_ready.b.unit_agent, claims_ready.b.enrollment)  # the same invoice number
    message = next(f["message"] for f in theirs.flags if f["code"] == "invoice_reused")
    assert ours.number not in message and "其他单位" in message
