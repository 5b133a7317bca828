"""Selects are written by the product's form renderer in Python (mutualaid/formrender.py,
`select_html`), not through Django's three templates: the same characters, whatever the choices
hold (markup, quotes, safe text, translations, numbers, dates, groups, several chosen)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from mutualaid.formrender import OPTION, SELECT, FormRenderer, select_html
from mutualaid.models import Organisation
from tests.conftest import Tree

HOSTILE = [
    ("", "---------"),
    ("a&b", "A <b>\"bold\"</b> & 'quoted'"),
    ("<script>", mark_safe("<em>safe</em>")),  # a label a widget may already mark safe
    (3, gettext_lazy("Plan")),
    (12345, 12345),
    (1.5, 1.5),
    (datetime.date(2026, 12, 7), datetime.date(2026, 12, 7)),
    (None, "none"),
]


def _django(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None = None) -> str:
    context = widget.get_context(name, value, attrs)
    return DjangoTemplates().render(SELECT, context)


def _ours(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None = None) -> str:
    return select_html(widget.get_context(name, value, attrs)["widget"])


WIDGETS = [
    (forms.Select(choices=HOSTILE), "a&b"),
    (forms.Select(choices=HOSTILE, attrs={"aria-label": '选 "x"', "required": True, "disabled": False}), 3),
    (forms.Select(choices=[("Group <1>", HOSTILE[:3]), ("", HOSTILE[3:]), (gettext_lazy("Plan"), [(9, "nine")])]), 9),
    (forms.SelectMultiple(choices=HOSTILE), ["a&b", "3"]),
    (forms.NullBooleanSelect(), True),
    (forms.Select(choices=[]), None),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("case", range(len(WIDGETS)))
def test_a_select_is_written_exactly_as_django_s_templates_write_it(case: int, language: str) -> None:
    widget, value = WIDGETS[case]
    with translation.override(language):
        assert _ours(widget, "field<1>", value, {"id": "id_x"}) == _django(widget, "field<1>", value, {"id": "id_x"})


def test_a_form_s_model_choices_and_its_other_widgets_are_drawn_as_before(tree: Tree) -> None:
    class _Form(forms.Form):
        office = forms.ModelChoiceField(queryset=Organisation.objects.with_scopes_disabled().order_by("path"))
        offices = forms.ModelMultipleChoiceField(queryset=Organisation.objects.with_scopes_disabled(), required=False)
        kind = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
        day = forms.DateField(widget=forms.SelectDateWidget(years=[2026]))

    form = _Form(data={"office": tree.a.city.pk, "offices": [tree.a.city.pk, tree.b.city.pk]})
    ours, django = form.renderer, DjangoTemplates()
    assert isinstance(ours, FormRenderer)
    for name in form.fields:
        field = form[name]
        context = field.field.widget.get_context(field.html_name, field.value(), field.build_widget_attrs({}))
        template = field.field.widget.template_name
        assert ours.render(template, context) == django.render(template, context), name
    assert "甲XA西安市代办处" in str(form["office"]) and "selected>甲XA西安市代办处" in str(form["office"])


def test_an_option_drawn_by_another_template_is_left_to_the_templates() -> None:
    class _Option(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    context = _Option(choices=[("a", "A")]).get_context("x", "a", {})
    assert context["widget"]["optgroups"][0][1][0]["template_name"] != OPTION
    assert FormRenderer().render(SELECT, context) == DjangoTemplates().render(SELECT, context)
