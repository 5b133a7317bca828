"""The list's columns and sheet names, and the rows and problems that pass between the reader,
the checks (enrollment/validation.py) and the writers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

SHEET_NAME = "参保人员名单"
HELP_SHEET_NAME = "填写说明"
OPTIONS_SHEET_NAME = "选项"
EXAMPLE_MARK = "示例行，请删除"
ERRORS_HEADER = "错误说明"
# The author of every comment this package writes; it is how a re-annotation finds its old marks.
COMMENT_AUTHOR = "互助保障管理平台"
ROW = "row"  # CellProblem.column for a problem with the whole row
DEFAULT_MAX_ROWS = 200_000  # members in one file; the template's instructions say so

GENDERS = ("男", "女")
YES_NO = ("是", "否")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the list. `header` is what the reader matches; `note` is the header's comment."""

    key: str
    header: str
    required: bool
    width: float
    note: Promise


COLUMNS: list[Column] = [
    Column("seq", "序号", False, 7, gettext_lazy("Optional. A running number for your own use; it is not checked.")),
    Column("name", "姓名", True, 12, gettext_lazy("Required. The member's full name as written on the ID document.")),
    Column(
        "id_number",
        "证件号码",
        True,
        22,
        gettext_lazy(
            "Required. The 18-digit resident ID number, or the number of the passport or other ID document. "
            "The column is formatted as text: keep it that way, or Excel drops the last digits."
        ),
    ),
    Column("gender", "性别", False, 7, gettext_lazy("Choose 男 or 女 from the list.")),
    Column("birth_date", "出生日期", False, 12, gettext_lazy("Optional. Write the date like 1990-01-31.")),
    Column("phone", "手机号码", False, 14, gettext_lazy("Optional. The member's 11-digit mobile number.")),
    Column("plan", "保障项目", True, 24, gettext_lazy("Required. Choose the protection plan from the list.")),
    Column("shares", "投保份数", True, 10, gettext_lazy("Required. The number of shares: a whole number, at least 1.")),
    Column(
        "basic_insurance",
        "参加基本医疗保险",
        True,
        18,
        gettext_lazy("Required. Whether the member is covered by basic medical insurance: choose 是 or 否."),
    ),
    Column("remarks", "备注", False, 24, gettext_lazy("Optional. Anything the office should know about the member.")),
]
# Columns a plan's eligibility asks for (enrollment/eligibility.py `extra_columns`): the template
# of such a plan has them after the standard ones; the reader always knows them.
EXTRA_COLUMNS: list[Column] = [
    Column(
        "employment",
        "就业状态",
        False,
        12,
        gettext_lazy("Required by this plan. The member's employment status: choose 在职, 退休 or 灵活就业."),
    ),
    Column(
        "relationship",
        "与会员关系",
        False,
        12,
        gettext_lazy("Required by this plan. The insured child's relationship to the parent member: 子女."),
    ),
    Column("parent_name", "会员姓名", False, 12, gettext_lazy("Required by this plan. The parent member's full name.")),
    Column(
        "parent_id",
        "会员证件号码",
        False,
        22,
        gettext_lazy(
            "Required by this plan. The parent member's 18-digit resident ID number; the parent must be "
            "enrolled through this unit."
        ),
    ),
]
ALL_COLUMNS: list[Column] = [*COLUMNS, *EXTRA_COLUMNS]
COLUMN_BY_KEY: dict[str, Column] = {column.key: column for column in ALL_COLUMNS}


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row as typed: `number` is the Excel row number, so messages can point at it."""

    number: int
    values: dict[str, object]


@dataclass(frozen=True, slots=True)
class CellProblem:
    """A problem with one cell (`column` is a column key) or with a whole row (`column == ROW`)."""

    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ParsedList:
    rows: list[RawRow]
    header_row: int
    sheet_name: str
    cell_problems: list[CellProblem] = field(default_factory=list)
