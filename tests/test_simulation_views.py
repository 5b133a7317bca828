"""The proposals' pages and API: drafting, editing with the schedule's checks, simulating,
comparing (page, xlsx, PDF), adopting; another office's proposal answers 404."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from mutualaid.tenancy import unscoped
from reporting.models import Proposal, SimulationRun
from tests.conftest import Tree
from tests.test_simulation import BANDS, banded  # noqa: F401 # the fixture


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(client: Client, tree: Tree, name: str, ratio: str, premium: str = "50.00") -> Proposal:
    response = client.post(reverse("reporting:proposals"), {"plan": tree.a.plan.pk, "name": name})
    assert response.status_code == 302
    with unscoped():
        proposal = Proposal.objects.get(name=name)
    rules = {**BANDS, "segments": [{"upto": "10000", "ratio": ratio}, {"upto": None, "ratio": "0.5"}]}
    response = client.post(
        reverse("reporting:proposal", kwargs={"proposal_pk": proposal.pk}),
        {
            "action": "save",
            "version": proposal.version,
            "name": name,
            "premium_per_share": premium,
            "subsidy_kind": "none",
            "subsidy_amount": "0",
            "rules": json.dumps(rules),
        },
    )
    assert response.status_code == 302, response.content.decode()
    with unscoped():
        return Proposal.objects.get(pk=proposal.pk)


def _simulate(client: Client, tree: Tree, proposal: Proposal, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reporting:proposal", kwargs={"proposal_pk": proposal.pk}),
            {"action": "simulate", "periods": [tree.a.period.pk], "years": "2"},
        )
    assert response.status_code == 302


def test_an_office_drafts_simulates_compares_and_adopts(banded: Tree, django_capture_on_commit_callbacks: Any) -> None:  # noqa: F811
    client = _client(banded.a.office_user)
    first = _draft(client, banded, "方案一", "0.4")
    second = _draft(client, banded, "方案二", "0.35", premium="55.00")
    for proposal in (first, second):
        _simulate(client, banded, proposal, django_capture_on_commit_callbacks)
    page = client.get(reverse("reporting:proposal", kwargs={"proposal_pk": first.pk})).content.decode()
    assert "500.00" in page and "甲XA西安区代办点" in page
    url = reverse("reporting:proposal_compare") + f"?p={first.pk}&p={second.pk}"
    compare = client.get(url)
    assert compare.status_code == 200
    text = compare.content.decode()
    assert "方案一" in text and "方案二" in text and "250.00" in text  # 方案二: +114.40 − 114.40 + 250.00
    book = load_workbook(io.BytesIO(client.get(url + "&export=xlsx").content))
    sheet = book.active
    assert sheet.cell(3, 2).value == "方案一" and sheet.cell(3, 3).value == "方案二"
    pdf = client.get(url + "&export=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    response = client.post(
        reverse("reporting:proposal", kwargs={"proposal_pk": first.pk}),
        {"action": "adopt", "label": "2027年度", "meeting": "2026年第12次主任办公会", "decided_on": "2026-12-01"},
    )
    assert response.status_code == 302
    with unscoped():
        adopted = Proposal.objects.get(pk=first.pk)
    assert adopted.adopted_period is not None and adopted.adopted_period.label == "2027年度"


def test_four_proposals_cannot_be_compared_at_once(banded: Tree) -> None:  # noqa: F811
    client = _client(banded.a.office_user)
    response = client.get(reverse("reporting:proposal_compare") + "?p=1&p=2&p=3&p=4")
    assert response.status_code == 400 and "最多" in response.content.decode()


def test_a_draft_that_does_not_validate_is_named_and_not_stored(banded: Tree) -> None:  # noqa: F811
    client = _client(banded.a.office_user)
    proposal = _draft(client, banded, "方案一", "0.4")
    response = client.post(
        reverse("reporting:proposal", kwargs={"proposal_pk": proposal.pk}),
        {"action": "save", "version": proposal.version, "name": "方案一", "premium_per_share": "abc", "rules": "{"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "JSON" in body and "premium_per_share" in body
    with unscoped():
        assert Proposal.objects.get(pk=proposal.pk).version == proposal.version


def test_another_office_gets_404_for_a_proposal(banded: Tree, tree: Tree) -> None:  # noqa: F811
    client = _client(banded.a.office_user)
    proposal = _draft(client, banded, "方案一", "0.4")
    stranger = _client(tree.b.office_user)
    assert stranger.get(reverse("reporting:proposal", kwargs={"proposal_pk": proposal.pk})).status_code == 404
    compare = stranger.get(reverse("reporting:proposal_compare") + f"?p={proposal.pk}")
    assert "方案一" not in compare.content.decode()


def test_the_api_creates_a_proposal_starts_a_simulation_and_reads_its_result(
    banded: Tree,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    token = Token.objects.create(user=banded.a.office_user).key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    rules = {**BANDS, "segments": [{"upto": "10000", "ratio": "0.4"}, {"upto": None, "ratio": "0.5"}]}
    created = api.post(
        "/api/v1/reporting/proposals/",
        {"plan": banded.a.plan.pk, "name": "接口方案", "rules": rules, "premium_per_share": "60.00"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content.decode()
    proposal = created.json()
    assert proposal["rules"]["segments"][0]["ratio"] == "0.4" and proposal["premium_per_share"] == "60.00"
    bad = api.post(
        "/api/v1/reporting/proposals/",
        {"plan": banded.a.plan.pk, "name": "坏方案", "rules": {"segments": [{"upto": None, "ratio": "2"}]}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "rules" in bad.json()
    with unscoped():
        assert not Proposal.objects.filter(name="坏方案").exists()
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            f"/api/v1/reporting/proposals/{proposal['id']}/simulations/",
            {"periods": [banded.a.period.pk], "years": 1},
            content_type="application/json",
        )
    assert started.status_code == 202, started.content.decode()
    result = api.get(f"/api/v1/reporting/simulations/{started.json()['id']}/").json()
    assert result["status"] == "done" and result["results"]["total"]["difference"] == "500.00"
    with unscoped():
        assert SimulationRun.objects.filter(proposal_id=proposal["id"]).count() == 1
    schema = api.get("/api/schema/").content.decode()
    assert "/api/v1/reporting/proposals/" in schema and "/api/v1/reporting/simulations/{simulation_pk}/" in schema
