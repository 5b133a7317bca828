"""Every word the audit page shows about a record is Chinese: the kind of record, each field's
label and each stored choice, for every model the trail covers; a claim's calculation reads as
its lines with amounts, not as the JSON it is kept in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mutualaid.audit import audit_model_choices
from mutualaid.audit_display import field_label, value_text
from tests.conftest import Tree

# File formats are named as they are written: a person reads "xlsx" and "PDF" as they are.
FORMAT_NAMES = re.compile(r"\b(xlsx|PDF|csv)\b")


def _english(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", FORMAT_NAMES.sub("", text)))


@pytest.fixture
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def _tracked() -> list[type[models.Model]]:
    return [apps.get_model(label) for label, _name in audit_model_choices()]


def test_the_trail_covers_the_models_of_every_app() -> None:
    covered = {model._meta.app_label for model in _tracked()}
    assert {"mutualaid", "enrollment", "claims", "finance", "reporting"} <= covered
    assert len(_tracked()) > 30


def test_every_kind_of_record_and_every_field_of_it_has_a_chinese_label(chinese: None) -> None:
    english = []
    for model in _tracked():
        label = model._meta.label
        if _english(str(model._meta.verbose_name)):
            english.append(f"{label}: {model._meta.verbose_name}")
        for field in model._meta.concrete_fields:
            for column in {field.name, field.attname}:  # a diff names a foreign key by its column
                shown = field_label(label, column)
                if _english(shown):
                    english.append(f"{label}.{column}: {shown}")
    assert not english, "labels the audit page shows in English:\n" + "\n".join(english)


def test_every_stored_choice_and_yes_or_no_reads_in_chinese(chinese: None) -> None:
    english = []
    for model in _tracked():
        for field in model._meta.concrete_fields:
            values = [code for code, _label in field.flatchoices] if field.choices else []
            values += [True, False] if isinstance(field, models.BooleanField) else []
            for value in values:
                shown = value_text(model._meta.label, field.name, value)
                if _english(shown):
                    english.append(f"{model._meta.label}.{field.name}={value!r}: {shown}")
    assert not english, "values the audit page shows in English:\n" + "\n".join(english)


def test_a_column_the_model_leaves_unlabelled_is_named_and_a_labelled_one_keeps_its_label(chinese: None) -> None:
    assert field_label("enrollment.MemberList", "checked_versions") == "核查时已审批的名单数"
    assert field_label("enrollment.MemberList", "row_count") == "行数"
    assert field_label("enrollment.MemberList", "uploaded_by_id") == "上传人"
    assert field_label("claims.Claim", "calculation") == "计算明细"
    assert field_label("claims.Claim", "status") == "状态"  # its own verbose name


def test_json_values_ciphers_money_and_dates_read_in_words(chinese: None) -> None:
    calculation = [{"label": "住院医疗互助金", "amount": "1830"}, {"label": "首次住院补助", "amount": 200}]
    assert value_text("claims.Claim", "calculation", calculation) == "住院医疗互助金：1,830.00；首次住院补助：200.00"
    checked = value_text("enrollment.MemberList", "checked_versions", {"inpatient": 3})
    assert checked == "职工住院医疗互助保障：3"
    assert value_text("claims.Claim", "id_hash", "9f86d081884c7d65") == "（不显示）"
    assert value_text("claims.Claim", "flags", ["2026-12-06"]) == "2026年12月6日"
    unknown = value_text("mutualaid.Unknown", "x", {"amount": "12345.6", "reason": "重复"})
    assert unknown == "金额：12,345.60，原因：重复"


def test_a_claim_s_calculation_change_reads_as_lines_with_amounts_on_the_audit_page(tree: Tree) -> None:
    tree.a.with_enrollment(100).with_claim()
    client = Client()
    client.force_login(tree.a.office_user)
    response = client.get(reverse("audit_list"), {"model": "claims.Claim", "action": "changed"})
    assert response.status_code == 200
    html = response.content.decode()
    [change] = re.findall(r'<span class="field">计算明细</span>：([^<]*)</div>', html)[:1]
    before, after = change.split(" → ")
    assert before == "—"
    lines = after.split("；")  # each line of the settlement: its words, then its amount as money
    assert lines and all(re.fullmatch(r".*[\u4e00-\u9fff].*：\d{1,3}(,\d{3})*\.\d{2}", line) for line in lines), after
    for raw in ("label", "amount", "calculation", "{", "version", "cap left after", "schedule version"):
        assert raw not in html.split("<tbody", 1)[1], raw
