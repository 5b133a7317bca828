"""Filing a year's papers into numbered volumes per agent point and plan, the register and each
volume's cover sheet as PDFs (opened), and the register of documents exchanged with other offices."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from reporting.archives import archive_compile, letter_register
from reporting.models import ArchiveCategory, ArchiveVolume, Correspondence
from tests import claimkit
from tests.conftest import Tree


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _text(content: bytes) -> str:
    """The PDF's text without line breaks (a long number wraps in a narrow column)."""
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split())


@pytest.fixture
def filed(tree: Tree) -> Tree:
    tree.a.with_enrollment(100).with_claim()
    return tree


def test_a_years_papers_are_filed_per_agent_point_and_plan_with_archive_numbers(filed: Tree) -> None:
    a = filed.a
    head = a.office_user
    with org_scope(a.city, actor_id=head.pk):
        letter_register(
            actor=head,
            direction="in",
            reference="粤工保〔2026〕12号",
            title="关于做好2026年度理赔回头看工作的通知",
            counterpart="示范省办事处",
            dated=date(2026, 3, 2),
        )
        volumes = archive_compile(actor=head, year=dates.business_today().year)
        again = archive_compile(actor=head, year=dates.business_today().year)
    by_kind = {v.category: v for v in volumes}
    assert set(by_kind) == {ArchiveCategory.POLICIES, ArchiveCategory.CLAIMS, ArchiveCategory.CORRESPONDENCE}
    claims_volume = by_kind[ArchiveCategory.CLAIMS]
    assert claims_volume.org == a.county and claims_volume.plan_id == a.plan.pk
    assert claims_volume.number == f"{a.county.code}-{dates.business_today().year}-LP-{a.plan.pk:03d}"
    assert [item["number"] for item in claims_volume.items] == [a.claim.number]
    assert by_kind[ArchiveCategory.POLICIES].items[0]["number"] == a.policy.number
    assert by_kind[ArchiveCategory.CORRESPONDENCE].org == a.city
    assert sorted(v.pk for v in again) == sorted(v.pk for v in volumes)  # filed once
    client = _login(head)
    cover = client.get(reverse("reporting:archive_cover", kwargs={"volume_pk": claims_volume.pk}))
    assert cover["Content-Type"] == "application/pdf"
    text = _text(cover.content)
    assert claims_volume.number in text and a.claim.number in text
    register = client.get(reverse("reporting:archive_register_pdf") + f"?year={dates.business_today().year}")
    assert claims_volume.number in _text(register.content) and "关于做好" not in _text(register.content)
    listed = client.get(reverse("reporting:archive_list")).content.decode()
    assert claims_volume.number in listed
    # The sibling city's head sees none of it.
    assert (
        _login(filed.b.office_user)
        .get(reverse("reporting:archive_cover", kwargs={"volume_pk": claims_volume.pk}))
        .status_code
        == 404
    )


def test_filing_a_future_year_or_an_empty_one_is_refused(filed: Tree) -> None:
    head = filed.a.office_user
    with org_scope(filed.a.city, actor_id=head.pk):
        for year in (dates.business_today().year + 1, 2001):
            with pytest.raises(ValidationError):
                archive_compile(actor=head, year=year)
    with unscoped():
        assert not ArchiveVolume.objects.exists()


def test_a_document_exchanged_is_registered_with_its_scan_encrypted_once_per_number(filed: Tree) -> None:
    head = filed.a.office_user
    client = _login(head)
    pdf = claimkit.pdf_scan()
    form = {
        "direction": "out",
        "reference": "江代〔2026〕3号",
        "title": "2026年10月上解保费报告书",
        "counterpart": "示范省办事处",
        "dated": str(dates.business_today()),
        "scans": SimpleUploadedFile("报告书.pdf", pdf),
    }
    assert client.post(reverse("reporting:letter_list"), form).status_code == 302
    with unscoped():
        letter = Correspondence.objects.get()
        assert b"%PDF" not in letter.file.read()
    shown = client.get(reverse("reporting:letter_file", kwargs={"letter_pk": letter.pk}))
    assert shown.content == pdf
    again = client.post(reverse("reporting:letter_list"), {**form, "scans": []}, follow=True)
    assert "msg error" in again.content.decode()
    future = {**form, "reference": "江代〔2026〕4号", "dated": str(dates.business_today() + timedelta(days=2))}
    future.pop("scans")
    assert "msg error" in client.post(reverse("reporting:letter_list"), future, follow=True).content.decode()
    with unscoped():
        assert Correspondence.objects.count() == 1
    assert "2026年10月上解保费报告书" in client.get(reverse("reporting:letter_list")).content.decode()


def test_the_api_lists_a_volume_gives_its_contents_and_its_cover_sheet_in_scope(filed: Tree) -> None:
    from rest_framework.authtoken.models import Token

    a = filed.a
    year = dates.business_today().year
    with org_scope(a.city, actor_id=a.office_user.pk):
        volumes = archive_compile(actor=a.office_user, year=year)
    claims_volume = next(v for v in volumes if v.category == ArchiveCategory.CLAIMS)
    token, _created = Token.objects.get_or_create(user=a.office_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = api.get(reverse("api_reporting_archives", kwargs={"version": "v1"}), {"year": year, "category": "claims"})
    assert listed.status_code == 200, listed.content
    rows = listed.json()["results"] if isinstance(listed.json(), dict) else listed.json()
    assert [row["number"] for row in rows] == [claims_volume.number]
    detail = api.get(reverse("api_reporting_archive", kwargs={"version": "v1", "volume_pk": claims_volume.pk})).json()
    assert detail["item_count"] == len(detail["items"]) == 1 and detail["items"][0]["number"] == a.claim.number
    cover = api.get(reverse("api_reporting_archive_cover", kwargs={"version": "v1", "volume_pk": claims_volume.pk}))
    assert cover.status_code == 200 and cover["Content-Type"] == "application/pdf"
    assert "attachment" in cover["Content-Disposition"] and ".pdf" in cover["Content-Disposition"]
    assert claims_volume.number in _text(cover.content)
    for bad in ({"year": "二〇二六"}, {"category": "stocks"}, {"office": filed.b.city.pk}):
        answer = api.get(reverse("api_reporting_archives", kwargs={"version": "v1"}), bad)
        assert answer.status_code == 400, bad
    stranger_token, _created = Token.objects.get_or_create(user=filed.b.office_user)
    stranger = Client(HTTP_AUTHORIZATION=f"Token {stranger_token.key}")
    url = reverse("api_reporting_archive_cover", kwargs={"version": "v1", "volume_pk": claims_volume.pk})
    assert stranger.get(url).status_code == 404
    with unscoped():
        assert ArchiveVolume.objects.filter(pk=claims_volume.pk).exists()
