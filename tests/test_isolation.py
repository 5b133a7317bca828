"""Walks every URL pattern and API route as staff of a sibling office.

For each route, the URL is filled with city A's objects and requested by city B's staff (who
hold every office role, so permissions cannot hide a scoping bug), by session and by API token,
with every HTTP verb. Nothing of city A may come back: an object route answers 403/404, a list
route must not show any of city A's names, codes or accounts, and nothing may be written.

A route whose URL takes an argument this walk does not know fails the test: add the argument
to `OBJECT_KWARGS` with the model whose foreign instance it should receive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from mutualaid.models import Organisation, User
from mutualaid.tenancy import unscoped
from tests.conftest import City, Tree

# URL argument -> how to find city A's instance for it.
OBJECT_KWARGS: dict[str, str] = {
    "org_pk": "county",  # a node inside city A
    "user_pk": "county_agent",  # an account inside city A
    "plan_pk": "plan",  # city A's own plan
    "list_pk": "member_list",  # an approved member list of city A's unit
    "policy_pk": "policy",  # its policy
    "job_pk": "card_job",  # a finished card-printing job of city A
    "enrollment_pk": "enrollment",  # one of city A's members
    "period_pk": "period",  # city A's plan period (its benefit schedule)
    "claim_pk": "claim",  # a paid claim of city A's member
    "document_pk": "document",  # one of its scanned documents
    "batch_pk": "batch",  # the payment batch that paid it
    "entry_pk": "entry",  # the agent point's ledger entry for the policy
    "remittance_pk": "remittance",  # the agent point's report of last month
    "payment_pk": "payment",  # the approved payment of the claims batch
    "statement_pk": "statement",  # an imported bank statement of city A's dedicated account
    "snapshot_pk": "snapshot",  # city A's frozen figures of last month
    "export_pk": "export_job",  # a finished export of city A's rankings
}
FIXED_KWARGS = {"version": "v1", "action": "approve", "document": "cards.pdf"}
# Namespaces and routes outside the walk, each for a stated reason.
SKIPPED_NAMESPACES = {"admin"}  # superusers only; tested in test_admin_is_for_superusers_only
SKIPPED_ROUTES = {"set_language"}  # sets a cookie; reads no data (tested in test_i18n)
VERBS = ["get", "post", "put", "patch", "delete"]


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, prefix, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_ROUTES:
            kwargs = tuple(sorted(entry.pattern.regex.groupindex))
            yield Route(f"{namespace}:{entry.name}" if namespace else entry.name, kwargs)


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        # Included patterns carry their parent's arguments (the API's version) in the full regex.
        full = get_resolver().reverse_dict.getlist(route.name.split(":")[-1])
        names = set(route.kwargs)
        for _possibility, pattern, _defaults, _converters in full:
            names |= set(re.compile(pattern).groupindex)
        routes[route.name] = Route(route.name, tuple(sorted(names)))
    return sorted(routes.values(), key=lambda r: r.name)


def _url(route: Route, city: City) -> str:
    kwargs: dict[str, Any] = {}
    for name in route.kwargs:
        if name in FIXED_KWARGS:
            kwargs[name] = FIXED_KWARGS[name]
        elif name in OBJECT_KWARGS:
            kwargs[name] = getattr(city, OBJECT_KWARGS[name]).pk
        else:
            pytest.fail(f"Route {route.name} takes '{name}', unknown to the isolation walk: add it to OBJECT_KWARGS.")
    return reverse(route.name, kwargs=kwargs)


def _forged_body(city: City) -> dict[str, Any]:
    """Form and API fields pointing at city A's rows, as a forger would send them."""
    return {
        "parent": city.county.pk,
        "org": city.city.pk,
        "org_id": city.city.pk,
        "kind": "unit",
        "code": "FORGED1",
        "name": "伪造单位",
        "headcount": 10,
        "username": "forged_user",
        "display_name": "伪造",
        "roles": ["unit_agent"],
        "password": "Forged-Passw0rd!",
        "user": city.county_agent.pk,
        # A claim for city A's member, and actions on city A's claim and batch.
        "enrollment": city.enrollment.pk,
        "claim": city.claim.pk,
        "action": "pass",
        "version": city.claim.version,
        "reason": "伪造",
        "care_type": "inpatient",
        "admitted_on": "2026-03-02",
        "discharged_on": "2026-03-05",
        "hospital": "伪造医院",
        "diagnosis": "伪造",
        "total_cost": "100.00",
        "insurance_paid": "0",
        "deductible_part": "0",
        "self_paid": "100.00",
        "not_covered": "0",
        "invoices": "FORGED-INV",
        "payee_name": "伪造",
        "bank_name": "伪造银行",
        "account_number": "6222000011112222",
        "paid_on": "2026-11-01",
        "bank_reference": "FORGED",
        "outcome": "satisfied",
        "rules": "{}",
        # Finance: a receipt, a remittance and a payment of city A's.
        "policy": city.policy.pk,
        "received_on": "2026-11-01",
        "month": "2026-10",
        "amount": "100.00",
        "remitted_on": "2026-11-01",
        "plan": city.plan.pk,
        "payee": "伪造",
        "purpose": "伪造",
        "claims_batch": city.batch.pk,
    }


def _counts() -> tuple[object, ...]:
    from claims.models import BenefitSchedule, Claim, ClaimDocument, ClaimSettings, OfficeDay, PaymentBatch
    from enrollment.models import Enrollment, MemberList, Period, Plan, Policy
    from finance.models import BankLine, BankStatement, JournalEntry, PaymentApproval, PaymentRequest, Remittance
    from reporting.models import ExportJob, Snapshot, Target

    with unscoped():
        return (
            JournalEntry.objects.count(),
            tuple(Remittance.objects.order_by("pk").values_list("status", "amount_remitted")),
            tuple(PaymentRequest.objects.order_by("pk").values_list("status", "version")),
            PaymentApproval.objects.count(),
            BankStatement.objects.count(),
            Snapshot.objects.count(),
            Target.objects.count(),
            ExportJob.objects.count(),
            tuple(BankLine.objects.order_by("pk").values_list("matched_id", flat=True)),
            tuple(Claim.objects.order_by("pk").values_list("status", "version", "callback_at")),
            ClaimDocument.objects.count(),
            tuple(PaymentBatch.objects.order_by("pk").values_list("status", "exported_at")),
            tuple(BenefitSchedule.objects.order_by("pk").values_list("version", flat=True)),
            ClaimSettings.objects.count(),
            OfficeDay.objects.count(),
            Organisation.objects.count(),
            User.auth_objects.count(),
            tuple(User.auth_objects.order_by("pk").values_list("is_active", flat=True)),
            Plan.objects.count(),
            Period.objects.count(),
            tuple(MemberList.objects.order_by("pk").values_list("status", flat=True)),
            Policy.objects.count(),
            Enrollment.objects.count(),
        )


def _assert_no_leak(body: str, secrets: list[str], where: str) -> None:
    leaked = [s for s in secrets if s in body]
    assert not leaked, f"{where} leaked {leaked}"


def test_the_walk_covers_the_core_routes() -> None:
    names = {r.name for r in all_routes()}
    assert {"home", "org_tree", "org_detail", "user_list", "audit_list", "api_org_list", "api_org_detail"} <= names


@pytest.mark.parametrize("route", all_routes(), ids=lambda r: r.name)
def test_a_sibling_office_gets_nothing_of_ours(enrolled_tree: Tree, route: Route) -> None:
    tree = enrolled_tree
    ours, stranger = tree.a, tree.b.office_user
    url = _url(route, ours)
    token = Token.objects.create(user=stranger).key
    before = _counts()
    for auth in ("session", "token"):
        for verb in VERBS:
            client = Client()
            headers: dict[str, str] = {}
            if auth == "session":
                client.force_login(stranger)
            else:
                headers["Authorization"] = f"Token {token}"
            body = _forged_body(ours)
            send = getattr(client, verb)
            if verb == "get":
                response = send(url, headers=headers)
            elif verb == "post":
                response = send(url, body, headers=headers)
            else:
                response = send(url, body, content_type="application/json", headers=headers)
            where = f"{verb.upper()} {url} ({auth})"
            assert response.status_code < 500, where
            if route.kwargs and set(route.kwargs) - set(FIXED_KWARGS):
                to_login = response.status_code == 302 and response["Location"].startswith(reverse("login"))
                assert to_login or response.status_code in {401, 403, 404, 405}, f"{where}: {response.status_code}"
            content = b"".join(response.streaming_content) if response.streaming else response.content
            _assert_no_leak(content.decode("utf-8", "replace"), ours.secrets(), where)
    assert _counts() == before, f"{route.name}: a request from the sibling office wrote something"


@pytest.mark.parametrize("route", [r for r in all_routes() if set(r.kwargs) - set(FIXED_KWARGS)], ids=lambda r: r.name)
def test_the_owner_reaches_the_same_urls(enrolled_tree: Tree, route: Route) -> None:
    """The control: the walk above would notice a leak, because the owner does get through."""
    tree = enrolled_tree
    client = Client()
    client.force_login(tree.a.office_user)
    response = client.get(_url(route, tree.a))
    if response.status_code == 405:  # POST-only actions
        return
    assert response.status_code == 200, route.name
    if response.get("Content-Type", "").startswith("text/html"):
        assert any(secret in response.content.decode() for secret in tree.a.secrets()), route.name


def test_the_province_reads_a_city_but_a_county_does_not_read_its_city(tree: Tree) -> None:
    url = reverse("org_detail", kwargs={"org_pk": tree.a.city.pk})
    client = Client()
    client.force_login(tree.province_user)
    assert client.get(url).status_code == 200
    client.force_login(tree.a.county_agent)
    assert client.get(url).status_code in {403, 404}


def test_a_unit_agent_sees_only_its_unit(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.unit_agent)
    response = client.get(reverse("api_org_list", kwargs={"version": "v1"}))
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [tree.a.unit.code]


def test_admin_is_for_superusers_only(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.b.office_user)
    response = client.get("/admin/mutualaid/organisation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
