"""Hand-offs over the API, with the browser's rules, and the way out when the office head is the
registrar and the only one who could override: the override passes to the office above."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.test import Client

from claims.models import Claim, ClaimStatus, ClaimStep, Level, StepAction
from claims.selectors import claim_list_nobody_can_take, claim_override_office_id
from mutualaid.models import User
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree

HANDOFF = "/api/v1/claims/{pk}/handoff/"
NOBODY = "/api/v1/claims/nobody-can-take/"


@pytest.fixture
def small(claims_ready: Tree) -> Tree:
    """City A with exactly one person per role (the office user holding every role is gone)."""
    with unscoped():
        user = claims_ready.a.office_user
        user.is_active = False
        user.save()
    return claims_ready


def _api(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _fresh(claim: Claim) -> Claim:
    with unscoped():
        return Claim.objects.select_related("review_office", "assignee").get(pk=claim.pk)


def _steps(claim: Claim) -> list[tuple[str, str, int]]:
    with unscoped():
        return list(ClaimStep.objects.filter(claim=claim).order_by("pk").values_list("level", "action", "actor_id"))


def _post(user: User, claim: Claim, **body: Any) -> Any:
    return _api(user).post(
        HANDOFF.format(pk=claim.pk), {"version": _fresh(claim).version, **body}, content_type="application/json"
    )


def _leave(user: User) -> None:
    with unscoped():
        user.is_active = False
        user.save()


def test_the_office_head_lists_the_stuck_claim_and_hands_it_on_over_the_api(small: Tree) -> None:
    people = small.a.reviewers
    stuck = claimkit.register(people.officer, small.a.enrollment)
    listed = _api(people.head).get(NOBODY)
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["number"] == stuck.number and row["waiting_level"] == "初审" and row["handed_to"] is None
    assert row["escalated"] is False
    # Nobody may decide the first review: a hand-off to the supervisor (who lacks the role) is refused.
    before = _steps(stuck)
    refused = _post(people.head, stuck, action="reassign", assignee=people.supervisor.pk)
    assert refused.status_code == 400 and "初审" in str(refused.json())
    assert _steps(stuck) == before
    done = _post(people.head, stuck, action="override", reason="本处只有一名理赔员")
    assert done.status_code == 200, done.json()
    assert done.json()["handed_to"] == people.head.pk and done.json()["overrides"] is True
    assert _steps(stuck)[-1] == (Level.FIRST, StepAction.OVERRIDE, people.head.pk)


def test_bad_hand_offs_are_refused_with_a_chinese_reason_and_change_nothing(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    before = (_steps(claim), _fresh(claim).version)
    empty = _post(people.head, claim, action="override", reason=" ")
    assert empty.status_code == 400 and "至少" in str(empty.json())
    no_one = _post(people.head, claim, action="reassign")
    assert no_one.status_code == 400 and "请选择" in str(no_one.json())
    stale = _api(people.head).post(
        HANDOFF.format(pk=claim.pk),
        {"version": 999, "action": "override", "reason": "本处只有一名理赔员"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    # The supervisor may hand on but not override; the officer may do neither.
    assert _post(people.supervisor, claim, action="override", reason="本处只有一名理赔员").status_code == 403
    assert _post(people.officer, claim, action="override", reason="本处只有一名理赔员").status_code == 403
    assert _api(people.officer).get(NOBODY).status_code == 403
    assert (_steps(claim), _fresh(claim).version) == before


def test_a_sibling_office_neither_sees_nor_hands_on_our_claims(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    stranger = small.b.office_user
    assert _post(stranger, claim, action="override", reason="不是我们的理赔").status_code == 404
    assert claim.number not in str(_api(stranger).get(NOBODY).json())
    assert _steps(claim)[-1][1] != StepAction.OVERRIDE


def test_the_handoff_endpoints_are_in_the_openapi_schema(small: Tree) -> None:
    schema = yaml.safe_load(_api(small.a.reviewers.head).get("/api/schema/").content)
    assert {"/api/v1/claims/{claim_pk}/handoff/", "/api/v1/claims/nobody-can-take/"} <= set(schema["paths"])


def test_a_claim_registered_by_the_only_office_head_is_escalated_to_the_office_above(small: Tree) -> None:
    """The rule: when every office head of the reviewing office acted on the claim at another
    level (here the head registered it) and nobody else may decide the level, the override
    passes to an office head of the office directly above, whose queue lists the claim."""
    people, province_head = small.a.reviewers, small.province_user
    _leave(people.officer)  # the only claims officer has left: nobody may take the first review
    claim = claimkit.register(people.head, small.a.enrollment)
    with org_scope(small.a.city):
        assert claim_override_office_id(claim=_fresh(claim)) == small.province.pk
        assert claim_list_nobody_can_take(office=small.a.city)[0].pk == claim.pk
    # The head cannot override a claim she registered: one person, one level.
    refused = _post(people.head, claim, action="override", reason="本处没有理赔员")
    assert refused.status_code == 403 and "受理" in str(refused.json())
    # The province's head sees it escalated, and decides the level after an override.
    listed = _api(province_head).get(NOBODY).json()
    assert [(row["number"], row["escalated"]) for row in listed] == [(claim.number, True)]
    done = _post(province_head, claim, action="override", reason="西安办事处唯一主任登记，省办代审")
    assert done.status_code == 200, done.json()
    page = _api(province_head).get(f"/claims/{claim.pk}/")
    assert page.status_code == 200 and 'name="action" value="pass"' in page.content.decode()
    review = _api(province_head).post(
        f"/api/v1/claims/{claim.pk}/review/",
        {"action": "pass", "version": _fresh(claim).version},
        content_type="application/json",
    )
    assert review.status_code == 200, review.json()
    assert _fresh(claim).status == ClaimStatus.SECOND_REVIEW
    assert _steps(claim)[-2:] == [
        (Level.FIRST, StepAction.OVERRIDE, province_head.pk),
        (Level.FIRST, StepAction.PASS, province_head.pk),
    ]
    # A sibling city's head gets nothing of it.
    assert claim.number not in str(_api(small.b.office_user).get(NOBODY).json())


def test_no_escalation_while_the_office_s_own_head_may_override(small: Tree) -> None:
    people = small.a.reviewers
    claim = claimkit.register(people.officer, small.a.enrollment)
    with org_scope(small.a.city):
        assert claim_override_office_id(claim=_fresh(claim)) == small.a.city.pk
    refused = _post(small.province_user, claim, action="override", reason="省办越级代审")
    assert refused.status_code == 403
    assert claim.number not in str(_api(small.province_user).get(NOBODY).json())
