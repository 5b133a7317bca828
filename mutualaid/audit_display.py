"""The audit trail in words: a changed field by its label, a value as a person reads it.

pghistory keeps each change as the row's column names and JSON values ("status": "approved",
"premium": "2500.00"); the audit page shows the field's verbose name and the value in the
product's formats (a status by its label, money as 2,500.00, a date as 2026年12月6日, yes or no),
and a JSON value as "key: value" pairs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from mutualaid import numbers

MAX_TEXT = 120
NOTHING = "—"


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
    """The field's name as the forms show it ("status" → 状态); the column name if unknown."""
    field = _field(_model(model_path), name)
    return str(field.verbose_name) if field is not None else name


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _json_text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_json_text(item)}" for key, item in value.items()) or NOTHING
    if isinstance(value, list):
        return ", ".join(_json_text(item) for item in value) or NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
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
