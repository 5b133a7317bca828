"""A supplementary list approved into an issued policy is an endorsement (批单): its own number,
effective date and premium month; members numbered after the policy's highest number; its
premium and people counted in its own month by finance and reporting."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from enrollment.documents import member_list_pdf, policy_cards_pdf
from enrollment.models import Endorsement, Enrollment, ListKind, MemberList, Policy
from enrollment.services.approval import member_list_approve
from enrollment.services.member_lists import member_list_submit
from finance.models import Account, JournalEntry, JournalLine
from finance.services import remittances
from mutualaid.tenancy import org_scope, unscoped
from reporting.dashboard import dashboard
from reporting.overview import overview
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person, upload_and_check

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)
# Late in the evening of 10 December in Shanghai: still 10 December's business, although the
# server's UTC clock reads the 10th too; the 1st of January 00:30 would be 31 December in UTC.
DECEMBER = datetime(2026, 12, 10, 23, 30, tzinfo=SHANGHAI)
JANUARY = datetime(2027, 1, 5, 9, tzinfo=SHANGHAI)
PER_LIST = 50


@pytest.fixture
def endorsed(tree: Tree) -> Tree:
    """City A's unit: a policy issued in November with 50 members, and a supplementary list of 50
    more (its workbook rows 2-51 again) approved in December."""
    a = tree.a
    offer = offer_plan(a.office_user)
    a.plan, a.period = offer.plan, offer.period
    with time_machine.travel(NOVEMBER, tick=False):
        a.policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(PER_LIST)])
    with time_machine.travel(DECEMBER, tick=False):
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(PER_LIST, 2 * PER_LIST)])
    with unscoped():
        a.endorsement = Endorsement.objects.get(policy=a.policy)
        a.policy = Policy.objects.get(pk=a.policy.pk)
    return tree


def _premium_of(policy: Policy, *, endorsed: bool) -> Decimal:
    with unscoped():
        members = Enrollment.objects.filter(policy=policy)
        endorsement_lists = Endorsement.objects.filter(policy=policy).values("member_list_id")
        members = (
            members.filter(member_list_id__in=endorsement_lists)
            if endorsed
            else members.exclude(member_list_id__in=endorsement_lists)
        )
        return sum((e.premium for e in members), Decimal("0"))


def test_a_supplementary_list_becomes_an_endorsement_numbered_and_dated_in_its_own_month(endorsed: Tree) -> None:
    a = endorsed.a
    endorsement = a.endorsement
    assert endorsement.number == f"{a.policy.number}-P01"
    assert endorsement.sequence == 1
    assert endorsement.effective_on == date(2026, 12, 10)
    assert endorsement.premium_month == date(2026, 12, 1)
    assert endorsement.member_count == PER_LIST
    assert endorsement.premium == _premium_of(a.policy, endorsed=True) == Decimal("2500.00")
    assert (endorsement.first_member_number, endorsement.last_member_number) == (PER_LIST + 1, 2 * PER_LIST)
    with unscoped():
        assert MemberList.objects.get(pk=endorsement.member_list_id).kind == ListKind.SUPPLEMENTARY
    # The policy keeps its November issue and totals both lists.
    assert a.policy.issued_at.astimezone(SHANGHAI).month == 11
    assert a.policy.member_count == 2 * PER_LIST and a.policy.last_member_number == 2 * PER_LIST


def test_a_second_endorsement_takes_the_next_number(endorsed: Tree) -> None:
    a = endorsed.a
    with time_machine.travel(datetime(2026, 12, 20, 10, tzinfo=SHANGHAI), tick=False):
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(300)])
    with unscoped():
        numbers = list(
            Endorsement.objects.filter(policy=a.policy).order_by("sequence").values_list("number", flat=True)
        )
        newest = Enrollment.objects.get(policy=a.policy, member_list__endorsement__sequence=2)
    assert numbers == [f"{a.policy.number}-P01", f"{a.policy.number}-P02"]
    assert newest.number == 2 * PER_LIST + 1


def test_member_numbers_are_unique_across_the_policy_and_not_the_workbook_rows(endorsed: Tree) -> None:
    a = endorsed.a
    with unscoped():
        rows = list(Enrollment.objects.filter(policy=a.policy).values_list("number", "row_number"))
    numbers = [number for number, _row in rows]
    assert len(numbers) == 2 * PER_LIST
    assert not [n for n, count in Counter(numbers).items() if count > 1]
    assert sorted(numbers) == list(range(1, 2 * PER_LIST + 1))
    # The two workbooks share their row numbers; the members do not share their numbers.
    assert len({row for _number, row in rows}) == PER_LIST


def test_the_database_refuses_a_member_number_given_twice_on_a_policy(endorsed: Tree) -> None:
    a = endorsed.a
    with unscoped():
        first, second = Enrollment.objects.filter(policy=a.policy).order_by("number")[:2]
        with pytest.raises(IntegrityError), transaction.atomic():
            Enrollment.objects.filter(pk=second.pk).update(number=first.number)
        with pytest.raises(IntegrityError), transaction.atomic():
            Enrollment.objects.filter(pk=second.pk).update(number=None)


def test_a_cancelled_member_s_number_is_never_given_again(endorsed: Tree) -> None:
    from enrollment.services.enrollments import enrollment_cancel

    a = endorsed.a
    with unscoped():
        last = Enrollment.objects.filter(policy=a.policy).order_by("-number").first()
    assert last is not None
    with time_machine.travel(datetime(2026, 12, 15, 10, tzinfo=SHANGHAI), tick=False):
        with org_scope(a.city, actor_id=a.office_user.pk):
            enrollment_cancel(actor=a.office_user, enrollment=last, reason="离职")
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(400)])
    with unscoped():
        newest = Enrollment.objects.filter(policy=a.policy).order_by("-number").first()
    assert newest is not None and newest.number == last.number + 1


def test_the_member_list_pdf_and_the_cards_number_every_member_once(endorsed: Tree) -> None:
    a = endorsed.a
    with unscoped():
        policy = Policy.objects.select_related("org", "period__plan", "issued_by_office").get(pk=a.policy.pk)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(member_list_pdf(policy))).pages)
        cards = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(policy_cards_pdf(policy))).pages)
    numbers = [int(m) for m in re.findall(r"^(\d+)\s*职工\d+", text, flags=re.MULTILINE)]
    assert sorted(numbers) == list(range(1, 2 * PER_LIST + 1)), numbers
    assert text.count(a.endorsement.number) == PER_LIST  # the endorsement each member came with
    card_numbers = re.findall(re.escape(policy.number) + r"-(\d{5})", cards)
    assert sorted(int(n) for n in card_numbers) == list(range(1, 2 * PER_LIST + 1))


def test_december_s_remittance_holds_the_endorsement_and_november_s_does_not(endorsed: Tree) -> None:
    a = endorsed.a
    agent = a.county_agent
    issue_premium = _premium_of(a.policy, endorsed=False)
    with time_machine.travel(JANUARY, tick=False), org_scope(agent.org, actor_id=agent.pk):
        november = remittances.remittance_draft(actor=agent, office=agent.org, month=date(2026, 11, 1))
        december = remittances.remittance_draft(actor=agent, office=agent.org, month=date(2026, 12, 1))
    assert november.amount_due == issue_premium == Decimal("2500.00")
    assert [line["members"] for line in november.lines] == [PER_LIST]
    assert december.amount_due == a.endorsement.premium
    assert [line["members"] for line in december.lines] == [PER_LIST]


def test_the_endorsement_s_premium_is_receivable_in_its_own_month(endorsed: Tree) -> None:
    a = endorsed.a
    with unscoped():
        issued = JournalEntry.objects.get(idempotency_key=f"policy:{a.policy.pk}")
        endorsed_entry = JournalEntry.objects.get(idempotency_key=f"endorsement:{a.endorsement.pk}")
        receivable = JournalLine.objects.filter(entry=endorsed_entry, account=Account.PREMIUM_RECEIVABLE).get()
    assert issued.posted_on == date(2026, 11, 12)
    assert endorsed_entry.posted_on == date(2026, 12, 10)
    assert receivable.debit == a.endorsement.premium


def test_reporting_counts_the_endorsement_s_people_and_premium_in_december(endorsed: Tree) -> None:
    a = endorsed.a
    with time_machine.travel(JANUARY, tick=False), org_scope(a.city, actor_id=a.office_user.pk):
        november = overview(node=a.city, month=date(2026, 11, 1))
        december = overview(node=a.city, month=date(2026, 12, 1))
        board = dashboard(node=a.city, month=date(2026, 12, 1), today=date(2027, 1, 5))
    assert sum(row["people_year"] for row in november["totals"]) == PER_LIST
    assert sum(row["people_year"] for row in december["totals"]) == 2 * PER_LIST
    trends = {t["month"]: t for t in board["trends"]}
    assert trends["2026-11"]["people"] == PER_LIST and trends["2026-12"]["people"] == PER_LIST
    assert Decimal(trends["2026-12"]["premium"]) == a.endorsement.premium
    # The dashboard's year to date and the roll-up agree.
    assert board["headline"]["people"]["value"] == 2 * PER_LIST


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_policy_page_lists_its_endorsement_and_the_endorsement_page_its_members(endorsed: Tree) -> None:
    a = endorsed.a
    policy_page = _login(a.office_user).get(reverse("enrollment:policy_detail", kwargs={"policy_pk": a.policy.pk}))
    assert policy_page.status_code == 200
    body = policy_page.content.decode()
    assert a.endorsement.number in body and "2026年12月10日" in body
    assert f"共 {2 * PER_LIST} 条" in body  # the list's and the endorsement's members, paged
    from openpyxl import load_workbook

    client = _login(a.office_user)
    book = client.get(reverse("enrollment:policy_detail", kwargs={"policy_pk": a.policy.pk}), {"export": "xlsx"})
    numbers = [
        row[0] for row in load_workbook(io.BytesIO(book.content)).worksheets[0].iter_rows(min_row=2, values_only=True)
    ]
    assert len(numbers) == len(set(numbers)) == 2 * PER_LIST
    url = reverse("enrollment:endorsement_detail", kwargs={"endorsement_pk": a.endorsement.pk})
    page = _login(a.office_user).get(url)
    assert page.status_code == 200
    assert a.endorsement.number in page.content.decode() and "2026年12月" in page.content.decode()


def test_a_sibling_office_gets_404_for_the_endorsement(endorsed: Tree) -> None:
    a, b = endorsed.a, endorsed.b
    url = reverse("enrollment:endorsement_detail", kwargs={"endorsement_pk": a.endorsement.pk})
    for stranger in (b.office_user, b.county_agent):
        response = _login(stranger).get(url)
        assert response.status_code == 404
        assert a.endorsement.number not in response.content.decode()


def test_a_supplementary_list_that_cannot_be_approved_changes_nothing(endorsed: Tree) -> None:
    """A list with someone already on the policy is refused at approval with a message, and no
    endorsement, number or premium is written."""
    a = endorsed.a
    with time_machine.travel(datetime(2026, 12, 20, 10, tzinfo=SHANGHAI), tick=False):
        checked = upload_and_check(a.unit_agent, a.unit, a.period, [person(500)])
        with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
            member_list_submit(actor=a.unit_agent, member_list=checked)
        # Meanwhile the same person is enrolled through another list.
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(500, phone="13900000999")])
        with unscoped():
            before = (
                Endorsement.objects.count(),
                Enrollment.objects.count(),
                Policy.objects.get(pk=a.policy.pk).last_member_number,
                JournalEntry.objects.count(),
            )
        with org_scope(a.office_user.org, actor_id=a.office_user.pk), pytest.raises(ValidationError) as refused:
            member_list_approve(actor=a.office_user, member_list=checked)
    assert "名单" in str(refused.value) or "list" in str(refused.value)
    with unscoped():
        after = (
            Endorsement.objects.count(),
            Enrollment.objects.count(),
            Policy.objects.get(pk=a.policy.pk).last_member_number,
            JournalEntry.objects.count(),
        )
    assert after == before


def test_approving_a_list_twice_makes_no_second_endorsement(endorsed: Tree) -> None:
    a = endorsed.a
    with unscoped():
        approved = MemberList.objects.get(pk=a.endorsement.member_list_id)
    with org_scope(a.office_user.org, actor_id=a.office_user.pk), pytest.raises(ValidationError):
        member_list_approve(actor=a.office_user, member_list=approved)
    with unscoped():
        assert Endorsement.objects.filter(policy=a.policy).count() == 1


def test_the_issue_and_the_endorsement_are_received_each_for_its_own_premium(endorsed: Tree) -> None:
    from finance.services import ledger, premiums

    a = endorsed.a
    agent = a.county_agent

    def receivable() -> Decimal:
        with unscoped():
            return ledger.balance_get(office=a.county, plan=a.plan, account=Account.PREMIUM_RECEIVABLE)

    assert receivable() == a.policy.premium == Decimal("5000.00")
    with time_machine.travel(DECEMBER, tick=False), org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(actor=agent, policy=a.policy, received_on=date(2026, 12, 10), bank_reference="B-1")
        assert receivable() == a.endorsement.premium
        with pytest.raises(ValidationError):  # a receipt needs the bank's reference
            premiums.endorsement_premium_receive(
                actor=agent, endorsement=a.endorsement, received_on=date(2026, 12, 10), bank_reference=" "
            )
        assert receivable() == a.endorsement.premium
        premiums.endorsement_premium_receive(
            actor=agent, endorsement=a.endorsement, received_on=date(2026, 12, 10), bank_reference="B-2"
        )
    assert receivable() == 0


@time_machine.travel(datetime(2026, 12, 11, 10, tzinfo=SHANGHAI), tick=False)
def test_the_premiums_page_books_an_endorsement_s_receipt_and_refuses_bad_input(endorsed: Tree) -> None:
    a, b = endorsed.a, endorsed.b
    url = reverse("finance:premiums")
    key = f"endorsement-premium:{a.endorsement.pk}"
    agent = _login(a.county_agent)
    page = agent.get(url)
    assert page.status_code == 200 and a.endorsement.number in page.content.decode()
    stranger = _login(b.county_agent).post(
        url, {"endorsement": a.endorsement.pk, "received_on": "2026-12-10", "bank_reference": "X"}
    )
    assert stranger.status_code == 404
    blank = agent.post(
        url, {"endorsement": a.endorsement.pk, "received_on": "2026-12-10", "bank_reference": ""}, follow=True
    )
    assert "流水号" in blank.content.decode() or "reference" in blank.content.decode()
    with unscoped():
        assert not JournalEntry.objects.filter(idempotency_key=key).exists()
    agent.post(url, {"endorsement": a.endorsement.pk, "received_on": "2026-12-10", "bank_reference": "B-9"})
    with unscoped():
        assert JournalEntry.objects.get(idempotency_key=key).bank_reference == "B-9"
