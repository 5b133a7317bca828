"""Member lists from upload to policy, with every check, on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from enrollment.models import Enrollment, ListStatus, MemberList, Policy
from enrollment.services.approval import member_list_approve
from enrollment.services.enrollments import enrollment_cancel
from enrollment.services.member_lists import (
    member_list_check,
    member_list_file_read,
    member_list_submit,
    member_list_upload,
)
from enrollment.services.plans import period_create, period_update, plan_create
from mutualaid import pii
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import Offer, enrol, offer_plan, person, upload_and_check


@pytest.fixture
def offer(tree: Tree) -> Offer:
    return offer_plan(tree.province_user)


def codes(member_list: MemberList, row: int) -> set[str]:
    return {p["code"] for p in member_list.cell_problems if p["row"] == row}


def test_a_clean_list_becomes_a_policy_with_its_enrollments(tree: Tree, offer: Offer) -> None:
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(i) for i in range(5)])
    assert policy.number == f"{tree.a.city.code}-2026-000001"
    assert (policy.member_count, policy.share_count, policy.premium) == (5, 5, Decimal("250.00"))
    with org_scope(tree.a.unit):
        enrollments = list(Enrollment.objects.filter(policy=policy).order_by("number"))
    assert [e.name for e in enrollments] == [f"职工{i}" for i in range(5)]
    assert enrollments[0].id_masked == pii.mask_id(person(0)["id_number"])
    assert pii.decrypt(enrollments[0].id_cipher) == person(0)["id_number"]


def test_policy_numbers_have_no_gaps(tree: Tree, offer: Offer) -> None:
    first = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(1)])
    second = enrol(tree.b.unit_agent, tree.b.office_user, tree.b.unit, offer.period, [person(2)])
    assert [first.number[-6:], second.number[-6:]] == ["000001", "000001"]  # one sequence per office
    with unscoped():
        sibling = enrol(tree.a.county_agent, tree.province_user, tree.a.unit, offer.period, [person(3)])
    assert sibling.number == first.number  # a second list of the unit joins its policy


def test_no_id_number_or_phone_is_stored_in_clear(tree: Tree, offer: Offer) -> None:
    row = person(7)
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [row])
    with connection.cursor() as cursor:
        cursor.execute("SELECT encode(id_cipher, 'escape'), encode(phone_cipher, 'escape') FROM enrollment_enrollment")
        stored = " ".join(" ".join(r) for r in cursor.fetchall())
    assert row["id_number"] not in stored and row["phone"] not in stored


@pytest.mark.parametrize(
    ("change", "column_code"),
    [
        ({"id_number": "610113198001010000"}, "bad_check_digit"),
        ({"gender": "男"}, "gender_mismatch"),
        ({"name": None}, "name_missing"),
        ({"phone": "12345"}, "bad_phone"),
        ({"shares": 4}, "too_many_shares"),
        ({"basic_insurance": "否"}, "no_basic_insurance"),
        ({"plan": "另一个项目"}, "wrong_plan"),
        ({"born": date(1950, 5, 5)}, "age_out_of_range"),
    ],
)
def test_each_row_problem_is_reported_on_its_row(tree: Tree, offer: Offer, change: dict, column_code: str) -> None:  # type: ignore[type-arg]
    born = change.pop("born", None)
    bad = person(1, born=born, **change)
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0), bad, person(2)])
    assert checked.status == ListStatus.INVALID
    assert column_code in codes(checked, 3)  # Excel row 3: the second data row
    assert codes(checked, 2) == set() and codes(checked, 4) == set()
    with org_scope(tree.a.unit):
        assert not Enrollment.objects.exists()


def test_messages_are_chinese_and_name_what_to_do(tree: Tree, offer: Offer) -> None:
    checked = upload_and_check(
        tree.a.unit_agent, tree.a.unit, offer.period, [person(0, id_number="610113198001010000")]
    )
    message = checked.cell_problems[0]["message"]
    assert "校验" in message or "出生" in message


def test_the_same_person_twice_in_a_file_is_caught(tree: Tree, offer: Offer) -> None:
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0), person(1), person(0)])
    assert "duplicate_in_file" in codes(checked, 4)


def test_a_unit_enrols_everyone_with_the_same_shares(tree: Tree, offer: Offer) -> None:
    rows = [person(0, shares=2), person(1, shares=2), person(2, shares=1)]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, rows)
    assert "different_shares" in codes(checked, 4) and not codes(checked, 2)


def test_a_person_enrolled_in_another_city_is_refused_without_naming_the_unit(tree: Tree, offer: Offer) -> None:
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(5)])
    checked = upload_and_check(tree.b.unit_agent, tree.b.unit, offer.period, [person(5), person(6)])
    problem = next(p for p in checked.cell_problems if p["row"] == 2)
    assert problem["code"] == "enrolled_elsewhere"
    assert tree.a.unit.name not in problem["message"] and tree.a.city.name in problem["message"]
    own_view = upload_and_check(tree.a.county_agent, tree.a.unit, offer.period, [person(5)])
    assert tree.a.unit.name in own_view.cell_problems[0]["message"]


def test_a_person_held_in_another_office_s_plan_is_found_where_the_periods_overlap_and_only_there(
    tree: Tree, offer: Offer
) -> None:
    """The search reads the periods whose days overlap the list's, of any plan of the kind in the
    province (enrollment.selectors.period_ids_overlapping): city B's own plan, a year from July,
    overlaps the province's 2026; its next year, from July 2027, does not."""
    from enrollment.models import PlanKind

    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(7)])
    head = tree.b.office_user
    with org_scope(head.org, actor_id=head.pk):
        plan = plan_create(actor=head, name="乙市住院互助", kind=PlanKind.INPATIENT)
        terms = {"premium_per_share": Decimal("40"), "min_participation": Decimal("0")}
        overlapping = period_create(
            actor=head, plan=plan, label="2026-2027", starts_on=date(2026, 7, 1), ends_on=date(2027, 6, 30), **terms
        )
        later = period_create(
            actor=head, plan=plan, label="2027-2028", starts_on=date(2027, 7, 1), ends_on=date(2028, 6, 30), **terms
        )
    checked = upload_and_check(tree.b.unit_agent, tree.b.unit, overlapping, [person(7, plan="乙市住院互助")])
    assert codes(checked, 2) == {"enrolled_elsewhere"}
    checked = upload_and_check(tree.b.unit_agent, tree.b.unit, later, [person(7, plan="乙市住院互助")])
    assert "enrolled_elsewhere" not in codes(checked, 2), checked.cell_problems


def test_mutually_exclusive_plans_are_refused(tree: Tree, offer: Offer) -> None:
    from enrollment.models import PlanKind

    with org_scope(tree.province):
        other = plan_create(actor=tree.province_user, name="津贴加重疾", kind=PlanKind.ALLOWANCE_CRITICAL)
        other.exclusive_with.add(offer.plan)
        other_period = period_create(
            actor=tree.province_user,
            plan=other,
            label="2026",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            premium_per_share=Decimal("30"),
            min_participation=Decimal("0"),
        )
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(8)])
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, other_period, [person(8, plan="津贴加重疾")])
    assert codes(checked, 2) == {"exclusive_plan"}


def test_participation_below_the_minimum_holds_the_whole_list(tree: Tree) -> None:
    offer = offer_plan(tree.province_user, min_participation=Decimal("0.750"))
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(i) for i in range(3)])
    assert checked.status == ListStatus.INVALID
    assert checked.list_problems[0]["code"] == "participation_too_low"
    assert "225" in checked.list_problems[0]["message"]  # 75% of 300 staff
    with org_scope(tree.a.unit), pytest.raises(ValidationError):
        member_list_submit(actor=tree.a.unit_agent, member_list=checked, passed_only=True)


def test_only_the_rows_that_passed_go_when_the_agent_chooses_so(tree: Tree, offer: Offer) -> None:
    rows = [person(0), person(1, name=None), person(2)]
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, rows)
    with org_scope(tree.a.unit):
        with pytest.raises(ValidationError):
            member_list_submit(actor=tree.a.unit_agent, member_list=checked)
        member_list_submit(actor=tree.a.unit_agent, member_list=checked, passed_only=True)
    with org_scope(tree.a.city):
        policy = member_list_approve(actor=tree.a.office_user, member_list=checked)
    assert policy.member_count == 2


def test_the_same_file_twice_is_recognised(tree: Tree, offer: Offer) -> None:
    from tests.lists import member_workbook

    data = member_workbook([person(0)])
    with org_scope(tree.a.unit):
        first, created = member_list_upload(
            actor=tree.a.unit_agent, unit=tree.a.unit, period=offer.period, data=data, filename="a.xlsx"
        )
        again, created_again = member_list_upload(
            actor=tree.a.unit_agent, unit=tree.a.unit, period=offer.period, data=data, filename="b.xlsx"
        )
    assert created and not created_again and again.pk == first.pk


def test_a_file_that_is_not_a_workbook_fails_with_a_chinese_message(tree: Tree, offer: Offer) -> None:
    with org_scope(tree.a.unit):
        member_list, _ = member_list_upload(
            actor=tree.a.unit_agent,
            unit=tree.a.unit,
            period=offer.period,
            data=b"%PDF-1.4 not a list",
            filename="名单.pdf",
        )
        checked = member_list_check(member_list=member_list, viewer=tree.a.unit)
    assert checked.status == ListStatus.FAILED
    assert "xlsx" in checked.list_problems[0]["message"]


def test_a_period_is_frozen_once_a_policy_is_issued(tree: Tree, offer: Offer) -> None:
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(0)])
    with org_scope(tree.province), pytest.raises(ValidationError):
        period_update(actor=tree.province_user, period=offer.period, premium_per_share=Decimal("60"))
    # Nor moved to another plan: its members would then hold another kind than the plan's.
    with org_scope(tree.province):
        other = plan_create(actor=tree.province_user, name="另一住院计划", kind=offer.plan.kind)
        with pytest.raises(ValidationError):
            period_update(actor=tree.province_user, period=offer.period, plan=other)


def test_approving_a_list_whose_people_were_enrolled_meanwhile_stores_nothing(tree: Tree, offer: Offer) -> None:
    first = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(0), person(1)])
    second = upload_and_check(tree.b.unit_agent, tree.b.unit, offer.period, [person(1), person(2)])
    for agent, checked in ((tree.a.unit_agent, first), (tree.b.unit_agent, second)):
        with org_scope(agent.org):
            member_list_submit(actor=agent, member_list=checked)
    with org_scope(tree.province):
        member_list_approve(actor=tree.province_user, member_list=first)
        with pytest.raises(ValidationError) as error:
            member_list_approve(actor=tree.province_user, member_list=second)
    assert "重新" in " ".join(error.value.messages) or "again" in " ".join(error.value.messages)
    with unscoped():
        assert Enrollment.objects.count() == 2
        assert not Policy.objects.filter(org=tree.b.unit).exists()


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_cannot_both_enrol_a_person(tree: Tree, offer: Offer) -> None:
    lists = []
    for agent, unit, rows in (
        (tree.a.unit_agent, tree.a.unit, [person(0), person(1)]),
        (tree.b.unit_agent, tree.b.unit, [person(1), person(2)]),
    ):
        checked = upload_and_check(agent, unit, offer.period, rows)
        with org_scope(agent.org):
            member_list_submit(actor=agent, member_list=checked)
        lists.append(checked)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(member_list: MemberList) -> None:
        try:
            barrier.wait()
            with org_scope(tree.province):
                member_list_approve(actor=tree.province_user, member_list=member_list)
            outcomes.append("approved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(m,)) for m in lists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    with unscoped():
        assert Enrollment.objects.filter(id_hash=pii.blind_index(person(1)["id_number"])).count() == 1


def test_the_premium_is_split_into_union_unit_and_member_parts(tree: Tree) -> None:
    offer = offer_plan(
        tree.province_user, subsidy_kind="fixed", subsidy_amount=Decimal("15.00"), unit_ratio=Decimal("0.500")
    )
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(0, shares=2)])
    assert (policy.premium, policy.union_part, policy.unit_part, policy.member_part) == (
        Decimal("100.00"),
        Decimal("15.00"),
        Decimal("42.50"),
        Decimal("42.50"),
    )


def test_key_rotation_keeps_old_values_readable(settings) -> None:  # type: ignore[no-untyped-def]
    old = pii.encrypt("610113198001010011")
    current = settings.PII_ENCRYPTION_KEYS
    settings.PII_ENCRYPTION_KEYS = "2:" + "Q" * 43 + "," + current
    pii._keys.cache_clear()
    try:
        new = pii.encrypt("610113198001010011")
        assert pii.key_id_of(new) == 2 and pii.key_id_of(old) == 1
        assert pii.decrypt(old) == pii.decrypt(new) == "610113198001010011"
    finally:
        settings.PII_ENCRYPTION_KEYS = current
        pii._keys.cache_clear()


def test_an_hr_system_uploads_a_list_and_reads_the_report_as_json(  # type: ignore[no-untyped-def]
    tree: Tree, offer: Offer, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tests.lists import member_workbook

    token = Token.objects.create(user=tree.a.unit_agent).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    upload = SimpleUploadedFile("hr.xlsx", member_workbook([person(0), person(1, name=None)]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/member-lists/", {"unit": tree.a.unit.pk, "period": offer.period.pk, "file": upload}
        )
    assert response.status_code == 201, response.content
    report = client.get(f"/api/v1/member-lists/{response.json()['id']}/").json()
    assert report["status"] == "invalid" and report["error_row_count"] == 1
    assert report["cell_problems"][0]["row"] == 3 and report["cell_problems"][0]["column"] == "name"


def test_the_api_never_returns_a_full_id_number(tree: Tree, offer: Offer) -> None:
    from django.test import Client

    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(4)])
    client = Client()
    client.force_login(tree.a.office_user)
    body = client.get("/api/v1/enrollments/").content.decode()
    assert person(4)["id_number"] not in body and pii.mask_id(person(4)["id_number"]) in body


def test_revealing_a_full_id_number_is_recorded_in_the_audit_trail(tree: Tree, offer: Offer) -> None:
    from django.test import Client

    from mutualaid.audit import audit_event_list

    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(6)])
    with org_scope(tree.a.unit):
        enrollment = Enrollment.objects.get(policy=policy)
    url = f"/enrollment/members/{enrollment.pk}/"
    agent = Client()
    agent.force_login(tree.a.unit_agent)
    agent.post(url, {"action": "reveal"})
    office = Client()
    office.force_login(tree.a.office_user)
    page = office.post(url, {"action": "reveal"}).content.decode()
    assert person(6)["id_number"] in page
    with org_scope(tree.a.city):
        reveals = [r for r in audit_event_list() if r.action == "id_revealed"]
    assert [r.actor for r in reveals] == [tree.a.office_user.display_name]  # the agent was refused
    assert "查看完整证件号码" in office.get("/audit/").content.decode()


def test_a_cancellation_keeps_its_reason_and_date(tree: Tree, offer: Offer) -> None:
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(7)])
    with org_scope(tree.a.unit):
        enrollment = Enrollment.objects.get(policy=policy)
        enrollment_cancel(actor=tree.a.unit_agent, enrollment=enrollment, reason="离职", on=date(2026, 6, 30))
        enrollment.refresh_from_db()
        with pytest.raises(ValidationError):
            enrollment_cancel(actor=tree.a.unit_agent, enrollment=enrollment, reason="再次")
    assert (enrollment.status, enrollment.cancelled_on, enrollment.cancel_reason) == (
        "cancelled",
        date(2026, 6, 30),
        "离职",
    )


def test_the_uploaded_workbook_is_stored_encrypted(tree: Tree, offer: Offer) -> None:
    checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(9)])
    with open(checked.file.path, "rb") as stored:
        raw = stored.read()
    assert not raw.startswith(b"PK") and person(9)["id_number"].encode() not in raw
    assert member_list_file_read(member_list=checked).startswith(b"PK")


def test_a_renewal_drops_leavers_keeps_the_rest_and_shows_the_rate(tree: Tree, offer: Offer) -> None:
    from django.test import Client

    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(i) for i in range(4)])
    with org_scope(tree.province):
        next_period = period_create(
            actor=tree.province_user,
            plan=offer.plan,
            label="2027年度",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            premium_per_share=Decimal("55.00"),
            min_participation=Decimal("0"),
        )
    with org_scope(tree.a.unit):
        members = list(Enrollment.objects.filter(policy=policy).order_by("number"))
    client = Client()
    client.force_login(tree.a.unit_agent)
    response = client.post(
        f"/enrollment/policies/{policy.pk}/renew/",
        {"period": next_period.pk, "keep": [m.pk for m in members[:3]]},
    )
    assert response.status_code == 302
    with org_scope(tree.a.unit):
        renewal = MemberList.objects.get(kind="renewal")
        checked = member_list_check(member_list=renewal, viewer=tree.a.unit)
        assert checked.status == ListStatus.VALID and checked.row_count == 3
        member_list_submit(actor=tree.a.unit_agent, member_list=checked)
    with org_scope(tree.a.city):
        renewed = member_list_approve(actor=tree.a.office_user, member_list=checked)
    assert renewed.premium == Decimal("165.00")
    page = Client()
    page.force_login(tree.a.office_user)
    body = page.get(f"/enrollment/policies/{renewed.pk}/").content.decode()
    assert "75.0%" in body and "上期 4 人中续保 3 人" in body
    listing = page.get("/enrollment/policies/").content.decode()
    assert "75.0%" in listing  # the office sees each unit's renewal rate in the list of policies


def test_the_list_of_policies_takes_the_same_queries_however_long(  # type: ignore[no-untyped-def]
    tree: Tree, offer: Offer, django_assert_max_num_queries
) -> None:
    from django.test import Client

    for i, (agent, unit) in enumerate(((tree.a.unit_agent, tree.a.unit), (tree.b.unit_agent, tree.b.unit))):
        office = tree.a.office_user if unit == tree.a.unit else tree.b.office_user
        enrol(agent, office, unit, offer.period, [person(50 + i)])
    client = Client()
    client.force_login(tree.province_user)
    # The list page (mutualaid/listing.py): session, user, authenticator, the filters' choices (offices,
    # plans, periods), the count, one page of rows with their renewal rates: 15 however many policies.
    with django_assert_max_num_queries(15):
        body = client.get("/enrollment/policies/").content.decode()
    assert body.count("/enrollment/policies/") >= 2


def test_a_staged_subsidy_goes_by_the_day_the_unit_sent_the_list_not_the_approval(tree: Tree) -> None:
    """Linhe (seed 002): 30 yuan for members who join by 31 July, 20 by 30 September, none after.
    A list sent on 31 July and approved in August keeps July's 30 yuan."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from enrollment.services.member_lists import member_list_submit

    stages = [{"until": "2026-07-31", "amount": "30.00"}, {"until": "2026-09-30", "amount": "20.00"}]
    offer = offer_plan(tree.province_user, subsidy_kind="staged", subsidy_stages=stages)
    shanghai = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 7, 31, 23, 30, tzinfo=shanghai), tick=False):
        checked = upload_and_check(tree.a.unit_agent, tree.a.unit, offer.period, [person(1)])
        with org_scope(tree.a.unit_agent.org, actor_id=tree.a.unit_agent.pk):
            member_list_submit(actor=tree.a.unit_agent, member_list=checked)
    with (
        time_machine.travel(datetime(2026, 8, 5, 10, tzinfo=shanghai), tick=False),
        org_scope(tree.a.office_user.org, actor_id=tree.a.office_user.pk),
    ):
        policy = member_list_approve(actor=tree.a.office_user, member_list=checked)
    assert policy.union_part == Decimal("30.00")
    with time_machine.travel(datetime(2026, 8, 6, 9, tzinfo=shanghai), tick=False):
        late = upload_and_check(tree.b.unit_agent, tree.b.unit, offer.period, [person(2)])
        with org_scope(tree.b.unit_agent.org, actor_id=tree.b.unit_agent.pk):
            member_list_submit(actor=tree.b.unit_agent, member_list=late)
        with org_scope(tree.province_user.org, actor_id=tree.province_user.pk):
            later = member_list_approve(actor=tree.province_user, member_list=late)
    assert later.union_part == Decimal("20.00")
