"""Small staffing: an office with one person per role lives with the one-person-one-level rule
(the registrar is warned, the office head or supervisor hands a level on or the office head
decides it with a written reason, a queue shows what nobody can take), and the hand-off from a
claims batch to its payment (nothing typed, the transfer file only after approval, sending is a
POST)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimStatus, ClaimStep, Level, PaymentBatch, StepAction
from claims.selectors import claim_list, claim_list_nobody_can_take, level_candidates
from claims.services.handoff import claim_override, claim_reassign
from finance.models import PaymentRequest, PaymentStatus
from finance.services import payments
from mutualaid.models import User
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import UserFactory


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def small(claims_ready: Tree) -> Tree:
    """City A with exactly one person per role: the office user who holds every role is gone."""
    with unscoped():
        user = claims_ready.a.office_user
        user.is_active = False
        user.save()
    return claims_ready


def _fresh(claim: Claim) -> Claim:
    with unscoped():
        return Claim.objects.select_related("review_office", "assignee").get(pk=claim.pk)


def _register_form(tree: Tree) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        **claimkit.PAPERS,
        "id_number": tree.a.members[0]["id_number"],
        "enrollment": tree.a.enrollment.pk,
        "invoices": "INV0001",
        "account_number": "6222020200112233445",
        "doc_discharge": SimpleUploadedFile("出院小结.pdf", claimkit.pdf_scan()),
        "doc_invoice": SimpleUploadedFile("发票.pdf", claimkit.pdf_scan()),
        "doc_settlement": SimpleUploadedFile("结算单.pdf", claimkit.pdf_scan()),
    }


def _handoff(client: Client, claim: Claim, **data: object) -> object:
    url = reverse("claims:claim_handoff", kwargs={"claim_pk": claim.pk})
    return client.post(url, {"version": _fresh(claim).version, **data})


def _history(claim: Claim) -> list[tuple[str, str, int]]:
    with unscoped():
        return list(ClaimStep.objects.filter(claim=claim).order_by("pk").values_list("level", "action", "actor_id"))


# The warning at registration --------------------------------------------------------------------


def test_the_only_claims_officer_is_told_at_registration_who_can_act(small: Tree) -> None:
    officer = _login(small.a.reviewers.officer)
    response = officer.post(reverse("claims:claim_register"), _register_form(small), follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="claim-status"' in body
    assert "唯一的理赔员" in body and "代办处负责人" in body and small.a.reviewers.head.display_name in body
    assert "无人可审的理赔" in body


def test_no_warning_when_another_claims_officer_can_take_the_first_review(small: Tree) -> None:
    UserFactory(username="xa_officer2", display_name="第二理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER])
    officer = _login(small.a.reviewers.officer)
    body = officer.post(reverse("claims:claim_register"), _register_form(small), follow=True).content.decode()
    assert 'data-testid="claim-status"' in body and "唯一的理赔员" not in body


def test_an_agent_registering_gets_no_warning_about_the_office_s_staff(small: Tree) -> None:
    agent = _login(small.a.county_agent)
    body = agent.post(reverse("claims:claim_register"), _register_form(small), follow=True).content.decode()
    assert 'data-testid="claim-status"' in body and "无人能做初审" not in body and "唯一" not in body


# Handing a level on -----------------------------------------------------------------------------


def test_the_claim_page_lists_only_the_people_who_may_decide_the_level(small: Tree) -> None:
    people = small.a.reviewers
    second = UserFactory(
        username="xa_officer2", display_name="第二理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER]
    )
    claim = claimkit.register(people.officer, small.a.enrollment)
    with org_scope(small.a.city):
        assert [u.pk for u in level_candidates(claim=_fresh(claim))] == [second.pk]
    page = _login(people.head).get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    form = page[page.index('data-testid="handoff"') :]
    form = form[: form.index("</section>")]
    assert "第二理赔员" in form and people.officer.display_name not in form  # the registrar is not eligible
    assert people.supervisor.display_name not in form and people.compliance.display_name not in form
    # Someone may decide it: no override is offered.
    assert 'data-testid="override"' not in form
    # A claims officer may neither hand on nor see the form.
    other = _login(second).get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert 'data-testid="handoff"' not in other


def test_the_office_head_hands_the_level_on_and_only_that_person_decides_it(small: Tree) -> None:
    people = small.a.reviewers
    second = UserFactory(
        username="xa_officer2", display_name="第二理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER]
    )
    third = UserFactory(
        username="xa_officer3", display_name="第三理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER]
    )
    claim = claimkit.register(small.a.county_agent, small.a.enrollment)
    response = _handoff(_login(people.head), claim, action="reassign", assignee=second.pk)
    assert response.status_code == 302
    claim = _fresh(claim)
    assert claim.handed_to_id == second.pk and not claim.assignee_overrides
    assert _history(claim)[-1] == (Level.HANDOFF, StepAction.REASSIGN, people.head.pk)
    page = _login(people.head).get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert 'data-testid="handed-to"' in page and "第二理赔员" in page
    with pytest.raises(PermissionDenied, match="第二理赔员"):
        claimkit.act(third, claim)
    with org_scope(small.a.city):
        assert [c.pk for c in claim_list(queue="mine", actor=second)] == [claim.pk]
        assert [c.pk for c in claim_list(queue="mine", actor=third)] == []
    claim = claimkit.act(second, claim)
    assert claim.status == ClaimStatus.SECOND_REVIEW and claim.handed_to_id is None
    # Handing a level on is not acting at one: the head still signs the payment, the supervisor
    # who hands on may still review the second level.
    claim = claimkit.act(people.supervisor, claim)
    assert claim.status == ClaimStatus.FINAL_REVIEW


def test_the_supervisor_may_hand_on_but_not_override(small: Tree) -> None:
    people = small.a.reviewers
    second = UserFactory(
        username="xa_officer2", display_name="第二理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER]
    )
    claim = claimkit.register(people.officer, small.a.enrollment)
    assert _handoff(_login(people.supervisor), claim, action="reassign", assignee=second.pk).status_code == 302
    assert _fresh(claim).handed_to_id == second.pk
    lone = claimkit.register(
        people.officer,
        small.a.enrollment,
        invoices=("INV0099",),
        admitted_on=date(2026, 4, 1),
        discharged_on=date(2026, 4, 5),
    )
    before = _history(lone)
    refused = _handoff(_login(people.supervisor), lone, action="override", reason="本处只有一名理赔员")
    assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.content.decode()
    assert _history(lone) == before and _fresh(lone).handed_to_id is None


@pytest.mark.parametrize("who", ["registrar", "sibling_office", "wrong_role", "inactive", "not_a_number"])
def test_handing_on_to_someone_who_may_not_decide_is_400_with_a_chinese_message_and_changes_nothing(
    small: Tree, who: str
) -> None:
    people = small.a.reviewers
    gone = UserFactory(username="xa_gone", display_name="离职理赔员", org=small.a.city, roles=[Role.CLAIMS_OFFICER])
    with unscoped():
        gone.is_active = False
        gone.save()
    with unscoped():
        sibling = UserFactory(
            username="bj_officer", display_name="宝鸡理赔员", org=small.b.city, roles=[Role.CLAIMS_OFFICER]
        )
    target = {
        "registrar": people.officer.pk,
        "sibling_office": sibling.pk,
        "wrong_role": people.compliance.pk,
        "inactive": gone.pk,
        "not_a_number": "x",
    }[who]
    claim = claimkit.register(people.officer, small.a.enrollment)
    before, version = _history(claim), _fresh(claim).version
    response = _handoff(_login(people.head), claim, action="reassign", assignee=target)
    body = response.content.decode()
    assert response.status_code == 400
    assert "请从列表中选择" in body or "请选择" in body
    assert _history(claim) == before and _fresh(claim).version == version and _fresh(claim).assignee_id is None


def test_a_sibling_office_cannot_hand_on_our_claim(small: Tree) -> None:
    claim = claimkit.register(small.a.reviewers.officer, small.a.enrollment)
    with unscoped():
        stranger = UserFactory(username="bj_head", display_name="宝鸡主任", org=small.b.city, roles=[Role.OFFICE_HEAD])
    response = _handoff(_login(stranger), claim, action="override", reason="我来审批此理赔")
    assert response.status_code == 404
    assert _fresh(claim).assignee_id is None


# The office head's override --------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "太短了"])
def test_an_override_needs_a_written_reason_of_five_characters(small: Tree, reason: str) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    before = _history(claim)
    response = _handoff(_login(people.head), claim, action="override", reason=reason)
    assert response.status_code == 400 and "理由" in response.content.decode()
    assert _history(claim) == before and _fresh(claim).assignee_id is None


def test_no_override_while_someone_may_decide_the_level(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(small.a.county_agent, small.a.enrollment)  # the claims officer may review it
    response = _handoff(_login(people.head), claim, action="override", reason="我想亲自审批这一级")
    assert response.status_code == 400 and "交给" in response.content.decode()
    assert _fresh(claim).assignee_id is None


def test_the_override_never_lets_the_office_head_decide_two_levels(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    with org_scope(small.a.city, actor_id=people.head.pk):
        claim_override(actor=people.head, claim=_fresh(claim), version=_fresh(claim).version, reason="本处仅一名理赔员")
    with org_scope(small.a.city):
        assert [c.pk for c in claim_list(queue="mine", actor=people.head)] == [claim.pk]
    claim = claimkit.act(people.head, claim)
    assert claim.status == ClaimStatus.SECOND_REVIEW
    # The supervisor leaves: nobody may decide the second level, and the head decided the first.
    with unscoped():
        people.supervisor.is_active = False
        people.supervisor.save()
    with org_scope(small.a.city, actor_id=people.head.pk):
        current = _fresh(claim)
        with pytest.raises(PermissionDenied, match="初审"):
            claim_override(actor=people.head, claim=current, version=current.version, reason="主管离职无人复审")
    assert _fresh(claim).handed_to_id is None and _fresh(claim).status == ClaimStatus.SECOND_REVIEW


def test_the_override_head_decides_only_the_level_it_was_given_for(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    with org_scope(small.a.city, actor_id=people.head.pk):
        claim_override(actor=people.head, claim=_fresh(claim), version=_fresh(claim).version, reason="本处仅一名理赔员")
    with pytest.raises(PermissionDenied):  # the registrar still may not, now that the head decides
        claimkit.act(people.officer, claim)
    claim = claimkit.act(people.head, claim)
    with pytest.raises(PermissionDenied):  # at the second level the head holds no role and no override
        claimkit.act(people.head, claim)


# The queue of claims nobody can take ---------------------------------------------------------


def test_the_queue_lists_the_claims_nobody_can_take_until_someone_is_given_them(
    small: Tree, django_assert_max_num_queries: object
) -> None:
    people = small.a.reviewers
    stuck = claimkit.register(people.officer, small.a.enrollment)
    fine = claimkit.register(
        small.a.county_agent,
        small.a.enrollment,
        invoices=("INV0077",),
        admitted_on=date(2026, 4, 1),
        discharged_on=date(2026, 4, 5),
    )
    with org_scope(small.a.city):
        assert [c.pk for c in claim_list_nobody_can_take(office=small.a.city)] == [stuck.pk]
    head = _login(people.head)
    url = reverse("claims:nobody_can_take")
    page = head.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and stuck.number in body and fine.number not in body
    assert "无人可审的理赔" in body and f'href="{url}"' in body  # in the claims menu
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        head.get(url)
    # Decided by the head after an override: still listed, with who decides it.
    assert _handoff(head, stuck, action="override", reason="本处只有一名理赔员").status_code == 302
    assert "（特批）" in head.get(url).content.decode() or "特批" in head.get(url).content.decode()
    # A claims officer does not see the page; a sibling office's head sees nothing of ours.
    assert _login(people.officer).get(url).status_code == 403
    with unscoped():
        stranger = UserFactory(username="bj_head", display_name="宝鸡主任", org=small.b.city, roles=[Role.OFFICE_HEAD])
    theirs = _login(stranger).get(url)
    assert theirs.status_code == 200 and stuck.number not in theirs.content.decode()


# The journey of an office with one person per role ----------------------------------------------


def test_a_claim_registered_by_the_only_claims_officer_reaches_payment(small: Tree) -> None:
    people = small.a.reviewers
    officer = _login(people.officer)
    registered = officer.post(reverse("claims:claim_register"), _register_form(small), follow=True)
    assert "唯一的理赔员" in registered.content.decode()
    with unscoped():
        claim = Claim.objects.get()
    assert claim.status == ClaimStatus.FIRST_REVIEW
    # The registrar may not review it, and nobody else holds the role: it is in the head's queue.
    refused = officer.post(
        reverse("claims:claim_review", kwargs={"claim_pk": claim.pk}), {"version": claim.version, "action": "pass"}
    )
    assert refused.status_code == 302 and _fresh(claim).status == ClaimStatus.FIRST_REVIEW
    head = _login(people.head)
    assert claim.number in head.get(reverse("claims:nobody_can_take")).content.decode()
    page = head.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert 'data-testid="override"' in page
    assert _handoff(head, claim, action="override", reason="本处只有一名理赔员，由主任初审").status_code == 302
    page = head.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert 'data-testid="review"' in page and "本处只有一名理赔员，由主任初审" in page  # the reason in the history
    passed = head.post(
        reverse("claims:claim_review", kwargs={"claim_pk": claim.pk}),
        {"version": _fresh(claim).version, "action": "pass"},
    )
    assert passed.status_code == 302 and _fresh(claim).status == ClaimStatus.SECOND_REVIEW
    claim = claimkit.act(people.supervisor, claim)
    claim = claimkit.act(people.compliance, claim)
    assert claim.status == ClaimStatus.APPROVED
    batch = claimkit.pay(people, [claim])
    assert _fresh(claim).status == ClaimStatus.PAID and batch.total == claim.payout > 0
    levels = [(level, action) for level, action, _actor in _history(claim)]
    assert (Level.FIRST, StepAction.OVERRIDE) in levels and (Level.FIRST, StepAction.PASS) in levels


# Hand-offs between a claims batch and its payment ---------------------------------------------


def _batch(tree: Tree) -> tuple[Claim, int, Client]:
    people = tree.a.reviewers
    claim = claimkit.approve(people, claimkit.register(tree.a.county_agent, tree.a.enrollment))
    finance = _login(people.finance)
    response = finance.post(reverse("claims:batch_list"), {"claim": [claim.pk]})
    return claim, int(response["Location"].rstrip("/").split("/")[-1]), finance


def test_submitting_a_batch_for_approval_prepares_its_payment_with_the_batch_s_total(small: Tree) -> None:
    claim, batch_pk, finance = _batch(small)
    page = finance.get(reverse("claims:batch_detail", kwargs={"batch_pk": batch_pk})).content.decode()
    form = page[page.index('data-testid="batch-payment"') :]
    assert "2,080.00" in form and 'name="amount"' not in form  # nothing to type
    # A typed amount is not read: the payment is the batch's total.
    finance.post(reverse("finance:batch_payment", kwargs={"batch_pk": batch_pk}), {"amount": "1.00"})
    with unscoped():
        payment = PaymentRequest.objects.get(claims_batch_id=batch_pk)
    assert payment.amount == Decimal("2080") == _fresh(claim).payout and payment.status == PaymentStatus.PENDING
    assert payment.prepared_by_id == small.a.reviewers.finance.pk


def test_the_transfer_workbook_is_offered_after_approval_with_the_reason_before_and_never_a_500(small: Tree) -> None:
    people = small.a.reviewers
    _claim, batch_pk, finance = _batch(small)
    detail = reverse("claims:batch_detail", kwargs={"batch_pk": batch_pk})
    finance.post(reverse("finance:batch_payment", kwargs={"batch_pk": batch_pk}))
    with unscoped():
        payment = PaymentRequest.objects.get(claims_batch_id=batch_pk)
    page = finance.get(detail).content.decode()
    assert 'data-testid="transfer-link"' not in page and "审批通过后，才能下载银行代发明细表" in page
    transfer = reverse("finance:payment_transfer", kwargs={"payment_pk": payment.pk})
    early = finance.get(transfer, follow=True)
    assert early.status_code == 200 and "审批通过后，才能生成银行代发明细表" in early.content.decode()
    for approver in (people.head, people.finance_head, people.leader):
        with org_scope(approver.org, actor_id=approver.pk):
            payments.payment_approve(actor=approver, payment=payment, version=payment.version)
            payment.refresh_from_db()
    page = finance.get(detail).content.decode()
    assert 'data-testid="transfer-link"' in page and "下载银行代发明细表" in page


def test_marking_the_transfer_sent_is_a_post_and_a_get_changes_nothing(small: Tree) -> None:
    people = small.a.reviewers
    _claim, batch_pk, finance = _batch(small)
    with unscoped():
        batch = PaymentBatch.objects.get(pk=batch_pk)
    payment = claimkit.approve_payment(people, batch)
    url = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
    assert finance.get(url, {"action": "sent", "version": payment.version}).status_code == 200
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == PaymentStatus.APPROVED
    page = finance.get(reverse("claims:batch_detail", kwargs={"batch_pk": batch_pk})).content.decode()
    mark = page[page.index('data-testid="mark-sent"') - 400 : page.index('data-testid="mark-sent"')]
    assert 'method="post"' in mark
    finance.post(url, {"action": "sent", "version": payment.version, "back": "batch"})
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == PaymentStatus.SENT


def test_the_services_refuse_bad_hand_offs_with_a_reason(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    with org_scope(small.a.city, actor_id=people.officer.pk):
        current = _fresh(claim)
        with pytest.raises(PermissionDenied):  # a claims officer may not hand levels on
            claim_reassign(actor=people.officer, claim=current, version=current.version, assignee_id=people.head.pk)
    with org_scope(small.a.city, actor_id=people.head.pk), pytest.raises(ValidationError):  # a stale page
        claim_override(actor=people.head, claim=current, version=current.version - 1, reason="本处只有一人")
