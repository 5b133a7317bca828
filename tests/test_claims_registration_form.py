"""The registration form keeps the clerk's work: scans across a refusal, the required documents
marked before sending, every error listed at the top, and a start from the member page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimDocument, PendingUpload
from tests import claimkit
from tests.browser import login, page  # noqa: F401 - the fixture
from tests.conftest import Tree


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _papers(enrollment_pk: int, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        **claimkit.PAPERS,
        "enrollment": enrollment_pk,
        "invoices": "INV0001",
        "account_number": "6222 0202 0011 2233 445",
    }
    data.update(changes)
    return data


def _draft(body: str) -> str:
    found = re.search(r'name="draft" value="([0-9a-f-]{36})"', body)
    assert found, "the form carries its draft id"
    return found.group(1)


def _kept(body: str) -> list[str]:
    return re.findall(r'name="keep" value="(\d+)"', body)


MARK = re.compile(r'<label for="id_(doc_\w+)">[^<]*<span class="tag required-mark" ([^>]*)>')


def _marked(body: str) -> dict[str, str]:
    """Each scan input's required mark, by field name: its attributes (hidden or not)."""
    return dict(MARK.findall(body))


def _member_form(tree: Tree) -> str:
    return reverse("claims:claim_register_member", kwargs={"enrollment_pk": tree.a.enrollment.pk})


def _refused_with_two_scans(client: Client, tree: Tree) -> str:
    """A submit refused for its dates, with the discharge summary and the invoice attached."""
    url = _member_form(tree)
    draft = _draft(client.get(url).content.decode())
    refused = client.post(
        url,
        _papers(
            tree.a.enrollment.pk,
            draft=draft,
            discharged_on="2026-03-01",  # before the admission: refused
            doc_discharge=SimpleUploadedFile("出院小结.pdf", claimkit.pdf_scan()),
            doc_invoice=SimpleUploadedFile("发票.png", claimkit.png_scan()),
        ),
    )
    assert refused.status_code == 200
    return refused.content.decode()


def _claims_and_documents() -> tuple[int, int]:
    from mutualaid.tenancy import unscoped

    with unscoped():
        return Claim.objects.count(), ClaimDocument.objects.count()


def test_scans_of_a_refused_form_are_kept_and_attached_when_it_is_corrected(claims_ready: Tree) -> None:
    agent = _login(claims_ready.a.county_agent)
    body = _refused_with_two_scans(agent, claims_ready)
    assert "出院小结.pdf" in body and "发票.png" in body and len(_kept(body)) == 2
    assert _claims_and_documents() == (0, 0)  # nothing half-registered
    from mutualaid.tenancy import unscoped

    with unscoped():
        for pending in PendingUpload.objects.all():
            with pending.file.open("rb") as stored:
                assert not stored.read().startswith((b"%PDF", b"\x89PNG"))  # kept encrypted
    draft = _draft(body)
    done = agent.post(
        _member_form(claims_ready),
        _papers(
            claims_ready.a.enrollment.pk,
            draft=draft,
            keep=_kept(body),
            doc_settlement=SimpleUploadedFile("结算单.pdf", claimkit.pdf_scan()),
        ),
    )
    assert done.status_code == 302, done.content.decode()[-1500:]
    with unscoped():
        claim = Claim.objects.get()
        names = sorted(claim.documents.values_list("original_name", flat=True))
        assert names == sorted(["出院小结.pdf", "发票.png", "结算单.pdf"])
        assert not PendingUpload.objects.exists()
    assert claim.status == "first_review"  # the three required documents are in: the clock runs


def test_an_unticked_scan_is_removed_and_not_attached(claims_ready: Tree) -> None:
    agent = _login(claims_ready.a.county_agent)
    body = _refused_with_two_scans(agent, claims_ready)
    first, _second = _kept(body)
    again = agent.post(
        _member_form(claims_ready),
        _papers(claims_ready.a.enrollment.pk, draft=_draft(body), keep=[first], discharged_on="2026-03-01"),
    ).content.decode()
    assert _kept(again) == [first]
    from mutualaid.tenancy import unscoped

    with unscoped():
        assert PendingUpload.objects.count() == 1


def test_another_user_neither_sees_nor_attaches_the_kept_scans(claims_ready: Tree) -> None:
    body = _refused_with_two_scans(_login(claims_ready.a.county_agent), claims_ready)
    other = _login(claims_ready.a.office_user)
    url = _member_form(claims_ready)
    seen = other.post(
        url, _papers(claims_ready.a.enrollment.pk, draft=_draft(body), keep=_kept(body), discharged_on="2026-03-01")
    ).content.decode()
    assert "出院小结.pdf" not in seen and not _kept(seen)
    done = other.post(url, _papers(claims_ready.a.enrollment.pk, draft=_draft(body), keep=_kept(body)))
    assert done.status_code == 302
    from mutualaid.tenancy import unscoped

    with unscoped():
        assert not Claim.objects.get().documents.exists()
        assert PendingUpload.objects.count() == 2  # still the agent's, untouched


def test_scans_left_on_a_refused_form_are_deleted_by_the_nightly_retention_after_a_day(claims_ready: Tree) -> None:
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from mutualaid import dates
    from mutualaid.retention import retention_apply
    from mutualaid.tenancy import org_scope, unscoped

    _refused_with_two_scans(_login(claims_ready.a.county_agent), claims_ready)
    with unscoped():
        old, fresh = PendingUpload.objects.order_by("pk")
        PendingUpload.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(days=3))
    with org_scope(claims_ready.a.city):
        counts = retention_apply(office=claims_ready.a.city, today=dates.business_today())
    assert counts["claim_pending_scans"] == 1
    with unscoped():
        assert list(PendingUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(old.file.name) and default_storage.exists(fresh.file.name)


def test_the_required_documents_of_the_kind_of_care_are_marked(claims_ready: Tree) -> None:
    body = _login(claims_ready.a.county_agent).get(_member_form(claims_ready)).content.decode()
    marks = _marked(body)
    shown = {name for name, attrs in marks.items() if "hidden" not in attrs}
    assert shown == {"doc_discharge", "doc_invoice", "doc_settlement"}  # inpatient care, the default
    assert 'data-required-for="death"' in marks["doc_death"] and "hidden" in marks["doc_death"]
    assert "必需" in body and "js/claim_register.js" in body
    death = _login(claims_ready.a.county_agent).post(
        _member_form(claims_ready), _papers(claims_ready.a.enrollment.pk, care_type="death", hospital="")
    )
    marks = _marked(death.content.decode())
    assert {name for name, attrs in marks.items() if "hidden" not in attrs} == {"doc_death"}


def test_every_error_is_listed_at_the_top_and_at_its_field(claims_ready: Tree) -> None:
    body = (
        _login(claims_ready.a.county_agent)
        .post(
            _member_form(claims_ready),
            _papers(
                claims_ready.a.enrollment.pk,
                hospital="",
                bank_name="",
                doc_invoice=SimpleUploadedFile("x.pdf", b"nope"),
            ),
        )
        .content.decode()
    )
    start = body.index('data-testid="error-summary"')
    summary = body[start : body.index("</ul>", start)]
    for field in ("hospital", "bank_name", "doc_invoice"):
        assert f'href="#id_{field}"' in summary
    assert "x.pdf" in summary
    assert body.count('class="field-error"') >= 3
    assert _claims_and_documents() == (0, 0)


def test_the_member_page_offers_registration_with_the_member_chosen(claims_ready: Tree) -> None:
    member_page = reverse("enrollment:member", kwargs={"enrollment_pk": claims_ready.a.enrollment.pk})
    body = _login(claims_ready.a.county_agent).get(member_page).content.decode()
    assert f'href="{_member_form(claims_ready)}"' in body and 'data-testid="register-claim"' in body
    form = _login(claims_ready.a.county_agent).get(_member_form(claims_ready)).content.decode()
    assert 'data-testid="chosen-member"' in form and claims_ready.a.enrollment.name in form
    assert 'name="id_number"' not in form  # the ID is not typed again
    assert f'name="enrollment" value="{claims_ready.a.enrollment.pk}"' in form
    supervisor = _login(claims_ready.a.reviewers.supervisor)  # reviews, does not register
    shown = supervisor.get(member_page)
    assert shown.status_code == 200 and 'data-testid="register-claim"' not in shown.content.decode()
    assert supervisor.get(_member_form(claims_ready)).status_code == 403


def test_a_sibling_office_gets_404_on_the_member_s_form(claims_ready: Tree) -> None:
    stranger = _login(claims_ready.b.county_agent)
    assert stranger.get(_member_form(claims_ready)).status_code == 404
    refused = stranger.post(_member_form(claims_ready), _papers(claims_ready.a.enrollment.pk))
    assert refused.status_code == 404
    assert _claims_and_documents() == (0, 0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_member_page_starts_the_form_and_the_marks_follow_the_kind_of_care(
    tree: Tree,
    page,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    tree.a.with_enrollment(3)
    claimkit.set_schedule(tree.a.office_user, tree.a.period)
    login(page, tree.a.county_agent)
    page.goto(page.base_url + reverse("enrollment:member", kwargs={"enrollment_pk": tree.a.enrollment.pk}))
    page.click("[data-testid=register-claim]")
    page.wait_for_selector("[data-testid=chosen-member]")
    assert page.locator("input[name=id_number]").count() == 0
    discharge = page.locator("label[for=id_doc_discharge] .required-mark")
    death = page.locator("label[for=id_doc_death] .required-mark")
    assert discharge.is_visible() and not death.is_visible()
    page.select_option("#id_care_type", "death")  # the page's own script, allowed by the CSP
    death.wait_for(state="visible")
    assert not discharge.is_visible()
