from __future__ import annotations

import importlib.util
from types import ModuleType

import polib
import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Tree
from tests.translations import CATALOGUE, ROOT


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_catalogue", ROOT / "scripts" / "check_catalogue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _checker()
HEADER = (
    'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
)


def _problems(entries: str) -> list[str]:
    return check.catalogue_problems(polib.pofile(HEADER + entries))


def test_every_message_has_a_chinese_translation_with_its_placeholders() -> None:
    assert check.catalogue_problems(polib.pofile(str(CATALOGUE))) == []


def test_the_checker_accepts_a_complete_catalogue() -> None:
    assert _problems('#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "欢迎，%(name)s"\n') == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('msgid "Claims"\nmsgstr ""\n', "untranslated: 'Claims'"),
        ('#, fuzzy\nmsgid "Claims"\nmsgstr "理赔"\n', "fuzzy (a guess of msgmerge"),
        (
            '#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "欢迎，%(nom)s"\n',
            "placeholders differ between the English and the Chinese: 'Welcome, %(name)s'",
        ),
        ('#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "欢迎"\n', "placeholders differ"),
        ('#, python-format\nmsgid "%(n)s rows"\nmsgstr "%(n)s 行，100%"\n', "a bare % in the Chinese"),
        ('msgid "Rows"\nmsgstr "%(n)s 行"\n', "the Chinese has a placeholder the English does not: 'Rows'"),
        (
            '#, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] ""\n',
            "untranslated: '%(n)s day'",
        ),
        (
            '#, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
            'msgstr[0] "%(n)s 天"\nmsgstr[1] "%(n)s 天"\n',
            "plural forms: Chinese has one form",
        ),
    ],
)
def test_the_checker_names_each_message_that_is_not_ready(entry: str, problem: str) -> None:
    problems = _problems(entry)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_the_checker_refuses_a_fuzzy_header() -> None:
    assert _problems("") == []
    fuzzy = polib.pofile("#, fuzzy\n" + HEADER)
    assert "the header is marked fuzzy: remove the flag" in check.catalogue_problems(fuzzy)


def test_a_message_that_makemessages_added_and_nobody_committed_is_named() -> None:
    committed = CATALOGUE.read_text(encoding="utf-8")
    dated = committed.replace("POT-Creation-Date: ", "POT-Creation-Date: 1999-01-01 00:00+0800 was ", 1)
    assert check.catalogue_changes(committed, dated) == []
    added = committed + '\nmsgid "A brand new message"\nmsgstr ""\n'
    assert check.catalogue_changes(committed, added) == [
        "new message, not in the committed catalogue: 'A brand new message'"
    ]
    assert check.catalogue_changes(added, committed) == [
        "no longer used, still in the committed catalogue: 'A brand new message'"
    ]


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
