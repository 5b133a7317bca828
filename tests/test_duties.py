"""Separation of duties (issue 14: one office head created accounts with the finance-head and
leader roles, enrolled their authenticators and approved a payment three times as three people).

A role that approves is held only once a second person confirms its grant; a new approver's
authenticator needs an enrolment code that the account's creator never receives; a payment's
signers may not all owe their approving role to the same person; an office above cannot reject
a child office's payment it may not approve."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from finance.models import PaymentRequest
from finance.services import payments
from mutualaid.audit import audit_event_list
from mutualaid.models import AuditNote, GrantStatus, RoleGrant, User
from mutualaid.roles import Role, approving_roles
from mutualaid.services import (
    enrolment_code_issue,
    role_grant,
    role_grant_confirm,
    role_grant_refuse,
    user_create,
)
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import PASSWORD, UserFactory
from tests.twofactor import code_from_secret


def _manager(tree: Tree, name: str, *, at: str = "a") -> User:
    """Another office head (users.manage) of city A, or of the province with at="province"."""
    org = tree.province if at == "province" else getattr(tree, at).city
    return UserFactory(username=f"{name}_head", display_name=f"{name}主任", org=org, roles=[Role.OFFICE_HEAD])


def _create(actor: User, username: str, roles: list[str], org: object = None) -> User:
    with org_scope(actor.org, actor_id=actor.pk):  # type: ignore[arg-type]
        return user_create(
            username=username, password=PASSWORD, org=org or actor.org, roles=roles, display_name=username, actor=actor
        )


def _pending(user: User, role: str) -> RoleGrant:
    with unscoped():
        return RoleGrant.objects.get(user=user, role=role, status=GrantStatus.PENDING)


def _confirm(actor: User, user: User, role: str) -> object:
    with org_scope(actor.org, actor_id=actor.pk):  # type: ignore[arg-type]
        return role_grant_confirm(actor=actor, grant=_pending(user, role))


def _grant_rows(page: str) -> str:
    """The body of the grants' table: its rows and their buttons, not the filters above it."""
    table = page.split('data-testid="pending-grants"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody", 1)[1]


def _fresh(user: User) -> User:
    with unscoped():
        return User.auth_objects.get(pk=user.pk)


def test_the_roles_that_approve_or_decide_need_a_second_person() -> None:
    assert {role.value for role in approving_roles()} == {
        "claims_officer",
        "claims_supervisor",
        "compliance",
        "leader",
        "finance_officer",
        "finance_head",
        "office_head",
    }


def test_an_approving_role_given_at_creation_is_held_only_after_a_second_person_confirms(tree: Tree) -> None:
    head = tree.a.office_user
    new = _create(head, "xa_new_finance_head", ["finance_head", "auditor"])
    new = _fresh(new)
    assert new.roles == ["auditor"] and not new.has_perm("finance.approve_finance")
    grant = _pending(new, "finance_head")
    assert grant.granted_by_id == head.pk

    with org_scope(head.org, actor_id=head.pk), pytest.raises(PermissionDenied) as caught:
        role_grant_confirm(actor=head, grant=grant)  # never the granter
    assert "第二人" in str(caught.value)
    with org_scope(new.org, actor_id=new.pk), pytest.raises(PermissionDenied):
        role_grant_confirm(actor=new, grant=grant)  # never the grantee (who cannot manage accounts anyway)
    stranger = tree.b.office_user
    with org_scope(stranger.org, actor_id=stranger.pk), pytest.raises(RoleGrant.DoesNotExist):
        RoleGrant.objects.get(pk=grant.pk)  # another city does not even see it
    assert _fresh(new).roles == ["auditor"]

    second = _manager(tree, "xa_second")  # a second manager of the same office may confirm
    _confirm(second, new, "finance_head")
    new = _fresh(new)
    assert new.roles == ["auditor", "finance_head"] and new.has_perm("finance.approve_finance")
    with org_scope(tree.a.city):
        changes = [row for row in audit_event_list(model="mutualaid.RoleGrant")]
    assert {row.actor for row in changes} == {head.display_name, second.display_name}
    from mutualaid.audit_display import field_label, value_text

    status = field_label("mutualaid.RoleGrant", "status")
    pending, confirmed = (value_text("mutualaid.RoleGrant", "status", v) for v in ("pending", "confirmed"))
    assert status != "status" and pending != "pending", "the audit page shows labels, not column names and keys"
    assert any((status, pending, confirmed) in row.changes for row in changes)


def test_a_later_grant_waits_too_and_the_granter_may_withdraw_it(tree: Tree) -> None:
    head = tree.a.office_user
    clerk = _create(head, "xa_clerk", ["auditor"])
    with org_scope(head.org, actor_id=head.pk):
        assert role_grant(actor=head, user=clerk, role="leader") is not None
        with pytest.raises(ValidationError):  # one pending grant per role
            role_grant(actor=head, user=clerk, role="leader")
        role_grant_refuse(actor=head, grant=_pending(clerk, "leader"))
    assert _fresh(clerk).roles == ["auditor"]
    with org_scope(head.org, actor_id=head.pk):
        assert role_grant(actor=head, user=clerk, role="leader") is not None
    _confirm(tree.province_user, clerk, "leader")  # the office above confirms
    assert "leader" in _fresh(clerk).roles


def test_the_pending_grants_page_offers_confirm_to_a_second_person_only(tree: Tree) -> None:
    head = tree.a.office_user
    client = Client()
    client.force_login(head)
    response = client.post(
        reverse("user_create"),
        {
            "username": "xa_leader2",
            "display_name": "新领导",
            "org": tree.a.city.pk,
            "roles": ["leader"],
            "password": "Fresh-Passw0rd-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("grant_list")
    page = client.get(reverse("grant_list")).content.decode()
    assert "待确认的授权" in page and "新领导" in page and "您授予了该角色" in page
    pending = _grant_rows(page)
    assert "新领导" in pending and "待确认" in pending
    assert 'value="confirm"' not in pending and 'value="refuse"' in pending  # the granter may withdraw only
    leader = User.auth_objects.get(username="xa_leader2")
    refused = client.post(
        reverse("user_grant_decide", kwargs={"user_pk": leader.pk}), {"role": "leader", "action": "confirm"}
    )
    assert refused.status_code == 302 and _pending(leader, "leader").status == GrantStatus.PENDING

    above = Client()
    above.force_login(tree.province_user)
    pending = _grant_rows(above.get(reverse("grant_list")).content.decode())
    assert "新领导" in pending and 'value="confirm"' in pending
    shown = above.post(
        reverse("user_grant_decide", kwargs={"user_pk": leader.pk}), {"role": "leader", "action": "confirm"}
    )
    assert shown.status_code == 200 and "绑定码" in shown.content.decode()
    assert re.search(r'data-testid="enrolment-code">\d{5} \d{5}<', shown.content.decode())
    assert _fresh(leader).roles == ["leader"]


def _grants_book(client: Client, **query: str) -> list[list[object]]:
    response = client.get(reverse("grant_list"), {**query, "export": "xlsx"})
    assert response.status_code == 200 and "filename*=UTF-8''%E" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_grants_page_sorts_filters_pages_and_downloads_exactly_what_it_shows(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pending grants first (the page's work); the confirmed and refused ones by their status or
    all at once; sorted by a column, paged with the total, and the download the same rows; a
    sibling city's office in the filter shows nothing."""
    from mutualaid.list_views import GrantListView

    head = tree.a.office_user
    for name in ("xa_g1", "xa_g2", "xa_g3"):
        _create(head, name, ["leader"])
    refused = _create(head, "xa_g4", ["finance_head"])
    _confirm(tree.province_user, _fresh(User.auth_objects.get(username="xa_g1")), "leader")
    with org_scope(tree.province_user.org, actor_id=tree.province_user.pk):
        role_grant_refuse(actor=tree.province_user, grant=_pending(refused, "finance_head"))
    _create(tree.b.office_user, "bj_g1", ["leader"])  # city B's: never on city A's page

    client = Client()
    client.force_login(tree.province_user)
    page = client.get(reverse("grant_list")).content.decode()
    assert 'data-testid="list-total">共 3 条' in page  # xa_g2, xa_g3 and bj_g1 await confirmation
    assert '<option value="pending" selected>' in page
    book = _grants_book(client)
    assert book[0][:5] == ["姓名", "角色", "用户名", "所属组织", "状态"] and "确认或拒绝" not in book[0]
    assert sorted(row[2] for row in book[1:]) == ["bj_g1", "xa_g2", "xa_g3"]
    assert {row[4] for row in book[1:]} == {"待确认"}

    assert [row[2] for row in _grants_book(client, status="confirmed") if row[2] == "xa_g1"] == ["xa_g1"]
    assert [row[2] for row in _grants_book(client, status="refused")[1:]] == ["xa_g4"]
    everything = _grants_book(client, status="", sort="username", office=str(tree.a.city.pk))
    names = [row[2] for row in everything[1:]]
    assert names == sorted(names) and {"xa_g1", "xa_g2", "xa_g3", "xa_g4"} <= set(names) and "bj_g1" not in names
    assert [row[2] for row in _grants_book(client, status="", sort="-username", office=str(tree.a.city.pk))[1:]] == (
        names[::-1]
    )
    assert [row[2] for row in _grants_book(client, role="finance_head", status="")[1:]] == ["xa_g4"]
    confirmed = client.get(reverse("grant_list"), {"status": "confirmed", "q": "xa_g1"}).content.decode()
    assert "xa_g1" in _grant_rows(confirmed) and 'value="confirm"' not in _grant_rows(confirmed)

    with CaptureQueriesContext(connection) as three:
        client.get(reverse("grant_list"))
    _create(head, "xa_g5", ["leader"])
    _create(head, "xa_g6", ["compliance"])
    with CaptureQueriesContext(connection) as five:
        assert "共 5 条" in client.get(reverse("grant_list")).content.decode()
    assert len(five) == len(three)  # whether each row's buttons show: no query per row

    monkeypatch.setattr(GrantListView, "page_size", 2)
    second = client.get(reverse("grant_list"), {"sort": "username", "page": "2"}).content.decode()
    assert "共 5 条" in second and "第 2 页" in second
    assert "xa_g3" in _grant_rows(second) and "xa_g5" in _grant_rows(second) and "bj_g1" not in _grant_rows(second)
    assert len(_grants_book(client, sort="username", page="2")) == 6  # every page in the download

    mine = Client()
    mine.force_login(head)
    theirs = mine.get(reverse("grant_list"), {"office": tree.b.city.pk}).content.decode()
    assert 'role="alert"' in theirs and "bj_g1" not in theirs
    assert len(_grants_book(mine, office=str(tree.b.city.pk))) == 1


def test_a_new_approver_enrols_only_with_the_code_the_second_person_received(tree: Tree) -> None:
    head = tree.a.office_user
    leader = _create(head, "xa_new_leader", ["leader"])
    issued = _confirm(tree.province_user, leader, "leader")
    assert issued is not None

    # The creator knows the password, but the setup page draws no secret without the code.
    client = Client()
    response = client.post(reverse("login"), {"username": leader.username, "password": PASSWORD})
    assert response["Location"].startswith(reverse("otp_setup"))
    page = client.get(response["Location"]).content.decode()
    assert "绑定码" in page and "<svg" not in page and not TOTPDevice.objects.filter(user=leader).exists()
    wrong = client.post(reverse("otp_setup"), {"code": "12345 67890"})
    assert wrong.status_code == 200 and "绑定码错误" in wrong.content.decode()
    with pytest.raises(PermissionDenied) as caught, org_scope(head.org, actor_id=head.pk):
        enrolment_code_issue(actor=head, user=leader)  # nor may the creator issue another code
    assert "创建了该账户" in str(caught.value)

    # The approver types the code they were told, then sees the secret and confirms it.
    assert client.post(reverse("otp_setup"), {"code": issued.code}).status_code == 302  # type: ignore[attr-defined]
    page = client.get(reverse("otp_setup")).content.decode()
    secret = re.search(r'data-testid="otp-secret">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    done = client.post(reverse("otp_setup"), {"token": code_from_secret(secret)})
    assert done.status_code == 302 and TOTPDevice.objects.get(user=leader).confirmed
    assert client.get(reverse("org_tree")).status_code == 200

    # The code is used up: after a reset, the same code opens nothing.
    with org_scope(tree.a.city, actor_id=head.pk):
        from mutualaid.twofactor import totp_device_reset

        totp_device_reset(user=leader, actor=head)
    again = Client()
    again.post(reverse("login"), {"username": leader.username, "password": PASSWORD})
    assert "绑定码错误" in again.post(reverse("otp_setup"), {"code": issued.code}).content.decode()  # type: ignore[attr-defined]


def test_the_creator_cannot_issue_the_enrolment_code_but_a_second_person_can(tree: Tree) -> None:
    head = tree.a.office_user
    officer = _create(head, "xa_new_officer", ["finance_officer"])
    second = _manager(tree, "xa_second")
    _confirm(second, officer, "finance_officer")
    client = Client()
    client.force_login(head)
    waiting = client.get(reverse("grant_list")).content.decode().split('data-testid="awaiting-enrolment"', 1)[1]
    assert officer.username in waiting and "创建了该账户" in waiting
    client.post(reverse("user_enrolment_code", kwargs={"user_pk": officer.pk}))
    with unscoped():
        from mutualaid.models import EnrolmentCode

        assert EnrolmentCode.objects.filter(user=officer, issued_by=head).count() == 0
    other = Client()
    other.force_login(second)
    shown = other.post(reverse("user_enrolment_code", kwargs={"user_pk": officer.pk}))
    assert shown.status_code == 200 and re.search(r'data-testid="enrolment-code">\d{5} \d{5}<', shown.content.decode())


# Payments ------------------------------------------------------------------------------------


def _payment(tree: Tree, preparer: User) -> PaymentRequest:
    with org_scope(preparer.org, actor_id=preparer.pk):  # type: ignore[arg-type]
        return payments.payment_prepare(
            actor=preparer,
            plan=tree.a.plan,
            kind="management_fee",
            amount=Decimal("1.00"),
            payee="办公用品公司",
            purpose="办公用品",
        )


def _approve(user: User, payment: PaymentRequest) -> PaymentRequest:
    with org_scope(user.org, actor_id=user.pk):  # type: ignore[arg-type]
        current = PaymentRequest.objects.get(pk=payment.pk)
        return payments.payment_approve(actor=user, payment=current, version=current.version)


@pytest.fixture
def books(tree: Tree) -> Tree:
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
    return tree


def test_one_office_head_cannot_make_the_approvers_of_a_payment(books: Tree) -> None:
    """The red team's path: the head makes a finance head and a leader and signs as all three."""
    head = books.a.reviewers.head
    finance_head = _create(head, "xa_fake_finance_head", ["finance_head"])
    leader = _create(head, "xa_fake_leader", ["leader"])
    payment = _approve(head, _payment(books, books.a.reviewers.finance))
    for account in (finance_head, leader):
        with pytest.raises(PermissionDenied):
            _approve(_fresh(account), payment)
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == "pending"


def test_a_payment_s_signers_may_not_all_owe_their_role_to_the_same_person(books: Tree) -> None:
    granter = books.province_user
    confirmer = _manager(books, "p_second", at="province")
    signers = {}
    for role in ("office_head", "finance_head", "leader"):
        account = _create(granter, f"xa_made_{role}", [role], org=books.a.city)
        _confirm(confirmer, account, role)
        signers[role] = _fresh(account)
    payment = _approve(signers["office_head"], _payment(books, books.a.reviewers.finance))
    payment = _approve(signers["finance_head"], payment)
    with pytest.raises(PermissionDenied) as caught:
        _approve(signers["leader"], payment)
    assert "同一人" in str(caught.value) and granter.display_name in str(caught.value)
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == "pending"
        assert AuditNote.objects.filter(action="finance.approve", actor=signers["leader"]).exists()
    # A leader whose role someone else granted completes it.
    assert _approve(books.a.reviewers.leader, payment).status == "approved"


def test_an_office_above_cannot_reject_a_child_office_s_payment(books: Tree) -> None:
    payment = _payment(books, books.a.reviewers.finance)
    above = books.province_user  # holds every office role, at the province
    with org_scope(above.org, actor_id=above.pk):
        current = PaymentRequest.objects.get(pk=payment.pk)
        with pytest.raises(PermissionDenied):
            payments.payment_reject(actor=above, payment=current, version=current.version, reason="越级驳回")
    client = Client()
    client.force_login(above)
    client.post(
        reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk}),
        {"action": "reject", "version": payment.version, "reason": "越级驳回"},
    )
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == "pending"
        assert AuditNote.objects.filter(action="finance.reject", actor=above).count() == 2
    head = books.a.reviewers.head  # the office's own head still may
    with org_scope(head.org, actor_id=head.pk):
        current = PaymentRequest.objects.get(pk=payment.pk)
        assert (
            payments.payment_reject(actor=head, payment=current, version=current.version, reason="缺会议纪要").status
            == "rejected"
        )
