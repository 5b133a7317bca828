"""The audit trail in words: a changed field by its label, a value as a person reads it.

pghistory keeps each change as the row's column names and JSON values ("status": "approved",
"premium": "2500.00"); the audit page shows the field's verbose name and the value in the
product's formats (a status by its label, money as 2,500.00, a date as 2026年12月6日, yes or no),
a JSON value as lines of words ("住院医疗互助金：1,830.00；…"), and a cipher or fingerprint not at all."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from mutualaid import numbers
from mutualaid.audit_labels import COLUMN_LABELS, HIDDEN_SUFFIXES, JSON_KEYS

MAX_TEXT = 120
NOTHING = "—"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _model(model_path: str) -> type[models.Model] | None:
    try:
        return apps.get_model(model_path)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if name in {field.name, field.attname}:
            return field
    return None


def field_label(model_path: str, name: str) -> str:
    """The field's name as the forms show it ("status" → 状态); a column the model leaves to
    Django's default label by the audit's own word for it (audit_labels)."""
    field = _field(_model(model_path), name)
    if field is None:
        return str(COLUMN_LABELS.get(name.removesuffix("_id"), name))
    if field.primary_key:
        return str(COLUMN_LABELS["id"])
    if str(field.verbose_name) == field.name.replace("_", " ") and field.name in COLUMN_LABELS:
        return str(COLUMN_LABELS[field.name])
    return str(field.verbose_name)


@functools.cache
def _choice_words() -> dict[str, Any]:
    """Every stored choice of a tracked model and its label: the codes a JSON value carries
    (a kind of plan as a key of a list's checked versions) in words."""
    from pghistory.models import Event

    words: dict[str, Any] = {}
    for model in apps.get_models():
        target: Any = getattr(model, "pgh_tracked_model", None) if issubclass(model, Event) else None
        for field in target._meta.concrete_fields if target is not None else []:
            for code, label in field.flatchoices or []:
                if isinstance(code, str) and code:
                    words.setdefault(code, label)
    return words


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _key_text(key: str) -> str:
    return str(JSON_KEYS.get(key) or _choice_words().get(key) or key)


def _json_text(value: Any, key: str = "") -> str:
    """A JSON value in words: a dict as "key：value" pairs, a line with a label as "label：amount",
    a list item by item, amounts as money, dates as dates, stored codes by their labels."""
    if isinstance(value, dict):
        if "label" in value:
            rest = {k: v for k, v in value.items() if k not in {"label", "amount"}}
            head = str(value["label"]) + ("：" + _json_text(value["amount"], "amount") if "amount" in value else "")
            return head + ("（" + _json_text(rest) + "）" if rest else "")
        pairs = [f"{_key_text(str(k))}：{_json_text(item, str(k))}" for k, item in value.items()]
        return "，".join(pairs) or NOTHING
    if isinstance(value, list):  # lines one after another, plain values as an enumeration
        joint = "；" if any(isinstance(item, dict | list) for item in value) else "、"
        return joint.join(_json_text(item, key) for item in value) or NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "amount" or key.endswith("_amount"):
        return numbers.money_text(value, blank=str(value))
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return numbers.date_text(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str):
        return str(_choice_words().get(value, value))
    return str(value)


def _dated(field: models.Field[Any, Any], value: Any) -> str | None:
    try:
        if isinstance(field, models.DateTimeField):
            return numbers.datetime_text(datetime.fromisoformat(str(value)))
        if isinstance(field, models.DateField):
            return numbers.date_text(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return None
    return None


def value_text(model_path: str, name: str, value: Any, *, names: dict[tuple[str, int], str] | None = None) -> str:
    """`value` of the field `name` of `model_path` as a person reads it."""
    if value is None or value == "":
        return NOTHING
    field = _field(_model(model_path), name)
    if field is None:
        return _short(_json_text(value))
    if field.name.endswith(HIDDEN_SUFFIXES):
        return _("(not shown)")
    if field.choices:
        return _short(str(dict(field.flatchoices).get(value, value)))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DecimalField) and field.decimal_places == 2:
        return numbers.money_text(value, blank=str(value))
    if isinstance(field, models.DateField | models.DateTimeField):
        return _dated(field, value) or str(value)
    if isinstance(field, models.ForeignKey):
        related: Any = field.related_model
        target = related._meta.label if related is not None else ""
        known = (names or {}).get((target, int(value))) if str(value).isdigit() else None
        return known or f"#{value}"
    return _short(_json_text(value))


def change_rows(
    model_path: str, diff: dict[str, Any], *, names: dict[tuple[str, int], str] | None = None
) -> list[tuple[str, str, str]]:
    """(field label, before, after) of each field a change touched, in the order of the labels."""
    rows = [
        (
            field_label(model_path, field),
            value_text(model_path, field, before, names=names),
            value_text(model_path, field, after, names=names),
        )
        for field, (before, after) in diff.items()
    ]
    return sorted(rows)
