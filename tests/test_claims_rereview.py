"""A pass covers what the reviewer saw: a figure or a document changed after a pass sends the
claim back to the first level, the passes before no longer count, and the history says what
changed (issue 14: an agent raised a claim's payout after the first-level pass)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims.models import Claim, ClaimStatus
from claims.services.documents import claim_add_documents
from claims.services.registration import claim_amend
from mutualaid.models import User
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import UserFactory


def _amend(actor: User, claim: Claim, **changes: object) -> Claim:
    with org_scope(actor.org, actor_id=actor.pk):
        current = Claim.objects.get(pk=claim.pk)
        return claim_amend(actor=actor, claim=current, version=current.version, figures=claimkit.figures(**changes))


def _history(claim: Claim) -> list[tuple[str, str, str]]:
    with unscoped():
        return list(claim.steps.order_by("pk").values_list("level", "action", "note"))


def test_a_change_of_figures_after_a_pass_sends_the_claim_back_to_the_first_level(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    agent = claims_ready.a.unit_agent
    claim = claimkit.act(people.officer, claimkit.register(agent, claims_ready.a.enrollment))
    assert claim.status == ClaimStatus.SECOND_REVIEW and claim.payout == Decimal("2080")
    clock = (claim.documents_complete_on, claim.target_due_on, claim.limit_due_on)

    # The red team's move: the agent raises the self-paid amount and the total after the pass.
    claim = _amend(agent, claim, self_paid=Decimal("10287.99"), total_cost=Decimal("18000.00"))
    assert claim.payout == Decimal("8480")
    assert claim.status == ClaimStatus.FIRST_REVIEW  # the first pass never saw these figures
    assert (claim.documents_complete_on, claim.target_due_on, claim.limit_due_on) == clock  # the clock runs on
    amended, reopened = _history(claim)[-2:]
    assert amended[:2] == ("intake", "amend")
    assert "2,287.99 → 10,287.99" in amended[2] and "10,000.00 → 18,000.00" in amended[2]
    assert "2,080.00 → 8,480.00" in amended[2]
    assert reopened[:2] == ("intake", "reopen")

    with pytest.raises(PermissionDenied):  # the second level cannot pass what the first has not seen
        claimkit.act(people.supervisor, claim)
    claim = claimkit.approve(people, claim)  # the same people pass again, each at their level
    assert claim.status == ClaimStatus.APPROVED and claim.payout == Decimal("8480")


def test_the_claim_page_shows_what_changed_after_a_pass(claims_ready: Tree) -> None:
    from django.test import Client
    from django.urls import reverse

    people = claims_ready.a.reviewers
    claim = claimkit.act(people.officer, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    _amend(claims_ready.a.unit_agent, claim, self_paid=Decimal("10287.99"), total_cost=Decimal("18000.00"))
    client = Client()
    client.force_login(people.supervisor)
    page = client.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    history = page.split('data-testid="history"', 1)[1]
    assert "已退回初审" in history and "2,287.99 → 10,287.99" in history and "待初审" in page


def test_a_document_added_after_a_pass_sends_the_claim_back_to_the_first_level(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    agent = claims_ready.a.unit_agent
    claim = claimkit.register(agent, claims_ready.a.enrollment)
    claim = claimkit.act(people.supervisor, claimkit.act(people.officer, claim))
    assert claim.status == ClaimStatus.FINAL_REVIEW
    with org_scope(agent.org, actor_id=agent.pk):
        claim = claim_add_documents(actor=agent, claim=claim, documents=[claimkit.upload("other", name="补充发票.pdf")])
    assert claim.status == ClaimStatus.FIRST_REVIEW
    added, reopened = _history(claim)[-2:]
    assert added[1] == "documents" and "补充发票.pdf" in added[2]
    assert reopened[1] == "reopen"
    with pytest.raises(PermissionDenied):
        claimkit.act(people.compliance, claim)
    assert claimkit.approve(people, claim).status == ClaimStatus.APPROVED


def test_a_change_before_any_pass_keeps_the_claim_where_it_is(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    claim = _amend(claims_ready.a.unit_agent, claim, hospital="西安市第二医院")
    assert claim.status == ClaimStatus.FIRST_REVIEW
    assert [action for _level, action, _note in _history(claim)] == ["register", "amend"]
    with pytest.raises(ValidationError) as caught:  # the same figures again change nothing
        _amend(claims_ready.a.unit_agent, claim, hospital="西安市第二医院")
    assert "没有改动" in " ".join(caught.value.messages)
    assert claimkit.act(people.officer, claim).status == ClaimStatus.SECOND_REVIEW


def test_one_person_one_level_holds_within_each_round_and_intake_in_every_round(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    agent = claims_ready.a.unit_agent
    both = UserFactory(
        username="xa_both_levels", org=claims_ready.a.city, roles=["claims_officer", "claims_supervisor"]
    )
    claim = claimkit.register(agent, claims_ready.a.enrollment)
    claim = claimkit.act(both, claimkit.act(people.officer, claim))  # round 1: `both` passes the second level
    claim = _amend(agent, claim, not_covered=Decimal("12.01"), total_cost=Decimal("9900.00"))
    assert claim.status == ClaimStatus.FIRST_REVIEW
    claim = claimkit.act(both, claim)  # round 2: the earlier pass no longer counts, `both` takes the first
    with pytest.raises(PermissionDenied) as caught:  # ... and may not take the second as well
        claimkit.act(both, claim)
    assert "一个环节" in str(caught.value)
    claim = claimkit.act(people.supervisor, claim)
    assert claimkit.act(people.compliance, claim).status == ClaimStatus.APPROVED

    # Whoever entered the papers never reviews them, in any round.
    head = claims_ready.a.office_user
    other = claimkit.register(head, claims_ready.a.enrollment, invoices=("INV0002",), admitted_on=claim.discharged_on)
    other = claimkit.act(people.officer, other)
    other = _amend(agent, other, invoices=("INV0002", "INV0003"), admitted_on=claim.discharged_on)
    with pytest.raises(PermissionDenied):
        claimkit.act(head, other)


def test_a_claim_in_a_payment_batch_can_no_longer_change(claims_ready: Tree) -> None:
    """What the payment's approvers sign (the batch's total) cannot move under them."""
    from claims.services.payment import batch_create

    people = claims_ready.a.reviewers
    agent = claims_ready.a.unit_agent
    claim = claimkit.approve(people, claimkit.register(agent, claims_ready.a.enrollment))
    with org_scope(people.finance.org, actor_id=people.finance.pk):
        batch = batch_create(actor=people.finance, claim_ids=[claim.pk])
    with pytest.raises(ValidationError):
        _amend(agent, claim, self_paid=Decimal("10287.99"), total_cost=Decimal("18000.00"))
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError):
        claim_add_documents(actor=agent, claim=Claim.objects.get(pk=claim.pk), documents=[claimkit.upload("other")])
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).payout == Decimal("2080")
        batch.refresh_from_db()
    assert batch.total == Decimal("2080")


def test_the_clerk_is_told_when_a_change_sends_the_claim_back(claims_ready: Tree) -> None:
    from django.contrib.messages import get_messages
    from django.test import Client
    from django.urls import reverse

    people = claims_ready.a.reviewers
    claim = claimkit.act(people.officer, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    client = Client()
    client.force_login(claims_ready.a.unit_agent)
    url = reverse("claims:claim_amend", kwargs={"claim_pk": claim.pk})
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    # A thousand yuan more self-paid, and the total with it (the parts must add up).
    data.update(
        self_paid=str(Decimal(str(data["self_paid"])) + 1000),
        total_cost=str(Decimal(str(data["total_cost"])) + 1000),
        version=claim.version,
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("退回初审" in text for text in said), said
