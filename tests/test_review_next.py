"""After a review decision the reviewer lands on the next claim waiting for them at the same
level (earliest target date first), or on their queue when none is left, with a message."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from mutualaid.models import User
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.conftest import Tree


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _review(client: Client, claim: Claim, action: str = "pass") -> tuple[str, list[str]]:
    with unscoped():
        version = Claim.objects.get(pk=claim.pk).version
    response = client.post(
        reverse("claims:claim_review", kwargs={"claim_pk": claim.pk}), {"version": version, "action": action}
    )
    assert response.status_code == 302
    return response["Location"], [str(m) for m in get_messages(response.wsgi_request)]


def test_the_reviewer_goes_on_to_the_next_claim_at_their_level_then_to_their_queue(claims_ready: Tree) -> None:
    city = claims_ready.a
    people = city.reviewers
    first = claimkit.register(city.unit_agent, city.enrollment)
    second = claimkit.register(city.unit_agent, city.enrollment, invoices=("XA-INV-2",))
    officer = _login(people.officer)

    where, said = _review(officer, first)
    assert where == reverse("claims:claim_detail", kwargs={"claim_pk": second.pk})
    assert any(first.number in text and second.number in text for text in said), said

    where, said = _review(officer, second)
    assert where == reverse("claims:claim_list") + "?queue=mine"
    assert any(second.number in text for text in said), said
    with unscoped():
        assert set(Claim.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
            ClaimStatus.SECOND_REVIEW
        }


def test_the_next_claim_is_one_the_reviewer_may_take_at_the_level_they_acted_at(claims_ready: Tree) -> None:
    """The supervisor passes a claim at the second level: a claim still at the first level, or one
    at the second level that they passed at the first, is not offered next."""
    city = claims_ready.a
    people = city.reviewers
    at_second = claimkit.register(city.unit_agent, city.enrollment)
    claimkit.act(people.officer, at_second)
    claimkit.register(city.unit_agent, city.enrollment, invoices=("XA-INV-3",))  # waits at the first level
    supervisor = _login(people.supervisor)
    where, _said = _review(supervisor, at_second)
    assert where == reverse("claims:claim_list") + "?queue=mine"


def test_a_refused_decision_stays_on_the_claim(claims_ready: Tree) -> None:
    city = claims_ready.a
    claim = claimkit.register(city.unit_agent, city.enrollment)
    claimkit.register(city.unit_agent, city.enrollment, invoices=("XA-INV-4",))
    supervisor = _login(city.reviewers.supervisor)  # not their level
    where, said = _review(supervisor, claim)
    assert where == reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})
    assert said and not any("下一件" in text for text in said)
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.FIRST_REVIEW


def test_another_office_s_claim_is_never_offered_next(claims_ready: Tree) -> None:
    """City B's officer-to-be sees nothing of city A: the next claim comes from the reviewer's own
    queue, which is scoped to their office."""
    city = claims_ready.a
    first = claimkit.register(city.unit_agent, city.enrollment)
    officer = _login(city.reviewers.officer)
    where, _said = _review(officer, first)
    assert where == reverse("claims:claim_list") + "?queue=mine"
