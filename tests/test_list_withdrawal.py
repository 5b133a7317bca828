"""An erroneous member list is withdrawn before approval, or superseded by its correction: the
correction links both ways, and approving it replaces the original's members (through an
endorsement when the original was approved), never rewriting the money already issued."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Endorsement, Enrollment, ListRow, ListStatus, MemberList, Policy
from enrollment.services.approval import member_list_approve
from enrollment.services.corrections import member_list_withdraw
from enrollment.services.member_lists import member_list_check, member_list_copy, member_list_submit, member_list_upload
from finance.models import Account, JournalEntry, JournalLine
from finance.services.premiums import policy_issue_premium
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import enrol, member_workbook, offer_plan, person, upload_and_check

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)
DECEMBER = datetime(2026, 12, 10, 10, tzinfo=SHANGHAI)


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _counts() -> dict[str, int]:
    with unscoped():
        return {
            "lists": MemberList.objects.count(),
            "enrollments": Enrollment.objects.count(),
            "endorsements": Endorsement.objects.count(),
            "entries": JournalEntry.objects.count(),
        }


@pytest.fixture
def offered(tree: Tree) -> Tree:
    offer = offer_plan(tree.a.office_user)
    tree.a.plan, tree.a.period = offer.plan, offer.period
    return tree


def _submitted(tree: Tree, rows: list[dict[str, Any]]) -> MemberList:
    a = tree.a
    checked = upload_and_check(a.unit_agent, a.unit, a.period, rows)
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        return member_list_submit(actor=a.unit_agent, member_list=checked)


def _correction(tree: Tree, original: MemberList, rows: list[dict[str, Any]]) -> MemberList:
    a = tree.a
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        correction, created = member_list_upload(
            actor=a.unit_agent,
            unit=a.unit,
            period=a.period,
            data=member_workbook(rows),
            filename="更正名单.xlsx",
            corrects=original,
        )
        assert created
        checked = member_list_check(member_list=correction, viewer=a.unit_agent.org)
        assert checked.status == ListStatus.VALID, checked.cell_problems or checked.list_problems
        return member_list_submit(actor=a.unit_agent, member_list=checked)


def _approve(tree: Tree, member_list: MemberList) -> Policy:
    with org_scope(tree.a.office_user.org, actor_id=tree.a.office_user.pk):
        return member_list_approve(actor=tree.a.office_user, member_list=member_list)


def _reload(member_list: MemberList) -> MemberList:
    with unscoped():
        return MemberList.objects.get(pk=member_list.pk)


def test_the_uploader_withdraws_a_submitted_list_with_a_reason_and_it_leaves_every_queue(offered: Tree) -> None:
    a = offered.a
    submitted = _submitted(offered, [person(i) for i in range(3)])
    response = _login(a.unit_agent).post(
        reverse("enrollment:list_action", kwargs={"list_pk": submitted.pk, "action": "withdraw"}),
        {"reason": "单位人数填错了"},
    )
    assert response.status_code == 302
    withdrawn = _reload(submitted)
    assert withdrawn.status == ListStatus.WITHDRAWN and withdrawn.withdrawal_reason == "单位人数填错了"
    assert withdrawn.withdrawn_by_id == a.unit_agent.pk
    with unscoped():
        assert not ListRow.objects.filter(member_list=withdrawn).exists()
    page = _login(a.office_user).get(reverse("enrollment:list_detail", kwargs={"list_pk": submitted.pk}))
    html = page.content.decode()
    assert "已撤回" in html and "单位人数填错了" in html and 'data-testid="approval-link"' not in html
    # The office can no longer approve it.
    with pytest.raises(ValidationError):
        _approve(offered, withdrawn)


def test_the_office_can_withdraw_a_list_of_its_unit_and_a_sibling_office_cannot_see_it(offered: Tree) -> None:
    submitted = _submitted(offered, [person(i) for i in range(2)])
    url = reverse("enrollment:list_action", kwargs={"list_pk": submitted.pk, "action": "withdraw"})
    before = _counts()
    assert _login(offered.b.office_user).post(url, {"reason": "不是我们的"}).status_code == 404
    assert _reload(submitted).status == ListStatus.SUBMITTED and _counts() == before
    assert _login(offered.a.office_user).post(url, {"reason": "重复上传"}).status_code == 302
    assert _reload(submitted).status == ListStatus.WITHDRAWN


def test_an_empty_reason_or_an_approved_list_is_refused_with_a_chinese_message_and_nothing_written(
    offered: Tree,
) -> None:
    a = offered.a
    submitted = _submitted(offered, [person(i) for i in range(2)])
    client = _login(a.unit_agent)
    url = reverse("enrollment:list_action", kwargs={"list_pk": submitted.pk, "action": "withdraw"})
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400 and "撤回的原因" in response.content.decode()
    assert _reload(submitted).status == ListStatus.SUBMITTED
    _approve(offered, submitted)
    before = _counts()
    response = client.post(url, {"reason": "写错了"})
    assert response.status_code == 400 and "已批准的名单不能撤回" in response.content.decode()
    assert _reload(submitted).status == ListStatus.APPROVED and _counts() == before


def test_a_withdrawn_list_can_be_copied_into_a_new_upload_and_the_same_file_uploaded_again(offered: Tree) -> None:
    a = offered.a
    rows = [person(i) for i in range(3)]
    submitted = _submitted(offered, rows)
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        member_list_withdraw(actor=a.unit_agent, member_list=submitted, reason="误撤回测试")
        copy, created = member_list_copy(actor=a.unit_agent, member_list=_reload(submitted))
    assert created and copy.copy_of_id == submitted.pk and copy.status == ListStatus.VALIDATING
    page = _login(a.unit_agent).get(reverse("enrollment:list_detail", kwargs={"list_pk": submitted.pk}))
    assert 'data-testid="copies"' in page.content.decode()
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk), pytest.raises(ValidationError):
        member_list_copy(actor=a.unit_agent, member_list=copy)


def test_a_list_cannot_be_its_own_correction_nor_correct_another_unit_s_list(offered: Tree) -> None:
    a = offered.a
    rows = [person(i) for i in range(3)]
    # The same file uploaded again: made on a clock that stands still, as a workbook's zip and
    # properties carry the second it was written.
    with time_machine.travel(timezone.now(), tick=False):
        submitted = _submitted(offered, rows)
        same_file = member_workbook(rows)
    client = _login(a.unit_agent)
    before = _counts()
    response = client.post(
        reverse("enrollment:upload") + f"?corrects={submitted.pk}",
        {
            "unit": a.unit.pk,
            "period": a.period.pk,
            "corrects": submitted.pk,
            "file": SimpleUploadedFile("名单.xlsx", same_file),
        },
    )
    assert response.status_code == 400 and "不能是它自己的更正" in response.content.decode()
    assert _counts() == before
    # A list of the sibling city's tree is not found from ours.
    stranger = _login(offered.b.office_user)
    assert stranger.get(reverse("enrollment:upload") + f"?corrects={submitted.pk}").status_code in {403, 404}


def test_approving_the_correction_of_a_list_not_yet_approved_supersedes_it_and_links_both_ways(
    offered: Tree,
) -> None:
    original = _submitted(offered, [person(i) for i in range(3)])
    correction = _correction(offered, original, [person(i) for i in range(4)])
    approval_page = _login(offered.a.office_user).get(
        reverse("enrollment:list_approval", kwargs={"list_pk": correction.pk})
    )
    assert 'data-testid="approval-corrects"' in approval_page.content.decode()
    assert "原名单即被替代" in approval_page.content.decode()
    policy = _approve(offered, correction)
    superseded = _reload(original)
    assert superseded.status == ListStatus.SUPERSEDED and superseded.superseded_by_id == correction.pk
    with unscoped():
        assert Enrollment.objects.filter(policy=policy).count() == 4
        assert not Enrollment.objects.filter(member_list=original).exists()
    client = _login(offered.a.office_user)
    original_page = client.get(reverse("enrollment:list_detail", kwargs={"list_pk": original.pk})).content.decode()
    correction_page = client.get(reverse("enrollment:list_detail", kwargs={"list_pk": correction.pk})).content.decode()
    assert 'data-testid="superseded-by"' in original_page and "更正名单.xlsx" in original_page
    assert 'data-testid="corrects"' in correction_page and original.original_name in correction_page


def test_the_correction_of_an_approved_list_ends_and_corrects_members_through_an_endorsement(offered: Tree) -> None:
    a = offered.a
    with time_machine.travel(NOVEMBER, tick=False):
        policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(5)])
    with unscoped():
        original = MemberList.objects.get(policy=policy)
        issued = policy_issue_premium(policy=Policy.objects.get(pk=policy.pk))
        numbers = dict(Enrollment.objects.filter(policy=policy).values_list("name", "number"))
    # The correction: 职工0 and 职工1 misspelt before, 职工4 not a member, 职工9 missing.
    rows = [person(0, name="张三"), person(1, name="李四"), person(2), person(3), person(9)]
    with time_machine.travel(DECEMBER, tick=False):
        correction = _correction(offered, original, rows)
        _approve(offered, correction)
    with unscoped():
        endorsement = Endorsement.objects.get(member_list=correction)
        members = {e.id_masked: e for e in Enrollment.objects.filter(policy=policy)}
        active = Enrollment.objects.filter(policy=policy, status="active")
        assert sorted(active.values_list("name", flat=True)) == ["张三", "李四", "职工2", "职工3", "职工9"]
        ended = Enrollment.objects.get(policy=policy, name="职工4")
        assert ended.status == "cancelled" and ended.cancel_reason.startswith("已由更正名单")
        # Corrected in place: same card number and premium as before.
        assert Enrollment.objects.get(policy=policy, name="张三").number == numbers["职工0"]
        assert Enrollment.objects.get(policy=policy, name="职工9").number == 6
        fresh = Policy.objects.get(pk=policy.pk)
        # The issue's premium is what it was; the endorsement carries the net change (one in, one out).
        assert policy_issue_premium(policy=fresh) == issued
        receivable = JournalLine.objects.filter(
            entry__idempotency_key=f"endorsement:{endorsement.pk}", account=Account.PREMIUM_RECEIVABLE
        )
    assert len(members) == 6
    assert (endorsement.ended_count, endorsement.corrected_count, endorsement.member_count) == (1, 2, 1)
    assert endorsement.premium == Decimal("0.00") and endorsement.ended_premium == Decimal("50.00")
    assert endorsement.premium_month.month == 12
    assert not receivable.exists()  # nothing net to collect, nothing booked
    assert _reload(original).status == ListStatus.SUPERSEDED


def test_a_correction_that_ends_more_than_it_adds_takes_the_premium_back_in_its_own_month(offered: Tree) -> None:
    a = offered.a
    with time_machine.travel(NOVEMBER, tick=False):
        policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(4)])
    with unscoped():
        original = MemberList.objects.get(policy=policy)
    with time_machine.travel(DECEMBER, tick=False):
        correction = _correction(offered, original, [person(0), person(1)])
        _approve(offered, correction)
    with unscoped():
        endorsement = Endorsement.objects.get(member_list=correction)
        entry = JournalEntry.objects.get(idempotency_key=f"endorsement:{endorsement.pk}")
        credited = JournalLine.objects.get(entry=entry, account=Account.PREMIUM_RECEIVABLE)
        november = JournalEntry.objects.get(idempotency_key=f"policy:{policy.pk}")
    assert endorsement.premium == Decimal("-100.00") and endorsement.ended_count == 2
    assert entry.posted_on.month == 12 and credited.credit == Decimal("100.00")
    assert november.posted_on.month == 11  # the November books are not rewritten


def test_a_second_correction_waits_until_the_first_is_withdrawn(offered: Tree) -> None:
    a = offered.a
    original = _submitted(offered, [person(i) for i in range(3)])
    first = _correction(offered, original, [person(i) for i in range(4)])
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        with pytest.raises(ValidationError) as refused:
            member_list_upload(
                actor=a.unit_agent,
                unit=a.unit,
                period=a.period,
                data=member_workbook([person(i) for i in range(5)]),
                filename="再次更正.xlsx",
                corrects=original,
            )
        assert "已有一份更正" in " ".join(refused.value.messages)
        member_list_withdraw(actor=a.unit_agent, member_list=first, reason="更正也有错")
        second, created = member_list_upload(
            actor=a.unit_agent,
            unit=a.unit,
            period=a.period,
            data=member_workbook([person(i) for i in range(5)]),
            filename="再次更正.xlsx",
            corrects=original,
        )
    assert created and second.corrects_id == original.pk
