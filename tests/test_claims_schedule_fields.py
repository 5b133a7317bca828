"""Issue 17, the schedule editor field by field: every field of a schedule has its own input, a
mistake is shown beside the field it concerns and saves nothing, a good form saves the rules the
engine reads, and the JSON view stays for power users."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import translation

from claims.benefits.editor import PRESETS
from claims.benefits.schedule import FIELD_ORDER, Schedule
from claims.models import BenefitSchedule
from claims.schedule_fields import fields_of, read_form
from mutualaid.tenancy import unscoped
from tests.conftest import Tree

D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _query(values: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = value
    return query


JINHUA_FORM = {
    "segments_upto_1": "5000",
    "segments_ratio_1": "0.5",
    "segments_upto_2": "10000",
    "segments_ratio_2": "0.6",
    "segments_upto_3": "",
    "segments_ratio_3": "0.7",
    "deductible_ratio": "0.5",
    "cap_per_share_per_period": "30000",
    "segment_mode": "progressive",
    "rounding": "fen_half_up",
    "threshold_basis": "per_admission",
    "base": "self_paid",
    "stay_before_cover": "not_paid",
    "band_lump_sum_mode": "add",
    "settlement_cycle": "period",
    "caps_include_allowance": "on",
    "covered_care": ["inpatient"],
}


def test_every_schedule_field_but_the_periods_waiting_period_has_an_input_with_a_label() -> None:
    names = [field.name for field in fields_of({})]
    assert names == [name for name in FIELD_ORDER if name != "waiting_days"]
    assert all(field.label and field.help for field in fields_of({}))


def test_the_form_reads_back_into_the_schedule_the_preset_gives() -> None:
    data, errors, problem = read_form(_query(JINHUA_FORM))
    assert not errors and not problem
    assert Schedule.from_dict(data) == Schedule.from_dict(PRESETS["jinhua"].schedule)


def test_each_preset_shown_in_the_form_reads_back_to_the_same_schedule() -> None:
    for name, item in PRESETS.items():
        posted: dict[str, Any] = {}
        for field in fields_of(item.schedule):
            if field.kind == "rows":
                for number, (upto, other) in enumerate(field.value, start=1):
                    posted[f"{field.name}_upto_{number}"] = upto
                    posted[f"{field.name}_{field.column}_{number}"] = other
            elif field.kind == "bool":
                if field.value:
                    posted[field.name] = "on"
            else:
                posted[field.name] = field.value
        data, errors, problem = read_form(_query(posted))
        assert not errors and not problem, (name, errors, problem)
        assert Schedule.from_dict(data) == Schedule.from_dict(item.schedule), name


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"segments_ratio_2": "1.5"}, "segments", "ratio"),
        ({"segments_ratio_2": ""}, "segments", "row 2"),
        ({"segments_upto_2": "4000"}, "segments", "Segment 2"),
        ({"cap_per_share_per_period": "三万"}, "cap_per_share_per_period", "cap_per_share_per_period"),
        ({"minimum_payout": "40000"}, "cap_per_share_per_period", "minimum_payout"),
        ({"cap_per_cycle": "2000"}, "cap_per_cycle", "settlement_cycle"),
        ({"eligibility": '{"genders": ["X"]}'}, "eligibility", "eligibility.genders"),
        ({"add_ons": '[{"label": "补助", "amount": 1'}, "add_ons", "JSON"),
        ({"band_lump_sums_upto_1": "500", "band_lump_sums_amount_1": "0"}, "band_lump_sums", "open-ended"),
        ({"covered_care": []}, "covered_care", "covered_care"),
    ],
)
def test_a_mistake_is_named_beside_its_field(changes: dict[str, Any], field: str, words: str) -> None:
    _data, errors, problem = read_form(_query({**JINHUA_FORM, **changes}))
    assert not problem
    assert field in errors and words in errors[field], errors


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_editor_saves_field_by_field_and_refuses_a_bad_field_without_saving(claims_ready: Tree) -> None:
    url = reverse("claims:schedule_edit", kwargs={"period_pk": claims_ready.a.period.pk})
    head = _login(claims_ready.a.office_user)
    page = head.get(url, {"preset": "jinhua"}).content.decode()
    assert 'name="segments_ratio_2" value="0.6"' in page and 'id="in-cap_per_share_per_period" value="30000"' in page
    assert 'aria-label="分段给付比例 2: 比例"' in page and ": ratio" not in page  # a row's inputs are named in Chinese
    with unscoped():
        before = BenefitSchedule.objects.get(period=claims_ready.a.period).version
    bad = head.post(url, {**JINHUA_FORM, "segments_ratio_2": "1.5", "action": "fields_save"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert 'data-testid="error-segments"' in body and 'value="1.5"' in body
    with unscoped():
        assert BenefitSchedule.objects.get(period=claims_ready.a.period).version == before
    preview = head.post(url, {**JINHUA_FORM, "action": "fields_preview", "self_paid": "6000", "deductible_part": "800"})
    # 5,000 × 50% + 1,000 × 60% + 800 × 50% = 3,500.
    assert 'data-testid="preview"' in preview.content.decode() and "3,500.00" in preview.content.decode()
    saved = head.post(
        url, {**JINHUA_FORM, "add_ons": '[{"label": "首次住院补助", "amount": 200}]', "action": "fields_save"}
    )
    assert saved.status_code == 302
    with unscoped():
        row = BenefitSchedule.objects.get(period=claims_ready.a.period)
    assert row.version == before + 1
    assert row.rules["add_ons"] == [{"label": "首次住院补助", "amount": "200", "per": "claim"}]
    assert row.rules["cap_per_share_per_period"] == "30000"
    # A county agent reads the form but cannot save it.
    agent = _login(claims_ready.a.county_agent)
    assert "disabled" in agent.get(url).content.decode()
    agent.post(url, {**JINHUA_FORM, "action": "fields_save"})
    with unscoped():
        assert BenefitSchedule.objects.get(period=claims_ready.a.period).version == before + 1
