from __future__ import annotations

from pathlib import Path

import polib
from django.test import Client
from django.urls import reverse

from tests.conftest import Tree

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation() -> None:
    po = polib.pofile(str(PO))
    untranslated = [
        e.msgid
        for e in po
        if not e.obsolete and ("fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values())))
    ]
    assert not untranslated


def test_pages_are_chinese_by_default_and_english_on_request(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    assert "组织机构" in client.get(reverse("org_tree")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("org_tree")})
    assert response.status_code == 302
    page = client.get(reverse("org_tree")).content.decode()
    assert "Organisations" in page and 'lang="en"' in page


def test_the_language_switch_is_on_every_page(db: None) -> None:
    body = Client().get(reverse("login")).content.decode()
    assert 'name="language" value="en"' in body and 'name="language" value="zh-hans"' in body


def test_an_english_browser_still_gets_chinese_until_the_user_switches(tree: Tree) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(tree.a.office_user)
    assert "组织机构" in client.get(reverse("org_tree")).content.decode()
