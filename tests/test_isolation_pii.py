"""Full ID numbers stay where they must: the uploaded workbook goes back only to whoever has to
correct it (and each download is in the audit trail), and searches by ID number travel by POST,
never in a URL that server logs and browser history keep."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from mutualaid.models import AuditNote, AuditNoteKind
from mutualaid.roles import Role
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.lists import person, upload_and_check


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_uploaded_workbook_goes_back_only_to_who_corrects_it_and_who_may_reveal(tree: Tree) -> None:
    """The county agent uploaded a list for the unit: it and the unit's agent get the workbook
    back, as does a claims officer (who may reveal ID numbers); an auditor, another agent of the
    county and a sibling office do not, although all of them may view the list's report."""
    ours = tree.a.with_enrollment(100)
    rows = [person(300), person(301, id_number="610113198001010000")]  # one row to correct
    member_list = upload_and_check(ours.county_agent, ours.unit, ours.period, rows)
    with unscoped():
        other_agent = UserFactory(username="xa_county2", org=ours.county, roles=[Role.COUNTY_AGENT])
        auditor = UserFactory(username="xa_auditor", org=ours.city, roles=[Role.AUDITOR])
        officer = UserFactory(username="xa_officer", org=ours.city, roles=[Role.CLAIMS_OFFICER])
    allowed = [ours.county_agent, ours.unit_agent, officer, ours.office_user]
    refused = [other_agent, auditor]
    detail = reverse("enrollment:list_detail", kwargs={"list_pk": member_list.pk})
    for name in ("enrollment:list_annotated", "enrollment:list_failed_rows"):
        url = reverse(name, kwargs={"list_pk": member_list.pk})
        for user in allowed:
            response = _login(user).get(url)
            assert response.status_code == 200, (name, user.username)
            assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        for user in refused:
            client = _login(user)
            assert client.get(url).status_code == 403, (name, user.username)
            page = client.get(detail)
            assert page.status_code == 200 and url not in page.content.decode(), user.username
        assert _login(tree.b.office_user).get(url).status_code == 404
    assert url in _login(ours.county_agent).get(detail).content.decode()
    with unscoped():
        downloads = AuditNote.objects.filter(
            kind=AuditNoteKind.DISCLOSED, target=f"enrollment.MemberList:{member_list.pk}"
        )
        who = sorted(note.actor_id or 0 for note in downloads)
    assert who == sorted(user.pk for user in allowed for _name in range(2))


def test_a_member_is_found_by_full_id_number_through_a_posted_form_only(tree: Tree) -> None:
    ours = tree.a.with_enrollment(100)
    number = ours.members[0]["id_number"]
    client = _login(ours.office_user)
    url = reverse("enrollment:member_search")
    page = client.get(url).content.decode()
    assert 'method="post"' in page and 'name="q"' in page
    found = client.post(url, {"q": number}).content.decode()
    assert ours.members[0]["name"] in found
    assert ours.members[1]["name"] not in found
    # A full ID number in the query string is not searched: the page lists every member instead.
    ignored = client.get(url, {"q": number}).content.decode()
    assert ours.members[1]["name"] in ignored


def test_a_claim_is_found_by_full_id_number_through_a_posted_form_only(claims_ready: Tree) -> None:
    ours = claims_ready.a
    claim = claimkit.register(ours.unit_agent, ours.enrollment)
    number = ours.members[0]["id_number"]
    client = _login(ours.office_user)
    url = reverse("claims:claim_list")
    assert 'method="post"' in client.get(url).content.decode()
    assert claim.number in client.post(url, {"q": number}).content.decode()
    assert claim.number not in client.post(url, {"q": "610113198001010000"}).content.decode()
    # A full ID number in the query string is not searched: the page lists every claim instead.
    assert claim.number in client.get(url, {"q": "610113198001010000"}).content.decode()


def test_the_claim_register_page_finds_the_member_through_a_posted_form(claims_ready: Tree) -> None:
    ours = claims_ready.a
    number = ours.members[0]["id_number"]
    client = _login(ours.county_agent)
    url = reverse("claims:claim_register")
    page = client.get(url).content.decode()
    assert 'name="step" value="find"' in page and 'method="get"' not in page
    found = client.post(url, {"step": "find", "id_number": number}).content.decode()
    assert ours.members[0]["name"] in found and 'name="enrollment"' in found
    assert "field-error" not in found and 'role="alert"' not in found
    assert 'name="enrollment"' not in client.get(url, {"id_number": number}).content.decode()
