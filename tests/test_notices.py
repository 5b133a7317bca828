"""Notices to members and units: each kind's text, the office's own wording (inherited, checked,
previewed), the masked log, retries after a failing provider, the renewal notice once per unit
and period, and that one office never reads or edits another's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from claims.models import Claim
from enrollment.models import Enrollment, UnitContact
from enrollment.notices import renewal_notices_send, unit_contact_save
from enrollment.tasks import renewal_notices_office
from mutualaid import notices
from mutualaid.models import Notice, NoticeStatus, NoticeTemplate
from mutualaid.numbers import date_text, money_text
from mutualaid.tasks import deliver_notices
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.lists import PERIOD_END


class FlakyBackend:
    """A provider that fails `failures` times, then sends; what it sent is kept."""

    failures: ClassVar[int] = 0
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, message: Any) -> None:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionError("短信网关超时")
        FlakyBackend.sent.append((message.phone, message.text))


@pytest.fixture
def flaky(settings: Any) -> type[FlakyBackend]:
    settings.NOTIFICATION_BACKEND = "tests.test_notices.FlakyBackend"
    FlakyBackend.failures = 0
    FlakyBackend.sent = []
    return FlakyBackend


def _notices(**filters: Any) -> list[Notice]:
    with unscoped():
        return list(Notice.objects.filter(**filters).order_by("pk"))


def _text(notice: Notice) -> str:
    return notices.notice_text(notice=notice)


def test_a_claim_s_member_is_told_what_is_missing_then_why_it_came_back_why_it_was_rejected_and_when_paid(
    claims_ready: Tree, flaky: type[FlakyBackend]
) -> None:
    a = claims_ready.a
    people = a.reviewers
    with TestCase.captureOnCommitCallbacks(execute=True):
        claim = claimkit.register(a.unit_agent, a.enrollment, documents=[claimkit.upload("invoice")])
    registered = _notices(kind="claim_registered", reference=claim.number)
    assert len(registered) == 1 and registered[0].status == NoticeStatus.SENT
    text = _text(registered[0])
    assert claim.number in text and a.enrollment.name in text and "出院" in text  # the discharge summary is missing
    assert flaky.sent[-1] == (a.members[0]["phone"], text)

    claim = claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-2",))
    with TestCase.captureOnCommitCallbacks(execute=True):
        claimkit.act(people.officer, claim, "return", "请补交住院病历首页")
    returned = _notices(kind="claim_returned", reference=claim.number)
    assert len(returned) == 1 and "请补交住院病历首页" in _text(returned[0])

    other = claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-3",))
    with TestCase.captureOnCommitCallbacks(execute=True):
        claimkit.act(people.officer, other, "reject", "住院日期在观察期内")
    rejected = _notices(kind="claim_rejected", reference=other.number)
    assert len(rejected) == 1 and "住院日期在观察期内" in _text(rejected[0]) and "未获" in _text(rejected[0])

    paid = claimkit.approve(people, claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-4",)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        claimkit.pay(people, [paid])
    told = _notices(kind="claim_paid", reference=paid.number)
    with unscoped():
        payout = Claim.objects.get(pk=paid.pk).payout
    assert len(told) == 1 and money_text(payout) in _text(told[0]) and told[0].status == NoticeStatus.SENT


def test_each_member_of_an_approved_list_is_told_their_cover_once(tree: Tree, flaky: type[FlakyBackend]) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        tree.a.with_enrollment(100)
    confirmed = _notices(kind="enrollment_confirmed")
    assert len(confirmed) == 2 and all(n.status == NoticeStatus.SENT for n in confirmed)
    with unscoped():
        first = Enrollment.objects.filter(policy=tree.a.policy).order_by("number").first()
    assert first is not None
    text = _text(next(n for n in confirmed if first.name[:1] in n.recipient_masked and n.reference.endswith("00001")))
    assert first.name in text and tree.a.plan.name in text and tree.a.policy.number in text
    # Dates as a person reads them (2026年12月31日), never 2026-12-31.
    assert date_text(first.ends_on) in text and first.ends_on.isoformat() not in text
    # The event seen again, or the task run again, sends nothing twice.
    from enrollment.tasks import notify_enrolled

    with TestCase.captureOnCommitCallbacks(execute=True):
        notify_enrolled(org_id=tree.a.city.pk, member_list_id=tree.a.member_list.pk)
    assert len(_notices(kind="enrollment_confirmed")) == 2 and len(flaky.sent) == 2


def test_the_log_masks_names_and_phones_and_filters(claims_ready: Tree, flaky: type[FlakyBackend]) -> None:
    a = claims_ready.a
    with TestCase.captureOnCommitCallbacks(execute=True):
        claim = claimkit.register(a.unit_agent, a.enrollment)
    client = Client()
    client.force_login(a.office_user)
    page = client.get(reverse("notice_list"), {"kind": "claim_registered", "status": "sent"})
    body = page.content.decode()
    assert page.status_code == 200 and claim.number in body
    assert a.enrollment.name not in body and a.members[0]["phone"] not in body
    assert a.members[0]["phone"][:3] + "****" + a.members[0]["phone"][-4:] in body
    assert a.enrollment.name[:1] + "*" in body
    assert claim.number not in client.get(reverse("notice_list"), {"status": "failed"}).content.decode()
    unfiltered = client.get(reverse("notice_list")).content.decode()  # "all", not a bare dash, to choose
    assert '<option value="" selected>全部类型</option>' in unfiltered
    assert '<option value="" selected>全部状态</option>' in unfiltered
    bad = client.get(reverse("notice_list"), {"since": "2026-13-40"})
    assert bad.status_code == 400 and "日期" in bad.content.decode()


def test_a_failed_message_is_retried_by_the_task_and_again_from_the_page_and_never_sent_twice(
    claims_ready: Tree, flaky: type[FlakyBackend]
) -> None:
    a = claims_ready.a
    flaky.failures = 100  # the gateway is down
    claim = claimkit.register(a.unit_agent, a.enrollment)  # in a test transaction the task never comes
    notice = _notices(kind="claim_registered", reference=claim.number)[0]
    with org_scope(a.city), pytest.raises(OSError):
        notices.notices_deliver(notice_ids=[notice.pk])
    failed = _notices(pk=notice.pk)[0]
    assert failed.status == NoticeStatus.FAILED and failed.attempts == 1 and "短信网关" in failed.last_error

    # The task retries with a pause; here it runs at once: two more failures, then it goes out.
    flaky.failures = 2
    # The task retries on OSError (which a provider's failure is raised as), after a growing pause;
    # here each delivery the worker would make after a pause runs at once: two fail, then it goes out.
    assert OSError in deliver_notices.autoretry_for and deliver_notices.max_retries >= 5
    for _failing in range(2):
        with org_scope(a.city), pytest.raises(OSError):
            deliver_notices.run(org_id=a.city.pk, notice_ids=[notice.pk])
    with org_scope(a.city):
        assert deliver_notices.run(org_id=a.city.pk, notice_ids=[notice.pk]) == 1
    sent = _notices(pk=notice.pk)[0]
    assert sent.status == NoticeStatus.SENT and sent.attempts == 4 and len(flaky.sent) == 1

    # A sent notice cannot be sent again from the page.
    client = Client()
    client.force_login(a.office_user)
    client.post(reverse("notice_retry", kwargs={"notice_pk": notice.pk}))
    assert len(flaky.sent) == 1 and _notices(pk=notice.pk)[0].attempts == 4

    # A failed one is, by the office, once.
    flaky.failures = 100
    other = claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-9",))
    second = _notices(kind="claim_registered", reference=other.number)[0]
    with org_scope(a.city), pytest.raises(OSError):
        notices.notices_deliver(notice_ids=[second.pk])
    flaky.failures = 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.post(reverse("notice_retry", kwargs={"notice_pk": second.pk}))
    assert page.status_code == 302
    again = _notices(pk=second.pk)[0]
    assert again.status == NoticeStatus.SENT and again.attempts == 2 and len(flaky.sent) == 2
    with org_scope(a.city):
        assert notices.notices_deliver(notice_ids=[second.pk]) == 0


def test_the_renewal_notice_goes_once_per_unit_and_period_with_the_members_to_renew(
    tree: Tree, flaky: type[FlakyBackend]
) -> None:
    a = tree.a.with_enrollment(100)
    with org_scope(a.city, actor_id=a.office_user.pk):
        unit_contact_save(actor=a.office_user, unit=a.unit, name="王会计", phone="139 2000 0001")
    early = PERIOD_END - timedelta(days=31)
    with org_scope(a.city), TestCase.captureOnCommitCallbacks(execute=True):
        assert renewal_notices_send(office=a.city, today=early) == 0  # 31 days ahead: not yet (default 30)
    due = PERIOD_END - timedelta(days=30)
    with org_scope(a.city), TestCase.captureOnCommitCallbacks(execute=True):
        assert renewal_notices_send(office=a.city, today=due) == 1
        assert renewal_notices_send(office=a.city, today=due) == 0
        assert renewal_notices_send(office=a.city, today=due + timedelta(days=1)) == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        renewal_notices_office.apply(kwargs={"org_id": a.city.pk})
    sent = _notices(kind="renewal_notice")
    assert len(sent) == 1 and sent[0].status == NoticeStatus.SENT and sent[0].phone_masked == "139****0001"
    text = _text(sent[0])
    assert a.policy.number in text and "30" in text and date_text(PERIOD_END) in text and a.unit.name in text
    assert flaky.sent == [("13920000001", text)]
    assert sent[0].link.endswith("renewal.pdf")
    client = Client()
    client.force_login(a.office_user)
    pdf = client.get(sent[0].link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    import io

    from pypdf import PdfReader

    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert a.policy.number in words and a.members[0]["name"] in words and "续保" in words


def test_a_unit_without_a_contact_is_logged_as_without_a_phone(tree: Tree, flaky: type[FlakyBackend]) -> None:
    a = tree.a.with_enrollment(100)
    with org_scope(a.city), TestCase.captureOnCommitCallbacks(execute=True):
        renewal_notices_send(office=a.city, today=PERIOD_END - timedelta(days=3))
    logged = _notices(kind="renewal_notice")
    assert [n.status for n in logged] == [NoticeStatus.NO_PHONE] and flaky.sent == []


def test_an_office_s_wording_is_inherited_below_it_until_the_office_writes_its_own(
    claims_ready: Tree, flaky: type[FlakyBackend]
) -> None:
    a = claims_ready.a
    province = Client()
    province.force_login(claims_ready.province_user)
    saved = province.post(
        reverse("notice_template_edit", kwargs={"kind": "claim_registered"}),
        {"action": "save", "text": "【省总】{name}：{number}已登记，尚缺{missing}。"},
    )
    assert saved.status_code == 302
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = claimkit.register(a.unit_agent, a.enrollment)
    assert _text(_notices(reference=first.number)[0]).startswith("【省总】")

    city = Client()
    city.force_login(a.office_user)
    listing = city.get(reverse("notice_templates")).content.decode()
    assert "示范省办事处" in listing  # inherited from the province
    preview = city.post(
        reverse("notice_template_edit", kwargs={"kind": "claim_registered"}),
        {"action": "preview", "text": "【西安】{name}，{number}缺{missing}"},
    )
    assert preview.status_code == 200 and "【西安】张三，LP202600012缺出院小结" in preview.content.decode()
    with unscoped():
        assert not NoticeTemplate.objects.filter(org=a.city).exists()  # a preview saves nothing
    city.post(
        reverse("notice_template_edit", kwargs={"kind": "claim_registered"}),
        {"action": "save", "text": "【西安】{name}，{number}缺{missing}"},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-7",))
    assert _text(_notices(reference=second.number)[0]).startswith("【西安】")
    city.post(reverse("notice_template_edit", kwargs={"kind": "claim_registered"}), {"action": "reset"})
    with unscoped():
        assert not NoticeTemplate.objects.filter(org=a.city).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{name}您好，{编号}已登记", "不认识占位符{编号}"),
        ("{name}您好，{amount}已到账", "不认识占位符{amount}"),
        ("{name}您好，{number已登记", "花括号"),
        ("   ", "请填写通知内容"),
        ("长" * 501, "有501个字"),
    ],
)
def test_a_bad_wording_is_refused_in_chinese_and_saves_nothing(tree: Tree, text: str, expected: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(tree.a.office_user)
    page = client.post(
        reverse("notice_template_edit", kwargs={"kind": "claim_registered"}), {"action": "save", "text": text}
    )
    body = page.content.decode()
    assert page.status_code == 400 and expected in body
    with unscoped():
        assert not NoticeTemplate.objects.exists()
    assert client.get(reverse("notice_template_edit", kwargs={"kind": "no_such_kind"})).status_code == 404


def test_a_stranger_office_sees_none_of_the_log_and_edits_none_of_the_wording(
    claims_ready: Tree, flaky: type[FlakyBackend]
) -> None:
    a, b = claims_ready.a, claims_ready.b
    flaky.failures = 100
    claim = claimkit.register(a.unit_agent, a.enrollment)
    notice = _notices(reference=claim.number)[0]
    with org_scope(a.city), pytest.raises(OSError):
        notices.notices_deliver(notice_ids=[notice.pk])
    stranger = Client()
    stranger.force_login(b.office_user)
    log = stranger.get(reverse("notice_list"))
    assert (
        log.status_code == 200 and claim.number not in log.content.decode() and a.unit.name not in log.content.decode()
    )
    assert stranger.post(reverse("notice_retry", kwargs={"notice_pk": notice.pk})).status_code == 404
    assert _notices(pk=notice.pk)[0].attempts == 1
    edit = reverse("notice_template_edit", kwargs={"kind": "claim_paid"})
    assert stranger.get(edit, {"office": a.city.pk}).status_code == 404
    assert stranger.post(edit, {"office": a.city.pk, "action": "save", "text": "{name}"}).status_code == 404
    assert stranger.get(reverse("notice_templates"), {"office": a.city.pk}).status_code == 404
    with unscoped():
        assert not NoticeTemplate.objects.exists()
    # A unit agent holds neither the log nor the wording.
    agent = Client()
    agent.force_login(a.unit_agent)
    assert agent.get(reverse("notice_list")).status_code == 403
    assert agent.get(edit).status_code == 403


def test_a_contact_of_another_office_s_unit_cannot_be_set_and_a_bad_phone_is_refused(tree: Tree) -> None:
    a, b = tree.a, tree.b
    a.with_enrollment(100)
    client = Client()
    client.force_login(b.office_user)
    url = reverse("enrollment:renewal_notices")
    page = client.post(url, {"action": "contact", "unit": a.unit.pk, "name": "李四", "phone": "13900000000"})
    assert page.status_code == 404
    ours = Client()
    ours.force_login(a.office_user)
    bad = ours.post(url, {"action": "contact", "unit": a.unit.pk, "name": "李四", "phone": "12345"})
    assert bad.status_code == 400 and ("手机" in bad.content.decode() or "电话" in bad.content.decode())
    days = ours.post(url, {"action": "settings", "days_before": "0"})
    assert days.status_code == 400
    with unscoped():
        assert not UnitContact.objects.exists()
    assert ours.post(url, {"action": "settings", "days_before": "45"}).status_code == 302
    page = ours.get(url).content.decode()
    from mutualaid import dates

    if 0 <= (PERIOD_END - dates.business_today()).days <= 120:
        assert a.policy.number in page and "renewal.pdf" in page
