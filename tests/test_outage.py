"""A request whose session cannot be saved because the database went away answers 503 with
Retry-After, like any other request of the outage, not Django's 400 (`SessionInterrupted`); any
other bad request answers the product's 400 page, Chinese first."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from django.test import Client, RequestFactory

from mutualaid import outage
from tests.conftest import Tree


def _lost_connection_save(self: SessionStore, must_create: bool = False) -> None:
    """What the database sessions' save raises when the server is gone: UpdateError, raised while
    the driver's OperationalError is handled."""
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        raise UpdateError from None


def test_a_session_not_saved_because_the_database_went_away_answers_503(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    client.force_login(tree.a.office_user)  # the first page then writes the session's login time
    monkeypatch.setattr(SessionStore, "save", _lost_connection_save)
    page = client.get("/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "服务暂时不可用" in page.content.decode()
    api = client.get("/api/v1/periods/")
    assert api.status_code == 503 and "detail" in api.json()


def test_a_session_not_saved_for_another_reason_and_any_other_bad_request_answer_400_in_chinese(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deleted_meanwhile(self: SessionStore, must_create: bool = False) -> None:
        raise UpdateError  # the session was deleted by another request (a logout in another tab)

    client = Client()
    client.force_login(tree.a.office_user)
    monkeypatch.setattr(SessionStore, "save", deleted_meanwhile)
    page = client.get("/")
    assert page.status_code == 400 and "请求有误" in page.content.decode()
    request = RequestFactory().get("/")
    answer = outage.bad_request(request, SuspiciousOperation("bad"))
    assert answer.status_code == 400 and "请求有误" in answer.content.decode()
