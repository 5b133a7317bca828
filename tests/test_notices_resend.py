"""Notices sent again by themselves: a failed one by the hourly beat until it goes or reaches the
attempt limit (shown in the log), and one that waited for a phone number once the unit's contact
is saved, from the unit's own page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client, TestCase
from django.urls import reverse

from enrollment.models import UnitContact
from enrollment.notices import renewal_notices_send
from mutualaid.models import Notice, NoticeStatus
from mutualaid.tasks import resend_notices_all
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.lists import PERIOD_END
from tests.test_notices import FlakyBackend, flaky  # noqa: F401 - the fixture


def _notice(**filters: Any) -> Notice:
    with unscoped():
        return Notice.objects.get(**filters)


def _resend() -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        resend_notices_all.apply().get()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_failed_notice_goes_with_the_next_hourly_resend_and_only_once(
    claims_ready: Tree,
    flaky: type[FlakyBackend],  # noqa: F811
) -> None:
    a = claims_ready.a
    flaky.failures = 1000  # the provider is down while the claim is registered, and its task gives up
    with TestCase.captureOnCommitCallbacks(execute=True):
        claim = claimkit.register(a.unit_agent, a.enrollment)
    assert _notice(reference=claim.number).status == NoticeStatus.FAILED
    flaky.failures = 0
    _resend()
    sent = _notice(reference=claim.number)
    assert sent.status == NoticeStatus.SENT and len(flaky.sent) == 1
    _resend()
    assert len(flaky.sent) == 1  # sent once, never again


def test_a_notice_that_keeps_failing_stops_at_the_limit_and_the_log_says_so(
    claims_ready: Tree,
    flaky: type[FlakyBackend],  # noqa: F811
    settings: Any,
) -> None:
    a = claims_ready.a
    flaky.failures = 1000
    with TestCase.captureOnCommitCallbacks(execute=True):
        claim = claimkit.register(a.unit_agent, a.enrollment)
    tried = _notice(reference=claim.number).attempts
    settings.NOTICE_RESEND_ATTEMPTS = tried + 2
    _resend()
    _resend()
    assert _notice(reference=claim.number).attempts == tried + 2
    flaky.failures = 0
    _resend()  # the limit is reached: not tried again by itself
    notice = _notice(reference=claim.number)
    assert notice.status == NoticeStatus.FAILED and notice.attempts == tried + 2 and flaky.sent == []
    page = _client(a.office_user).get(reverse("notice_list")).content.decode()
    assert f"{tried + 2} / {tried + 2}" in page and "不再自动重发" in page
    # A person may still send it again, having checked the number.
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = _client(a.office_user).post(reverse("notice_retry", kwargs={"notice_pk": notice.pk}))
    assert answer.status_code == 302 and _notice(pk=notice.pk).status == NoticeStatus.SENT


def test_a_renewal_notice_without_a_contact_goes_once_the_unit_page_records_one(
    tree: Tree,
    flaky: type[FlakyBackend],  # noqa: F811
) -> None:
    a = tree.a.with_enrollment(100)
    with org_scope(a.city), TestCase.captureOnCommitCallbacks(execute=True):
        renewal_notices_send(office=a.city, today=PERIOD_END - timedelta(days=3))
    assert _notice(kind="renewal_notice").status == NoticeStatus.NO_PHONE
    _resend()
    assert _notice(kind="renewal_notice").status == NoticeStatus.NO_PHONE and flaky.sent == []

    office = _client(a.office_user)
    unit_page = office.get(reverse("org_detail", kwargs={"org_pk": a.unit.pk})).content.decode()
    assert (
        'data-testid="unit-contact"' in unit_page and reverse("enrollment:unit_contact", args=[a.unit.pk]) in unit_page
    )
    url = reverse("enrollment:unit_contact", kwargs={"unit_pk": a.unit.pk})
    bad = office.post(url, {"name": "王会计", "phone": "12345"})
    assert bad.status_code == 400 and "电话" in bad.content.decode()
    with unscoped():
        assert not UnitContact.objects.exists()
    stranger = _client(tree.b.office_user)
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"name": "冒名", "phone": "13900000000"}).status_code == 404
    saved = office.post(url, {"name": "王会计", "phone": "139 2000 0001"})
    assert saved.status_code == 302 and saved["Location"] == reverse("org_detail", kwargs={"org_pk": a.unit.pk})
    assert "王会计" in office.get(saved["Location"]).content.decode()

    _resend()
    notice = _notice(kind="renewal_notice")
    assert notice.status == NoticeStatus.SENT and notice.phone_masked == "139****0001"
    assert notice.recipient_masked == "王**" and [phone for phone, _text in flaky.sent] == ["13920000001"]
