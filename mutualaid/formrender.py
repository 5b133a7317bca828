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
from django.utils.functional import Promise
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
    dashes: 请选择… where the choice must be made, （不指定） where it may be left empty."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and "optgroups" in widget:
            label = CHOOSE if widget.get("required") else NOT_CHOSEN
            for _group, options, _index in widget["optgroups"]:
                for option in options:
                    if option.get("label") == DASHES and option.get("value") in ("", None):
                        option["label"] = label
        return super().render(template_name, context, request)
