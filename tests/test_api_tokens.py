"""An API token is one factor: an approver's token cannot approve (issue 14, SECURITY.md "Login
and sessions"). The approving permissions are left out for a request that came in by a token of
an account holding an approving role, whatever the endpoint; API clients keep everything."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from claims.models import Claim
from mutualaid.roles import APPROVAL_PERMISSIONS, Role, two_factor_roles
from mutualaid.tenancy import org_scope
from tests import claimkit
from tests.conftest import Tree
from tests.factories import UserFactory


def _token_client(user: object) -> Client:
    token, _created = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _claim(tree: Tree) -> Claim:
    return claimkit.register(tree.a.unit_agent, tree.a.enrollment)


def test_an_approvers_token_cannot_review_a_claim_but_its_session_can(claims_ready: Tree) -> None:
    tree = claims_ready
    officer = tree.a.reviewers.officer
    claim = _claim(tree)
    url = f"/api/v1/claims/{claim.pk}/review/"
    body = {"action": "pass", "version": claim.version}

    for action in ("pass", "return", "reject"):
        refused = _token_client(officer).post(url, {**body, "action": action}, content_type="application/json")
        assert refused.status_code == 403
        assert "令牌" in refused.json()["detail"] and "第二" in refused.json()["detail"]
    with org_scope(tree.a.city):
        assert Claim.objects.get(pk=claim.pk).version == claim.version  # nothing moved

    # The token still reads: the claim and the list.
    reader = _token_client(officer)
    assert reader.get(f"/api/v1/claims/{claim.pk}/").status_code == 200
    assert reader.get("/api/v1/claims/").status_code == 200

    # The same person, signed in with password and code, passes it through the same endpoint.
    session = Client()
    session.force_login(officer)
    assert session.post(url, body, content_type="application/json").status_code == 200


def test_the_office_user_with_every_role_cannot_approve_by_token(claims_ready: Tree) -> None:
    tree = claims_ready
    claim = _claim(tree)
    response = _token_client(tree.a.office_user).post(
        f"/api/v1/claims/{claim.pk}/review/",
        {"action": "pass", "version": claim.version},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_an_api_client_token_keeps_working(claims_ready: Tree) -> None:
    """The provincial office's machine account registers claims and reads everything it did."""
    tree = claims_ready
    machine = UserFactory(username="xa_machine", org=tree.a.city, roles=[Role.API_CLIENT])
    assert Role.API_CLIENT not in two_factor_roles()
    client = _token_client(machine)
    for url in ["/api/v1/me/", "/api/v1/claims/", "/api/v1/enrollments/", "/api/v1/policies/"]:
        assert client.get(url).status_code == 200, url
    body = {
        "enrollment": tree.a.enrollment.pk,
        "care_type": "inpatient",
        "admitted_on": "2026-03-02",
        "discharged_on": "2026-03-05",
        "hospital": "医院",
        "diagnosis": "诊断",
        "total_cost": "10000.00",
        "insurance_paid": "6000.00",
        "deductible_part": "500.00",
        "self_paid": "3000.00",
        "not_covered": "500.00",
        "invoices": ["TOKEN-1"],
        "payee_name": "收款人",
        "bank_name": "银行",
        "account_number": "6222000011112222",
    }
    assert client.post("/api/v1/claims/", body, content_type="application/json").status_code == 201


@pytest.mark.parametrize("role", sorted(role.value for role in two_factor_roles()))
def test_every_approving_permission_is_left_out_for_an_approvers_token(tree: Tree, role: str) -> None:
    """Not only the review endpoint of today: any service that checks an approving permission
    (require_permission) refuses a token's approver, so an endpoint added later cannot forget it."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from mutualaid.drf import ScopedTokenAuthentication
    from mutualaid.roles import require_permission

    user = UserFactory(username=f"xa_{role}", org=tree.a.city, roles=[role])
    key = Token.objects.create(user=user).key
    request = Request(RequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}"))
    authenticated, _token = ScopedTokenAuthentication().authenticate(request) or (None, None)
    held = [perm for perm in APPROVAL_PERMISSIONS if user.has_perm(perm)]
    assert held, f"{role} approves nothing by session"
    for perm in held:
        assert not authenticated.has_perm(perm), perm
        with pytest.raises(Exception, match="令牌"):
            require_permission(authenticated, perm)
