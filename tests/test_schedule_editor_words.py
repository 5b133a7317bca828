"""The schedule editor speaks to a clerk in words: no label, help, choice or heading of the form
shows a JSON key (`threshold_basis`, `upto`, `band`, `true`, `null`); the keys stay in the JSON
view and its reference, folded away for power users."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from claims.benefits.schedule import FIELD_ORDER
from claims.schedule_fields import _CHOICES
from claims.schedule_words import CHOICE_LABELS, FORM_HELP
from tests.conftest import Tree

FOLDED = re.compile(r"<details.*?</details>|<textarea.*?</textarea>|<script.*?</script>", re.S)
KEYS = {*FIELD_ORDER, *(value for values in _CHOICES.values() for value in values), "upto", "null", "true", "false"}


def _read(body: str) -> str:
    """What a person reads of a page: no folded JSON, no tags or attributes, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", FOLDED.sub(" ", body)))


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_field_and_choice_has_words() -> None:
    shown = [name for name in FIELD_ORDER if name != "waiting_days"]
    assert sorted(FORM_HELP) == sorted(shown)
    assert {value for values in _CHOICES.values() for value in values} <= set(CHOICE_LABELS)


def test_the_editor_shows_no_json_key_where_a_person_reads(claims_ready: Tree) -> None:
    url = reverse("claims:schedule_edit", kwargs={"period_pk": claims_ready.a.period.pk})
    body = _login(claims_ready.a.office_user).get(url, {"preset": "jinhua"}).content.decode()
    assert 'data-testid="schedule-reference"' in body and "<code>threshold_basis</code>" in body  # kept, folded
    fields = body.split('data-testid="schedule-fields"', 1)[1].split("<details", 1)[0]
    assert "分段给付比例" in fields and "四舍五入到分" in fields  # a label and a choice, in words
    read = _read(fields)
    assert re.findall(r"[A-Za-z_]{2,}", read) == [], "English or a key in the form's labels and help"
    words = set(re.findall(r"[A-Za-z_]+", _read(body)))
    assert not words & KEYS, sorted(words & KEYS)


def test_a_refused_row_names_its_field_in_words(claims_ready: Tree) -> None:
    url = reverse("claims:schedule_edit", kwargs={"period_pk": claims_ready.a.period.pk})
    client = _login(claims_ready.a.office_user)
    page = client.post(url, {"segments_upto_1": "5000", "action": "fields_preview", "covered_care": ["inpatient"]})
    error = page.content.decode().split('data-testid="error-segments">', 1)[1].split("</div>", 1)[0]
    assert "分段给付比例" in error and "segments" not in error and "ratio" not in error
