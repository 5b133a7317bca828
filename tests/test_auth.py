from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from mutualaid.middleware import LOGIN_AT
from mutualaid.services import user_set_active
from mutualaid.tenancy import org_scope
from tests.conftest import Tree
from tests.factories import PASSWORD


def _login(client: Client, username: str, password: str, **extra: str) -> object:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_the_login_page_is_in_chinese(db: None) -> None:
    body = Client().get(reverse("login")).content.decode()
    assert "登录" in body and 'lang="zh-hans"' in body


def test_a_good_password_logs_in_and_lands_home(tree: Tree) -> None:
    client = Client()
    response = _login(client, tree.a.office_user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert "欢迎" in home and tree.a.city.name in home


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


def test_the_idle_limit_is_a_short_cookie_refreshed_on_each_request() -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE <= 30 * 60


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
