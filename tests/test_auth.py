from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from mutualaid import twofactor
from mutualaid.audit import audit_event_list
from mutualaid.middleware import LOGIN_AT, REFRESHED_AT, refresh_interval
from mutualaid.models import User
from mutualaid.roles import Role, needs_two_factor, two_factor_roles
from mutualaid.services import enrolment_code_issue, user_set_active
from mutualaid.tenancy import org_scope
from tests.conftest import Tree
from tests.factories import PASSWORD, UserFactory
from tests.twofactor import code_for, confirmed_device


def _login(client: Client, username: str, password: str, next: str = "", **extra: str) -> object:
    data = {"username": username, "password": password} | ({"next": next} if next else {})
    return client.post(reverse("login"), data, **extra)


def test_the_login_page_is_in_chinese(db: None) -> None:
    body = Client().get(reverse("login")).content.decode()
    assert "登录" in body and 'lang="zh-hans"' in body


def test_a_good_password_logs_in_and_lands_home(tree: Tree) -> None:
    client = Client()
    response = _login(client, tree.a.county_agent.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert "欢迎" in home and tree.a.county.name in home


def test_login_gives_a_new_session_id(tree: Tree) -> None:
    client = Client()
    client.get(reverse("login"))
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen-session-id"
    _login(client, tree.a.office_user.username, PASSWORD)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != "attacker-chosen-session-id"


def test_a_wrong_password_says_so_in_chinese(tree: Tree) -> None:
    response = _login(Client(), tree.a.office_user.username, "wrong")
    body = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误" in body


def test_five_failures_lock_the_account_even_with_the_right_password(tree: Tree) -> None:
    username = tree.a.office_user.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), username, "wrong")
    response = _login(Client(), username, PASSWORD)
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()


def test_a_forged_forwarded_for_does_not_reset_the_lockout(tree: Tree) -> None:
    username = tree.a.office_user.username
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), username, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}", REMOTE_ADDR=f"192.0.2.{i}")
    response = _login(Client(), username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429


def test_pages_need_a_login(db: None) -> None:
    response = Client().get(reverse("org_tree"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_past_the_absolute_limit_ends(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    session = client.session
    session[LOGIN_AT] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("org_tree"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login_page = client.get(response["Location"]).content.decode()
    assert "会话已过期" in login_page


def test_reading_pages_pushes_the_idle_limit_forward_at_most_once_per_interval(tree: Tree) -> None:
    assert settings.SESSION_COOKIE_AGE <= 30 * 60 and refresh_interval() <= settings.SESSION_COOKIE_AGE / 30
    client = Client()
    client.force_login(tree.a.county_agent)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(reverse("home"))  # the first request after login stamps its refresh
    expiry = Session.objects.get(session_key=key).expire_date
    for _ in range(3):
        assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date == expiry, "no database write per page"
    session = client.session
    session[REFRESHED_AT] = time.time() - refresh_interval()
    session.save()
    stamped = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date > stamped


def test_disabling_an_account_ends_its_session(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.county_agent)
    assert client.get(reverse("home")).status_code == 200
    with org_scope(tree.a.city):
        user_set_active(user=tree.a.county_agent, active=False, actor=tree.a.office_user)
    assert client.get(reverse("home")).status_code == 302


def test_a_weak_password_is_refused_with_the_reason(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    response = client.post(
        reverse("user_create"),
        {
            "username": "newbie",
            "display_name": "新人",
            "org": tree.a.unit.pk,
            "roles": ["unit_agent"],
            "password": "abcdefghij",
        },
    )
    assert response.status_code == 200
    assert "四类中的三类" in response.content.decode()


def test_an_api_token_reads_its_own_tree(tree: Tree) -> None:
    token = Token.objects.create(user=tree.a.office_user)
    response = Client().get(reverse("api_me", kwargs={"version": "v1"}), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["org"]["code"] == tree.a.city.code


def test_a_bad_token_is_refused(db: None) -> None:
    response = Client().get(reverse("api_org_list", kwargs={"version": "v1"}), HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401


@pytest.mark.parametrize("role_user", ["county_agent", "unit_agent"])
def test_agents_cannot_open_the_accounts_page(tree: Tree, role_user: str) -> None:
    client = Client()
    client.force_login(getattr(tree.a, role_user))
    response = client.get(reverse("user_list"))
    assert response.status_code == 403
    assert "您的角色无权" in response.content.decode()


# Two-factor login ----------------------------------------------------------------------------


def _approver(tree: Tree, role: str = "claims_officer", name: str = "approver") -> User:
    return UserFactory(username=f"xa_{name}", display_name=f"甲XA{name}", org=tree.a.city, roles=[role])


def _code_page_login(client: Client, user: User) -> None:
    """Password, then the code of the user's authenticator, as a person does."""
    response = _login(client, user.username, PASSWORD)
    assert response["Location"].startswith(reverse("otp_verify"))
    verified = client.post(response["Location"], {"token": code_for(confirmed_device(user))})
    assert verified.status_code == 302 and not verified["Location"].startswith("/accounts/")


def test_the_roles_that_approve_claims_or_payments_need_a_second_factor() -> None:
    assert {role.value for role in two_factor_roles()} == {
        "claims_officer",
        "claims_supervisor",
        "compliance",
        "leader",
        "finance_officer",
        "finance_head",
        "office_head",
    }
    assert not needs_two_factor(["unit_agent"]) and not needs_two_factor(["api_client"])
    assert needs_two_factor(["auditor", "finance_officer"])


def _enrolment_code(tree: Tree, user: User) -> str:
    """The code a second person (the province, which did not create the account) hands over."""
    issuer = tree.province_user
    with org_scope(issuer.org, actor_id=issuer.pk):
        return enrolment_code_issue(actor=issuer, user=user).code


def test_an_approver_without_an_authenticator_enrols_with_a_qr_code_and_the_secret(tree: Tree) -> None:
    approver = _approver(tree)
    client = Client()
    response = _login(client, approver.username, PASSWORD)
    assert response["Location"] == reverse("otp_setup") + "?next=%2F"
    first = client.get(response["Location"]).content.decode()
    assert "绑定码" in first and "<svg" not in first  # no secret before the enrolment code
    assert not TOTPDevice.objects.filter(user=approver).exists()
    assert (
        client.post(response["Location"], {"code": _enrolment_code(tree, approver)})["Location"] == response["Location"]
    )
    page = client.get(response["Location"]).content.decode()
    device = TOTPDevice.objects.get(user=approver, confirmed=False)
    assert "设置两步验证" in page and "<svg" in page and 'class="segno"' in page
    assert twofactor.secret_base32(device) in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert client.get(reverse("org_tree"))["Location"].startswith(reverse("otp_setup"))

    wrong = client.post(response["Location"], {"token": "000000"})
    assert wrong.status_code == 200 and "验证码错误" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # the wrong code's delay, not what this test is about
    device.save()
    done = client.post(response["Location"], {"token": code_for(device)})
    assert done.status_code == 302 and done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("org_tree")).status_code == 200


def test_an_approver_with_an_authenticator_reaches_nothing_but_the_code_page_before_the_code(tree: Tree) -> None:
    approver = _approver(tree)
    confirmed_device(approver)
    client = Client()
    response = _login(client, approver.username, PASSWORD, next="/claims/")
    assert response["Location"] == reverse("otp_verify") + "?next=%2Fclaims%2F"
    page = client.get(response["Location"]).content.decode()
    assert "两步验证" in page and "<svg" not in page  # no new secret to an attacker with the password
    assert 'class="sidebar"' not in page  # nor a menu of pages that would not open
    for url in (reverse("home"), reverse("org_tree"), reverse("otp_setup"), reverse("password_change")):
        assert client.get(url)["Location"].startswith(reverse("otp_verify")), url
    api = client.get(reverse("api_me", kwargs={"version": "v1"}))
    assert api.status_code == 403 and "两步验证" in api.json()["detail"]
    done = client.post(response["Location"], {"token": code_for(confirmed_device(approver))})
    assert done["Location"] == "/claims/"
    assert client.get(reverse("api_me", kwargs={"version": "v1"})).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_agents_log_in_with_their_password_alone(tree: Tree) -> None:
    client = Client()
    response = _login(client, tree.a.unit_agent.username, PASSWORD)
    assert response["Location"] == reverse("home")
    assert not TOTPDevice.objects.filter(user=tree.a.unit_agent).exists()


def test_wrong_codes_count_toward_the_lockout_and_end_the_session(tree: Tree) -> None:
    approver = _approver(tree)
    device = confirmed_device(approver)
    client = Client()
    _login(client, approver.username, PASSWORD)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("otp_verify"), {"token": "000000"})
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert response.status_code == 200 and "验证码错误" in response.content.decode()
    assert response.status_code == 429 and "账户已锁定" in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))  # the session is gone
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    assert _login(Client(), approver.username, PASSWORD).status_code == 429  # and so is the password


def test_wrong_codes_lock_the_second_step_across_password_logins(tree: Tree) -> None:
    """Each new password login resets axes' count; the count of wrong codes is the account's."""
    approver = _approver(tree)
    device = confirmed_device(approver)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client = Client()
        assert _login(client, approver.username, PASSWORD).status_code == 302
        response = client.post(reverse("otp_verify"), {"token": "000000"})
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # django-otp's delay aside
    assert response.status_code == 200 and "已锁定" in response.content.decode()
    client = Client()
    assert _login(client, approver.username, PASSWORD).status_code == 302  # the password opens the first step
    refused = client.post(reverse("otp_verify"), {"token": code_for(device)})
    assert refused.status_code == 200 and "已锁定" in refused.content.decode() and "30 分钟" in refused.content.decode()
    assert client.get(reverse("org_tree"))["Location"].startswith(reverse("otp_verify"))
    cooled = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    User.auth_objects.filter(pk=approver.pk).update(otp_failed_at=cooled)
    assert client.post(reverse("otp_verify"), {"token": code_for(device)}).status_code == 302
    assert User.auth_objects.get(pk=approver.pk).otp_failures == 0


def test_the_authenticator_slows_down_after_a_wrong_code(tree: Tree) -> None:
    approver = _approver(tree)
    device = confirmed_device(approver)
    client = Client()
    _login(client, approver.username, PASSWORD)
    # The clock stands still: on a busy machine a second may pass between the two codes and the
    # check, and the one-second wait after a wrong code would be over.
    with time_machine.travel(timezone.now(), tick=False):
        client.post(reverse("otp_verify"), {"token": "000000"})
        right_but_too_soon = client.post(reverse("otp_verify"), {"token": code_for(device)})
        assert right_but_too_soon.status_code == 200 and "验证码错误" in right_but_too_soon.content.decode()
        device.refresh_from_db()
        assert device.throttling_failure_count == 1 and not device.verify_is_allowed()[0]


def test_an_office_head_resets_a_lost_authenticator_and_the_trail_records_it(tree: Tree) -> None:
    approver = _approver(tree)
    confirmed_device(approver)
    theirs = Client()
    theirs.force_login(approver)
    assert theirs.get(reverse("org_tree")).status_code == 200

    head = Client()
    head.force_login(tree.a.office_user)
    assert "重置验证器" in head.get(reverse("user_list")).content.decode()
    response = head.post(reverse("user_otp_reset", kwargs={"user_pk": approver.pk}))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=approver).exists()
    # The session verified with the old device is no longer verified: back to enrolment.
    assert theirs.get(reverse("org_tree"))["Location"].startswith(reverse("otp_setup"))
    with org_scope(tree.a.city):
        resets = [row for row in audit_event_list() if row.action == "otp_reset"]
    assert [(row.actor, row.object_label) for row in resets] == [(tree.a.office_user.display_name, approver.username)]
    assert "验证器已重置" in head.get(reverse("audit_list")).content.decode()


def test_another_office_cannot_reset_an_authenticator(tree: Tree) -> None:
    approver = _approver(tree)
    confirmed_device(approver)
    stranger = Client()
    stranger.force_login(tree.b.office_user)
    assert stranger.post(reverse("user_otp_reset", kwargs={"user_pk": approver.pk})).status_code == 404
    agent = Client()
    agent.force_login(tree.a.county_agent)
    assert agent.post(reverse("user_otp_reset", kwargs={"user_pk": approver.pk})).status_code == 403
    assert TOTPDevice.objects.filter(user=approver, confirmed=True).exists()


def test_the_api_clients_token_needs_no_second_factor(tree: Tree) -> None:
    client_user = UserFactory(username="xa_machine", org=tree.a.city, roles=[Role.API_CLIENT])
    token = Token.objects.create(user=client_user)
    response = Client().get(reverse("api_me", kwargs={"version": "v1"}), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


# Re-authentication ----------------------------------------------------------------------------


def _age_confirmation(client: Client, seconds: int) -> None:
    session = client.session
    session[twofactor.CONFIRMED_AT] = time.time() - seconds
    session.save()


def test_revealing_an_id_number_asks_for_password_and_code_again_after_the_limit(tree: Tree) -> None:
    from enrollment.models import Enrollment
    from tests.lists import enrol, offer_plan, person

    offer = offer_plan(tree.a.office_user)
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(7)])
    with org_scope(tree.a.unit):
        enrollment = Enrollment.objects.get(policy=policy)
    url = reverse("enrollment:member", kwargs={"enrollment_pk": enrollment.pk})
    client = Client()
    client.force_login(tree.a.office_user)
    _age_confirmation(client, settings.REAUTH_SECONDS + 1)

    response = client.post(url, {"action": "reveal"})
    assert response.status_code == 302 and response["Location"] == reverse("reauth") + "?" + urlencode({"next": url})
    with org_scope(tree.a.city):
        assert not [r for r in audit_event_list() if r.action == "id_revealed"]
    form = client.get(response["Location"]).content.decode()
    assert "确认身份" in form and 'name="password"' in form and 'name="token"' in form

    wrong = client.post(response["Location"], {"password": "wrong", "token": "123456"})
    assert wrong.status_code == 200 and "密码错误" in wrong.content.decode()
    device = confirmed_device(tree.a.office_user)
    back = client.post(response["Location"], {"password": PASSWORD, "token": code_for(device)})
    assert back.status_code == 302 and back["Location"] == url  # to the page; the POST is not replayed
    with org_scope(tree.a.city):
        assert not [r for r in audit_event_list() if r.action == "id_revealed"]
    page = client.post(url, {"action": "reveal"}).content.decode()
    assert person(7)["id_number"] in page


def test_the_login_with_password_and_code_counts_as_a_confirmation_and_lasts_reauth_seconds(tree: Tree) -> None:
    approver = _approver(tree)
    confirmed_device(approver)
    client = Client()
    _code_page_login(client, approver)
    assert twofactor.confirmed_recently(_request_with(client))
    _age_confirmation(client, settings.REAUTH_SECONDS + 1)
    assert not twofactor.confirmed_recently(_request_with(client))


def test_someone_without_a_second_factor_confirms_with_the_password_alone(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.county_agent)
    _age_confirmation(client, settings.REAUTH_SECONDS + 1)
    form = client.get(reverse("reauth") + "?next=/").content.decode()
    assert 'name="password"' in form and 'name="token"' not in form
    back = client.post(reverse("reauth") + "?next=/", {"password": PASSWORD})
    assert back["Location"] == "/"
    assert twofactor.confirmed_recently(_request_with(client))


def test_a_reauth_page_never_sends_elsewhere(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.county_agent)
    back = client.post(reverse("reauth") + "?next=https://evil.example/", {"password": PASSWORD})
    assert back["Location"] == reverse("home")


def test_approving_a_payment_asks_for_password_and_code_again_after_the_limit(tree: Tree) -> None:
    from decimal import Decimal

    from finance.models import PaymentRequest
    from finance.services import payments as finance_payments
    from tests import claimkit

    tree.a.with_enrollment(100)  # the policy's premium leaves room for a management fee
    people = claimkit.reviewers(tree.a.city, "xa")
    with org_scope(tree.a.city, actor_id=people.finance.pk):
        payment = finance_payments.payment_prepare(
            actor=people.finance,
            plan=tree.a.plan,
            kind="management_fee",
            amount=Decimal("1.00"),
            payee="办公用品供应商",
            purpose="办公用品",
        )
    url = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
    client = Client()
    client.force_login(tree.a.office_user)
    _age_confirmation(client, settings.REAUTH_SECONDS + 1)
    response = client.post(url, {"action": "approve", "version": str(payment.version)})
    assert response["Location"] == reverse("reauth") + "?" + urlencode({"next": url})
    with org_scope(tree.a.city):
        assert not PaymentRequest.objects.get(pk=payment.pk).approvals.exists()
    client.post(response["Location"], {"password": PASSWORD, "token": code_for(confirmed_device(tree.a.office_user))})
    client.post(url, {"action": "approve", "version": str(payment.version)})
    with org_scope(tree.a.city):
        assert PaymentRequest.objects.get(pk=payment.pk).approvals.count() == 1


def _request_with(client: Client) -> object:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    return request


# Password age --------------------------------------------------------------------------------


def test_every_way_of_setting_a_password_starts_its_age_again(tree: Tree) -> None:
    user = tree.a.county_agent
    User.auth_objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=400))
    user.refresh_from_db()
    user.set_password("Another-Passw0rd-long")
    assert timezone.now() - user.password_changed_at < timedelta(seconds=5)


def test_an_old_password_must_be_changed_before_anything_else(tree: Tree) -> None:
    user = tree.a.county_agent
    old = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    User.auth_objects.filter(pk=user.pk).update(password_changed_at=old)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = client.get(response["Location"]).content.decode()
    assert f"已超过 {settings.PASSWORD_MAX_AGE_DAYS} 天" in page
    assert client.get(reverse("api_me", kwargs={"version": "v1"})).status_code == 403
    changed = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Fresh-Passw0rd-2026", "new_password2": "Fresh-Passw0rd-2026"},
    )
    assert changed.status_code == 302
    user.refresh_from_db()
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)
    assert client.get(reverse("home")).status_code == 200


def test_an_approver_with_an_old_password_enrols_first_then_changes_it(tree: Tree) -> None:
    approver = _approver(tree)
    old = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    User.auth_objects.filter(pk=approver.pk).update(password_changed_at=old)
    client = Client()
    setup = _login(client, approver.username, PASSWORD)["Location"]
    assert client.get(setup).status_code == 200
    client.post(setup, {"code": _enrolment_code(tree, approver)})
    device = TOTPDevice.objects.get(user=approver)
    done = client.post(setup, {"token": code_for(device)})
    assert client.get(done["Location"])["Location"] == reverse("password_change")


def test_a_password_within_its_age_is_left_alone(tree: Tree) -> None:
    user = tree.a.county_agent
    recent = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 1)
    User.auth_objects.filter(pk=user.pk).update(password_changed_at=recent)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


# Sessions and tokens ---------------------------------------------------------------------------


def test_a_session_idle_past_the_limit_ends_and_activity_keeps_it_alive(tree: Tree) -> None:
    with override_settings(SESSION_COOKIE_AGE=2):
        client = Client()
        client.force_login(tree.a.county_agent)
        for _ in range(3):  # each request within the idle limit pushes the end further away
            assert client.get(reverse("home")).status_code == 200
            time.sleep(1.2)
        time.sleep(2.2)
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_disabled_accounts_api_token_stops_working(tree: Tree) -> None:
    token = Token.objects.create(user=tree.a.county_agent)
    url = reverse("api_me", kwargs={"version": "v1"})
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    with org_scope(tree.a.city):
        user_set_active(user=tree.a.county_agent, active=False, actor=tree.a.office_user)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
