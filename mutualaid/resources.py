"""The employer units of an office's tree, exported and imported as a workbook through
django-import-export: offices keep thousands of units (基层工会) with their credit codes and
headcounts, and maintain them in Excel.

How the library is held:
- `UnitResource` declares the columns; its widgets read each cell with the product's messages,
  and every write goes through the services (`org_create`, `unit_update`), so an imported row is
  checked exactly as the form checks it (credit code, headcount, where a unit may sit).
- Scoping is the form's: the instance loader and the parent lookup read `Organisation.objects`,
  which holds the actor's subtree only, so a unit or a parent of another office is "not found",
  and `org_create` refuses a parent outside the actor's tree a second time.
- All or nothing: the whole file is one transaction, rolled back if any row is refused; a dry run
  is the same run, always rolled back, and reports each row's outcome.
- The workbook itself is read and written by `mutualaid.spreadsheets` (formulas refused, text
  written as text), not by tablib's xlsx format, which would read a formula's cached value and
  write a name starting with "=" as a formula.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, instance_loaders, resources, widgets
from import_export.results import RowResult

from mutualaid import services
from mutualaid.idcheck import IdError, check_credit_code, normalise_credit_code
from mutualaid.models import ALLOWED_PARENT_KINDS, Organisation, OrgKind, UnitType, User
from mutualaid.roles import require_permission
from mutualaid.spreadsheets.read import read_table
from mutualaid.spreadsheets.write import FORMULA_STARTS, Column, workbook_bytes

logger = logging.getLogger(__name__)

MAX_ROWS = 5_000  # about twenty queries per new unit: a request must end before gunicorn times it out
MAX_FILE_MB = 2
ROW = "__row__"  # the sheet's own row number, carried beside the cells for the messages


def _column(key: str, label: str | Promise, *, text: bool = True, width: int = 16, required: bool = True) -> Column:
    """A column whose header the reader accepts in either language of the product."""
    spellings = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            spellings.add(str(label))
    return Column(key=key, header=label, headers=frozenset(spellings), text=text, width=width, required=required)


def unit_columns() -> list[Column]:
    return [
        _column("code", gettext_lazy("Code"), width=14),
        _column("name", gettext_lazy("Name"), width=36),
        _column("parent", gettext_lazy("Parent code"), width=14),
        _column("parent_name", gettext_lazy("Parent"), width=24, required=False),  # for people; not imported
        _column("credit_code", gettext_lazy("Unified social credit code"), width=22),
        _column("headcount", gettext_lazy("Staff headcount"), text=False, width=10),
        # Optional, so that a workbook exported before it existed still imports (the type then stays).
        _column("unit_type", gettext_lazy("Type of unit"), width=16, required=False),
    ]


# --- Cells ------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text: a number typed into a text column gives its digits (1001.0 → "1001"); a
    value that a spreadsheet would run as a formula is refused."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = "" if value is None else str(value)
    if raw.startswith(FORMULA_STARTS) or raw.strip().startswith(FORMULA_STARTS):
        raise ValueError(
            _(
                "This cell starts with =, +, -, @ or a tab, which a spreadsheet would run as a formula: "
                "type the value itself, without that sign."
            )
        )
    return raw.strip()


class _TextWidget(widgets.Widget):  # type: ignore[misc] # import-export is untyped: Widget is Any
    def clean(self, value: object, row: Any = None, **kwargs: Any) -> str:
        text = _text(value)
        if not text:
            raise ValueError(_("This cell is empty: fill it in."))
        return text

    def render(self, value: object, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class _ParentWidget(widgets.Widget):  # type: ignore[misc] # import-export is untyped: Widget is Any
    """The unit's parent by its code, among the agent points and offices of the actor's tree."""

    def __init__(self) -> None:
        super().__init__()
        self._found: dict[str, Organisation | None] = {}

    def clean(self, value: object, row: Any = None, **kwargs: Any) -> Organisation:
        code = _TextWidget().clean(value)
        if code not in self._found:
            kinds = ALLOWED_PARENT_KINDS[OrgKind.UNIT]
            self._found[code] = Organisation.objects.filter(code=code, kind__in=kinds).first()
        parent = self._found[code]
        if parent is None:
            raise ValueError(
                _(
                    "No county agent point, city office or industry branch of your office's tree has this code: "
                    "give the code of the unit's parent as the export shows it."
                )
            )
        return parent

    def render(self, value: Organisation | None, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else value.code


class _CreditCodeWidget(widgets.Widget):  # type: ignore[misc] # import-export is untyped: Widget is Any
    def clean(self, value: object, row: Any = None, **kwargs: Any) -> str:
        if isinstance(value, str):
            _text(value)
        try:
            return check_credit_code(value)
        except IdError as error:
            raise ValueError(str(error.message)) from None

    def render(self, value: object, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class _HeadcountWidget(widgets.Widget):  # type: ignore[misc] # import-export is untyped: Widget is Any
    def clean(self, value: object, row: Any = None, **kwargs: Any) -> int:
        if isinstance(value, str):
            value = _text(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(_("Enter the unit's staff headcount (a whole number of at least 1)."))
        return value

    def render(self, value: object, obj: Any = None, **kwargs: Any) -> object:
        return value


class _UnitTypeWidget(widgets.Widget):  # type: ignore[misc] # import-export is untyped: Widget is Any
    """The type of unit as the export writes it (its name in Chinese or English) or its code; an
    empty cell: not recorded."""

    def clean(self, value: object, row: Any = None, **kwargs: Any) -> str:
        text = _text(value) if isinstance(value, str) else ("" if value is None else str(value))
        if not text:
            return ""
        for choice in UnitType:
            names = {choice.value}
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    names.add(str(choice.label))
            if text in names:
                return choice.value
        with translation.override("zh-hans"):
            allowed = "、".join(str(choice.label) for choice in UnitType)
        raise ValueError(
            _("“%(value)s” is not a type of unit: write one of %(allowed)s, or leave the cell empty.")
            % {"value": text[:40], "allowed": allowed}
        )

    def render(self, value: object, obj: Any = None, **kwargs: Any) -> str:
        return str(UnitType(value).label) if value in UnitType.values else ""


# --- The resource -------------------------------------------------------------------------------


class _UnitLoader(instance_loaders.BaseInstanceLoader):  # type: ignore[misc] # import-export is untyped
    """The units the file names, by code, in one query of the actor's tree (not one per row)."""

    def __init__(self, resource: UnitResource, dataset: tablib.Dataset) -> None:
        super().__init__(resource, dataset)
        codes = {code for code in map(_code_or_none, dataset["code"]) if code}
        self._units = {unit.code: unit for unit in resource.get_queryset().filter(code__in=codes)}

    def get_instance(self, row: dict[str, Any]) -> Organisation | None:
        return self._units.get(_code_or_none(row["code"]) or "")


def _code_or_none(value: object) -> str | None:
    """The code of a cell, or None where `before_import_row` will refuse it."""
    try:
        return _text(value)
    except ValueError:
        return None


class UnitResource(resources.ModelResource):  # type: ignore[misc] # import-export is untyped
    code = fields.Field(attribute="code", column_name="code", widget=_TextWidget())
    name = fields.Field(attribute="name", column_name="name", widget=_TextWidget())
    parent = fields.Field(attribute="parent", column_name="parent", widget=_ParentWidget())
    parent_name = fields.Field(attribute="parent__name", column_name="parent_name", readonly=True)
    credit_code = fields.Field(attribute="credit_code", column_name="credit_code", widget=_CreditCodeWidget())
    headcount = fields.Field(attribute="headcount", column_name="headcount", widget=_HeadcountWidget())
    unit_type = fields.Field(attribute="unit_type", column_name="unit_type", widget=_UnitTypeWidget())

    class Meta:
        model = Organisation
        fields = ("code", "name", "parent", "parent_name", "credit_code", "headcount", "unit_type")
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        store_row_values = True
        skip_html_diff = True
        clean_model_instances = False  # the services clean what they write
        use_transactions = True
        instance_loader_class = _UnitLoader

    def __init__(self, *, actor: User) -> None:
        super().__init__()
        self.actor = actor
        self._rows_of_code: dict[str, int] = {}
        self._rows_of_credit_code: dict[str, int] = {}
        self._parent_before: dict[int, int | None] = {}

    def get_queryset(self) -> Any:
        return Organisation.objects.filter(kind=OrgKind.UNIT).select_related("parent").order_by("path")

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        """The code first (the instance loader looks the unit up by it), and no unit twice."""
        try:
            code = _TextWidget().clean(row["code"])
        except ValueError as error:
            raise ValidationError({"code": str(error)}) from None
        twice = _("This unit is already on row %(row)s of the file: keep one row per unit.")
        if code in self._rows_of_code:
            raise ValidationError({"code": twice % {"row": self._rows_of_code[code]}})
        self._rows_of_code[code] = row[ROW]
        try:
            credit_code = normalise_credit_code(row["credit_code"])
        except IdError:
            return
        if credit_code and credit_code in self._rows_of_credit_code:
            raise ValidationError({"credit_code": twice % {"row": self._rows_of_credit_code[credit_code]}})
        self._rows_of_credit_code[credit_code] = row[ROW]

    def import_field(self, field: Any, instance: Organisation, row: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if field.column_name == "unit_type" and instance.pk is not None and row.get("unit_type") in (None, ""):
            return  # an empty cell, or a workbook exported before the column existed, keeps the unit's type
        super().import_field(field, instance, row, *args, **kwargs)

    def after_init_instance(self, instance: Organisation, new: bool, row: dict[str, Any], **kwargs: Any) -> None:
        if not new:
            self._parent_before[instance.pk] = instance.parent_id

    def validate_instance(
        self, instance: Organisation, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        moved = instance.pk is not None and instance.parent_id != self._parent_before.get(instance.pk)
        if moved and "parent" not in errors:
            errors["parent"] = [
                ValidationError(
                    _(
                        "This unit is registered under another parent: an import does not move units. "
                        "Give the parent code the export shows, or ask the operators to move the unit."
                    )
                )
            ]
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance: Organisation, is_create: bool, row: dict[str, Any], **kwargs: Any) -> None:
        name, headcount, credit_code = instance.name, instance.headcount, instance.credit_code
        unit_type = instance.unit_type
        try:
            if is_create:
                services.org_create(
                    code=instance.code,
                    name=name,
                    kind=OrgKind.UNIT,
                    parent=instance.parent,
                    headcount=headcount,
                    credit_code=credit_code,
                    unit_type=unit_type,
                    actor=self.actor,
                )
            else:
                services.unit_update(
                    unit=instance,
                    name=name,
                    headcount=headcount,
                    credit_code=credit_code,
                    unit_type=unit_type,
                    actor=self.actor,
                )
        except PermissionDenied as error:
            raise ValidationError({"parent": str(error)}) from None
        except IntegrityError as error:
            taken = _("This code or credit code is already registered. Check it, or choose another.")
            raise ValidationError({_unique_column(error): taken}) from None


def _unique_column(error: IntegrityError) -> str:
    """Which unique column a duplicate hit: the database names its constraint."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
    return "credit_code" if "credit_code" in constraint else "code"


# --- Import and export --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    row: int
    code: str
    name: str
    outcome: str  # RowResult's import type: "new", "update", "skip", "invalid" or "error"
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        labels = {
            RowResult.IMPORT_TYPE_NEW: _("New"),
            RowResult.IMPORT_TYPE_UPDATE: _("Changed"),
            RowResult.IMPORT_TYPE_SKIP: _("Unchanged"),
        }
        return labels.get(self.outcome, _("Refused"))


@dataclass(frozen=True)
class UnitImport:
    rows: list[RowOutcome]
    written: bool

    @property
    def ok(self) -> bool:
        return all(row.outcome in {"new", "update", "skip"} for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        """Rows by outcome: "new", "update", "skip" (unchanged) and "refused"."""
        counts = dict.fromkeys(("new", "update", "skip", "refused"), 0)
        for row in self.rows:
            counts[row.outcome if row.outcome in counts else "refused"] += 1
        return counts


def unit_export(*, actor: User) -> bytes:
    """The units of the actor's tree as a workbook that `unit_import` reads back unchanged."""
    require_permission(actor, "org.manage")
    resource = UnitResource(actor=actor)
    dataset = resource.export(resource.get_queryset())
    columns = unit_columns()
    assert dataset.headers == [column.key for column in columns]  # noqa: S101 (the columns and the resource agree)
    return workbook_bytes(title=_("Employer units"), columns=columns, rows=dataset)


def unit_import(*, actor: User, data: bytes, dry_run: bool) -> UnitImport:
    """Create or change the units of a workbook, all or nothing; `dry_run` only reports.

    Raises SpreadsheetError for a file that cannot be read at all."""
    require_permission(actor, "org.manage")
    columns = unit_columns()
    table = read_table(data, columns=columns, max_rows=MAX_ROWS)
    dataset = tablib.Dataset(headers=[*(column.key for column in columns), ROW])
    for number, cells in table:
        dataset.append([*(cells.get(column.key) for column in columns), number])
    result = UnitResource(actor=actor).import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
    rows = [_outcome(row_result, {column.key: str(column.header) for column in columns}) for row_result in result]
    ok = not (result.has_errors() or result.has_validation_errors())
    if result.base_errors:
        logger.error("unit import failed: %s", [error.error for error in result.base_errors])
        ok = False
    return UnitImport(rows=rows, written=ok and not dry_run)


def _outcome(row_result: RowResult, headers: dict[str, str]) -> RowOutcome:
    values = row_result.row_values
    number = values[ROW]
    problems = []
    if row_result.validation_error is not None:
        for key, messages in row_result.validation_error.message_dict.items():
            column = headers.get(key, "")
            for message in messages:
                if key == NON_FIELD_ERRORS or not column:
                    problems.append(_("Row %(row)s: %(message)s") % {"row": number, "message": message})
                else:
                    problems.append(
                        _("Row %(row)s, %(column)s: %(message)s")
                        % {"row": number, "column": column, "message": message}
                    )
    for error in row_result.errors:
        logger.error("unit import, row %s: %r", number, error.error)
        problems.append(_("Row %(row)s could not be imported: check its values.") % {"row": number})
    return RowOutcome(
        row=number,
        code=str(values.get("code") or ""),
        name=str(values.get("name") or ""),
        outcome=row_result.import_type,
        problems=problems,
    )
