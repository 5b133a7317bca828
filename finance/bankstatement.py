"""Reading a bank statement of an office's dedicated account, as online banking exports it.

Why it is built this way:

* Every bank has its own layout, but the column headers come from a small vocabulary: the reader
  finds the header row among the first rows (above it banks put the account's name and number)
  and recognises the columns by their Chinese headers, whatever their order. Money comes either
  as two columns (收入/支出, 贷方/借方 发生额) or as one signed column (交易金额), sometimes
  unsigned with a 借贷标志 column beside it.
* Money is exact: a figure is read from its text, never through float arithmetic. A number cell
  of a workbook is a binary float, so it goes through its shortest repr and is rounded to the fen;
  a figure with a third decimal is refused rather than rounded, because it is not a bank's figure.
* All or nothing: the first problem refuses the whole file with a message that names the row and
  the column and says what to do. A half-imported statement would reconcile wrongly.
* No Django model is touched here: the caller stores the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

HEADER_SEARCH_ROWS = 10
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an xlsx's parts, unpacked: the zip-bomb guard
MAX_LINES = 50_000
CENT = Decimal("0.01")
LARGEST = Decimal("1000000000000")  # 14 digits with 2 decimals: below a trillion yuan
# A float's repr may carry binary noise far below a fen (0.30000000000000004); a real third
# decimal is at least a thousandth.
FLOAT_NOISE = Decimal("0.000001")

# The headers banks use, by field, in order of preference when a statement has several.
DATE = "date"
INCOME = "income"
EXPENSE = "expense"
AMOUNT = "amount"
DIRECTION = "direction"
COUNTERPARTY = "counterparty"
DESCRIPTION = "description"
REFERENCE = "reference"
HEADERS: dict[str, tuple[str, ...]] = {
    DATE: ("交易日期", "记账日期", "入账日期", "交易时间", "日期"),
    INCOME: ("收入金额", "贷方发生额", "贷方金额", "存入金额", "收入", "贷方"),
    EXPENSE: ("支出金额", "借方发生额", "借方金额", "支取金额", "支出", "借方"),
    AMOUNT: ("交易金额", "发生额", "金额"),
    DIRECTION: ("借贷标志", "借贷方向", "收支标志", "借贷"),
    COUNTERPARTY: ("对方户名", "对方账户名称", "对方账户名", "对方名称", "对方单位"),
    DESCRIPTION: ("摘要", "用途", "附言", "交易摘要"),
    REFERENCE: ("交易流水号", "流水号", "业务流水号", "凭证号", "交易参考号"),
}
_FIELD_OF: dict[str, tuple[str, int]] = {
    header: (field, rank) for field, headers in HEADERS.items() for rank, header in enumerate(headers)
}
INCOME_FLAGS = ("贷", "收", "入", "C", "CR")
EXPENSE_FLAGS = ("借", "支", "出", "D", "DR")
TOTAL_MARKS = ("合计", "小计", "总计", "本页", "本期", "累计")

_BRACKETED = re.compile(r"[（(【\[].*?[）)】\]]")
_SPACES = re.compile(r"[\s\u3000*＊:：]+")
_DATE_SEPARATED = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[\sT].*)?")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s.*|\d.*)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{6}|[\sT].*)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MONEY_NOISE = re.compile(r"[\s\u3000,，¥￥元]|RMB|CNY", re.IGNORECASE)
_EXCEL_TEXT = re.compile(r'="(.*)"', re.DOTALL)


class StatementError(Exception):
    """A statement that cannot be imported; `message` says why and what to do, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class StatementRow:
    row_number: int  # the row of the file, as the officer sees it in Excel or WPS
    booked_on: dt.date
    amount: Decimal  # + money in, - money out
    reference: str
    counterparty: str
    description: str


@dataclass(frozen=True, slots=True)
class _Column:
    index: int  # 0-based position in the row as read
    header: str
    label: str  # how messages name it: its letter and its header


@dataclass
class _Layout:
    row: int  # the header's row number
    columns: dict[str, _Column]
    descriptions: list[_Column]


def parse(data: bytes, filename: str) -> list[StatementRow]:
    """The statement's lines, in file order. Raises StatementError for anything it cannot trust."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"xlsx", "csv"}:
        raise StatementError(
            _(
                "“%(name)s” is not a statement this page can read. Upload the statement as an .xlsx or .csv "
                "file as online banking exports it; an .xls file must first be saved as .xlsx in Excel or WPS."
            )
            % {"name": filename}
        )
    if len(data) > MAX_BYTES:
        raise StatementError(
            _("The file is larger than %(mb)s MB: export the statement for a shorter period.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    rows, first_column = _xlsx_rows(data, filename) if extension == "xlsx" else (_csv_rows(data, filename), 0)
    return _read(rows, first_column)


# Reading the file into rows of cells --------------------------------------------------------------


def _unreadable(filename: str) -> StatementError:
    return StatementError(
        _(
            "“%(name)s” cannot be read: it is damaged, or it is not really the kind of file its name says. "
            "Export the statement from online banking again, or open it in Excel or WPS and save it as .xlsx."
        )
        % {"name": filename}
    )


def _xlsx_rows(data: bytes, filename: str) -> tuple[list[list[object]], int]:
    """The first sheet with a header row; calamine pads the rows above the data, not the columns
    to its left, so the sheet's first column comes back for naming columns by their letter."""
    if not data.startswith(b"PK\x03\x04"):
        raise _unreadable(filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise StatementError(
                    _("The file is larger than %(mb)s MB: export the statement for a shorter period.")
                    % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
                )
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            sheets: list[tuple[list[list[object]], int]] = []
            for name in book.sheet_names:
                sheet = book.get_sheet_by_name(name)
                rows: list[list[object]] = [list(row) for row in sheet.iter_rows()]
                sheets.append((rows, sheet.start[1] if sheet.start else 0))
        finally:
            book.close()
    except StatementError:
        raise
    except Exception as exc:  # zipfile, zlib, XML and calamine errors: the file is broken
        raise _unreadable(filename) from exc
    except BaseException as exc:  # a panic inside calamine is pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        raise _unreadable(filename) from exc
    for rows, first_column in sheets:
        if _find_layout(rows, first_column) is not None:
            return rows, first_column
    return sheets[0] if sheets else ([], 0)


def _csv_rows(data: bytes, filename: str) -> list[list[object]]:
    """UTF-8 (Excel adds a BOM) or GB18030 (what Chinese Windows and most banks write); commas,
    or tabs or semicolons where the bank used those."""
    text: str | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise _unreadable(filename)
    candidates: list[list[list[object]]] = []
    for delimiter in (",", "\t", ";"):
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows: list[list[object]] = [list(row) for row in reader]
        except csv.Error as exc:
            raise _unreadable(filename) from exc
        if _find_layout(rows, 0) is not None:
            return rows
        candidates.append(rows)
    return candidates[0]


# Headers --------------------------------------------------------------------------------------------


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _normalise_header(value: object) -> str:
    return _SPACES.sub("", _BRACKETED.sub("", value)) if isinstance(value, str) else ""


def _find_layout(rows: Sequence[Sequence[object]], first_column: int) -> _Layout | None:
    """The first of the top rows with at least two known headers."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        best: dict[str, tuple[int, _Column]] = {}
        descriptions: list[_Column] = []
        for index, cell in enumerate(row):
            known = _FIELD_OF.get(_normalise_header(cell))
            if known is None:
                continue
            field, rank = known
            header = str(cell).strip()
            column = _Column(index, header, f"{_letter(first_column + index)} “{header}”")
            if field == DESCRIPTION:
                descriptions.append(column)
            if field not in best or rank < best[field][0]:
                best[field] = (rank, column)
        if len(best) >= 2:
            return _Layout(number, {field: column for field, (_rank, column) in best.items()}, descriptions)
    return None


def _expected_headers() -> dict[str, str]:
    return {
        "date": " / ".join(HEADERS[DATE][:2]),
        "two": f"{HEADERS[INCOME][0]} + {HEADERS[EXPENSE][0]}, {HEADERS[INCOME][1]} + {HEADERS[EXPENSE][1]}",
        "one": " / ".join(HEADERS[AMOUNT][:2]),
        "optional": "、".join((HEADERS[COUNTERPARTY][0], HEADERS[DESCRIPTION][0], HEADERS[REFERENCE][1])),
    }


def _check_layout(layout: _Layout | None) -> _Layout:
    if layout is None:
        raise StatementError(
            _(
                "No header row was found in the first %(rows)s rows. The statement needs a row of column "
                "headers: the date (%(date)s), and the amounts either in two columns (%(two)s) or in one "
                "signed column (%(one)s). Optional: %(optional)s. Export the statement with its headers, "
                "or type them above the first line."
            )
            % {"rows": HEADER_SEARCH_ROWS, **_expected_headers()}
        )
    columns = layout.columns
    missing: tuple[str, str] | None = None
    if DATE not in columns:
        missing = (_("date"), " / ".join(HEADERS[DATE][:2]))
    elif INCOME in columns and EXPENSE not in columns and AMOUNT not in columns:
        missing = (_("money out"), " / ".join(HEADERS[EXPENSE][:2]))
    elif EXPENSE in columns and INCOME not in columns and AMOUNT not in columns:
        missing = (_("money in"), " / ".join(HEADERS[INCOME][:2]))
    elif not {INCOME, EXPENSE, AMOUNT} & set(columns):
        missing = (_("amount"), _expected_headers()["two"] + " / " + _expected_headers()["one"])
    if missing is not None:
        raise StatementError(
            _(
                "The header row (row %(row)s) has no %(what)s column. Add a column headed %(headers)s, "
                "or export the statement from online banking with it."
            )
            % {"row": layout.row, "what": missing[0], "headers": missing[1]}
        )
    return layout


# Cells ----------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        excel = _EXCEL_TEXT.fullmatch(text)  # ="0012345": the trick that keeps a CSV cell as text
        return excel.group(1).strip() if excel else text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _date(value: object, row: int, column: _Column) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        raise StatementError(
            _("Row %(row)s, column %(column)s has no date. Fill in the date of the line, like 2024-03-05.")
            % {"row": row, "column": column.label}
        )
    if not isinstance(value, bool):
        for pattern in (_DATE_SEPARATED, _DATE_CHINESE, _DATE_COMPACT):
            match = pattern.fullmatch(text)
            if match:
                year, month, day = (int(group) for group in match.groups()[:3])
                try:
                    found = dt.date(year, month, day)
                except ValueError:
                    break
                if 1990 <= found.year <= 2099:
                    return found
                break
    raise StatementError(
        _("Row %(row)s, column %(column)s: “%(value)s” is not a date. Write the date like 2024-03-05.")
        % {"row": row, "column": column.label, "value": text}
    )


def _money(value: object, row: int, column: _Column) -> Decimal | None:
    """A figure in yuan, or None for a blank cell."""
    context = {"row": row, "column": column.label, "value": _text(value)}
    amount: Decimal | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            amount = None
        else:
            exact = Decimal(repr(value))
            amount = exact.quantize(CENT, rounding=ROUND_HALF_UP)
            if abs(exact - amount) > FLOAT_NOISE:
                raise _too_many_decimals(context)
    elif value is None or isinstance(value, str):
        text = _text(value)
        if not text:
            return None
        negative = False
        if text.startswith(("(", "（")) and text.endswith((")", "）")):
            negative, text = True, text[1:-1]
        text = _MONEY_NOISE.sub("", text.replace("−", "-").replace("＋", "+").replace("－", "-"))
        if _NUMBER.fullmatch(text):
            try:
                amount = Decimal(text)
            except InvalidOperation:
                amount = None
            if amount is not None:
                amount = -amount if negative else amount
                if amount != amount.quantize(CENT):
                    raise _too_many_decimals(context)
                amount = amount.quantize(CENT)
    if amount is None:
        raise StatementError(
            _(
                "Row %(row)s, column %(column)s: “%(value)s” is not an amount. Write the amount in yuan like "
                "1234.56, without units or letters."
            )
            % context
        )
    if abs(amount) >= LARGEST:
        raise StatementError(
            _("Row %(row)s, column %(column)s: %(value)s is too large for an amount. Check the figure.") % context
        )
    return amount


def _too_many_decimals(context: dict[str, object]) -> StatementError:
    return StatementError(
        _(
            "Row %(row)s, column %(column)s: %(value)s has more than two decimals. An amount is in yuan and "
            "fen: correct it to the bank's figure, with at most two decimals."
        )
        % context
    )


def _reference(value: object, row: int, column: _Column) -> str:
    if isinstance(value, float) and abs(value) >= 1e15:
        raise StatementError(
            _(
                "Row %(row)s, column %(column)s: the reference is stored as a number, so Excel has lost its "
                "last digits. Export the statement again, or format the column as text and copy the references "
                "from the bank's file."
            )
            % {"row": row, "column": column.label}
        )
    return _text(value)


# Rows -----------------------------------------------------------------------------------------------


def _cell(row: Sequence[object], column: _Column | None) -> object:
    if column is None or column.index >= len(row):
        return None
    return row[column.index]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not _text(value))


def _is_total(row: Sequence[object], date_column: _Column) -> bool:
    """A 合计 or 本页小计 row: no date, and the mark in its first cell or in the date column."""
    if _looks_like_date(_cell(row, date_column)):
        return False
    first = next((_text(cell) for cell in row if not _blank(cell)), "")
    return any(_text(cell).startswith(TOTAL_MARKS) for cell in (first, _cell(row, date_column)))


def _read(rows: list[list[object]], first_column: int) -> list[StatementRow]:
    layout = _check_layout(_find_layout(rows, first_column))
    columns = layout.columns
    date_column = columns[DATE]
    two_columns = INCOME in columns and EXPENSE in columns
    money_columns = [columns[INCOME], columns[EXPENSE]] if two_columns else [columns[AMOUNT]]
    found: list[StatementRow] = []
    seen: dict[tuple[dt.date, Decimal, str], int] = {}
    for number, row in enumerate(rows[layout.row :], start=layout.row + 1):
        if all(_blank(cell) for cell in row) or _is_total(row, date_column):
            continue
        if all(_blank(_cell(row, column)) for column in money_columns):
            if _looks_like_date(_cell(row, date_column)):
                raise StatementError(
                    _(
                        "Row %(row)s has a date but no amount in %(columns)s. Fill in the amount, or delete "
                        "the row if it is not a transaction."
                    )
                    % {"row": number, "columns": ", ".join(column.label for column in money_columns)}
                )
            continue  # a note under the lines (打印日期, 操作员): not a transaction
        if len(found) >= MAX_LINES:
            raise StatementError(
                _("The statement has more than %(limit)s lines: export it for a shorter period.") % {"limit": MAX_LINES}
            )
        booked_on = _date(_cell(row, date_column), number, date_column)
        amount = _two_column_amount(row, number, columns) if two_columns else _signed_amount(row, number, columns)
        reference_column = columns.get(REFERENCE)
        reference = _reference(_cell(row, reference_column), number, reference_column) if reference_column else ""
        if reference:
            key = (booked_on, amount, reference)
            if key in seen:
                raise StatementError(
                    _(
                        "Rows %(first)s and %(second)s are the same line twice: date %(date)s, amount %(amount)s, "
                        "reference %(reference)s. Delete one of them, or export the statement from online "
                        "banking again."
                    )
                    % {
                        "first": seen[key],
                        "second": number,
                        "date": booked_on.isoformat(),
                        "amount": amount,
                        "reference": reference,
                    }
                )
            seen[key] = number
        found.append(
            StatementRow(
                row_number=number,
                booked_on=booked_on,
                amount=amount,
                reference=reference,
                counterparty=_text(_cell(row, columns.get(COUNTERPARTY))),
                description="；".join(text for column in layout.descriptions if (text := _text(_cell(row, column)))),
            )
        )
    if not found:
        raise StatementError(
            _(
                "The statement has no lines under its header row (row %(row)s). Export the statement for a "
                "period with transactions."
            )
            % {"row": layout.row}
        )
    return found


def _looks_like_date(value: object) -> bool:
    if isinstance(value, dt.date):
        return True
    text = _text(value)
    return any(pattern.fullmatch(text) for pattern in (_DATE_SEPARATED, _DATE_CHINESE, _DATE_COMPACT))


def _two_column_amount(row: Sequence[object], number: int, columns: dict[str, _Column]) -> Decimal:
    income_column, expense_column = columns[INCOME], columns[EXPENSE]
    income = _money(_cell(row, income_column), number, income_column) or Decimal(0)
    expense = _money(_cell(row, expense_column), number, expense_column) or Decimal(0)
    if income and expense:
        raise StatementError(
            _(
                "Row %(row)s has both money in (%(income)s in column %(income_column)s) and money out "
                "(%(expense)s in column %(expense_column)s). A statement line is one or the other: split it "
                "into two lines, or correct the figure that is wrong."
            )
            % {
                "row": number,
                "income": income,
                "income_column": income_column.label,
                "expense": expense,
                "expense_column": expense_column.label,
            }
        )
    if income < 0 or expense < 0:
        column, value = (income_column, income) if income < 0 else (expense_column, expense)
        raise StatementError(
            _(
                "Row %(row)s, column %(column)s: %(value)s is negative. In a statement with separate columns "
                "for money in and money out, both are written without a sign."
            )
            % {"row": number, "column": column.label, "value": value}
        )
    if not (income or expense):
        raise _zero(number, f"{income_column.label}, {expense_column.label}")
    return (income - expense).quantize(CENT)


def _signed_amount(row: Sequence[object], number: int, columns: dict[str, _Column]) -> Decimal:
    column = columns[AMOUNT]
    amount = _money(_cell(row, column), number, column) or Decimal(0)
    if not amount:
        raise _zero(number, column.label)
    direction_column = columns.get(DIRECTION)
    if direction_column is not None:
        flag = _text(_cell(row, direction_column)).upper()
        if flag.startswith(INCOME_FLAGS):
            return abs(amount)
        if flag.startswith(EXPENSE_FLAGS):
            return -abs(amount)
        raise StatementError(
            _(
                "Row %(row)s, column %(column)s: “%(value)s” does not say whether the money came in or went "
                "out. Write 贷 for money in or 借 for money out."
            )
            % {"row": number, "column": direction_column.label, "value": flag}
        )
    return amount


def _zero(number: int, columns: str) -> StatementError:
    return StatementError(
        _(
            "Row %(row)s: the amount in %(columns)s is 0. A statement line moves money: correct the amount, or "
            "delete the row."
        )
        % {"row": number, "columns": columns}
    )
