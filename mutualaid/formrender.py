"""The words of a select's empty choice, in one place for every form and filter of the product.

Django writes an empty choice as "---------" (a ModelChoiceField's `empty_label`, the blank
choice of a model field with choices, django-filter's `EMPTY_CHOICE_LABEL`): a row of dashes no
office clerk reads as anything. Here it says what it means, in the active language:

- a filter's empty choice narrows nothing: 全部 (`ALL`), set by `word_empty_choices` on the
  forms of the list pages' filters (mutualaid/listing.py `ListFilter`) and of the other filter
  forms (the audit log, the notices);
- a form's choice that must be made: 请选择… (`CHOOSE`); one that may be left empty: （不指定）
  (`NOT_CHOSEN`). Every form is drawn by `FormRenderer` (settings.FORM_RENDERER), which words
  any empty choice still written with dashes by whether its field is required, so that no form,
  the product's or a library's, can show the dashes.

A choice that already has words of its own ("全部保障项目", "所有代办处和代办点") keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DASHES = "---------"  # Django's BLANK_CHOICE_DASH label and ModelChoiceField's default empty_label

ALL = pgettext_lazy("the empty choice of a filter", "All")
CHOOSE = _("Choose…")
NOT_CHOSEN = _("(not chosen)")


def word_empty_choices(form: forms.BaseForm, label: str | Promise = ALL) -> None:
    """Every empty choice of `form` still written with dashes gets `label` (a filter's: 全部)."""
    for field in form.fields.values():
        if hasattr(field, "empty_label"):  # a ModelChoiceField, django-filter's ChoiceField
            if field.empty_label == DASHES:
                field.empty_label = label
                if not isinstance(field, forms.ModelChoiceField):
                    # django-filter's choices reach the widget as a list made when they were set
                    # (a model's choices stay a query the widget runs when it is drawn).
                    field.widget.choices = list(getattr(field, "choices", []))
        elif isinstance(field, forms.ChoiceField):
            choices = list(cast("Iterable[tuple[Any, Any]]", field.choices))
            if any(value in ("", None) and text == DASHES for value, text in choices):
                field.choices = [
                    (value, label if value in ("", None) and text == DASHES else text) for value, text in choices
                ]


class FormRenderer(DjangoTemplates):
    """Django's renderer (the same templates), whose selects word an empty choice written with
    dashes: 请选择… where the choice must be made, （不指定） where it may be left empty; and which
    writes a select's markup itself (see `select_html`)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and "optgroups" in widget:
            label = CHOOSE if widget.get("required") else NOT_CHOSEN
            for _group, options, _index in widget["optgroups"]:
                for option in options:
                    if option.get("label") == DASHES and option.get("value") in ("", None):
                        option["label"] = label
            if template_name == SELECT and _plain_options(widget):
                return select_html(widget)
        return super().render(template_name, context, request)


SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
_CONTEXT = Context(autoescape=True)  # what a form's template renders a value in (read, never changed)


def select_html(widget: dict[str, Any]) -> SafeString:
    """Django's select.html with its select_option.html and attrs.html, written in Python: the
    same characters (tests/test_form_render.py compares them), without three templates and an
    include per option, which took a filter of the province's offices milliseconds to draw."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 # every value is escaped as the templates escape it


def _plain_options(widget: dict[str, Any]) -> bool:
    """Whether every option is drawn by Django's own option template (a widget may name another)."""
    groups = widget["optgroups"]
    return all(option.get("template_name") == OPTION for _group, options, _index in groups for option in options)


def _text(value: Any) -> str:
    """`{{ value }}`."""
    return str(render_value_in_context(value, _CONTEXT))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`."""
    text = str(value)  # what "%s" makes of it, a tuple too
    return _text(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308 # safe already


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html."""
    return "".join(
        f" {_text(name)}" + ("" if value is True else f'="{_formatted(value)}"')
        for name, value in attrs.items()
        if value is not False
    )
