"""The one writer of the product's workbooks and csv files (mutualaid/spreadsheets/write.py):
what a person typed is text whatever it starts with, figures are formatted numbers, and no other
module of the product puts a value into a cell (tests/test_export_formulas.py walks the exports
themselves)."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from mutualaid.spreadsheets import write

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "mutualaid", "enrollment", "claims", "finance", "reporting")
WRITER = ROOT / "mutualaid" / "spreadsheets" / "write.py"

# Starts of text a spreadsheet would run: ASCII, a tab or CR, and the full-width signs.
HOSTILE_STARTS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1+1",
    "＋1＋1",
    "－2",
    "＠SUM(A1)",
)
HOSTILE = [
    *HOSTILE_STARTS,
    "#N/A",  # openpyxl would make this an error cell
    "0012",  # a code keeps its zeros
    "2026-01-01",  # and stays text when edited
]


def as_read(text: str) -> str:
    """What an xlsx reader gives back: XML turns a carriage return into a line feed."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _reopen(book: Workbook) -> Workbook:
    return load_workbook(io.BytesIO(write.save(book)), data_only=False)


@pytest.mark.parametrize("value", HOSTILE)
def test_typed_text_is_a_text_cell_with_the_quote_prefix_whatever_it_starts_with(value: str) -> None:
    book = Workbook()
    write.cell(book.active, 1, 1, value)
    write.put(book.active.cell(row=2, column=1), value, write.MONEY)  # a text in a figure column too
    streamed = Workbook(write_only=True)
    sheet = streamed.create_sheet("s")
    sheet.append([write.streamed(sheet, value), write.streamed(sheet, f"{value}尾")])

    for reopened in (_reopen(book), _reopen(streamed)):
        cells = [cell for row in reopened.worksheets[0].iter_rows() for cell in row]
        assert [cell.data_type for cell in cells] == ["s", "s"]
        assert all(cell.quotePrefix for cell in cells)
        assert as_read(value) == cells[0].value


def test_figures_are_numbers_in_the_products_formats_and_dates_are_dates() -> None:
    book = Workbook()
    sheet = book.active
    write.cell(sheet, 1, 1, Decimal("12345.60"), write.MONEY)
    write.cell(sheet, 1, 2, 1234, write.COUNT)
    write.cell(sheet, 1, 3, Decimal("0.895"), write.PERCENT)
    write.cell(sheet, 1, 4, dt.date(2026, 3, 2))
    write.cell(sheet, 1, 5, None, write.MONEY)
    write.cell(sheet, 1, 6, dt.date(2026, 3, 2), "General")  # a column's number format does not fit a date
    cells = next(_reopen(book).active.iter_rows())
    assert [(c.data_type, c.number_format) for c in cells[:3]] == [
        ("n", "#,##0.00"),
        ("n", "#,##0"),
        ("n", "0.0%"),
    ]
    assert [c.value for c in cells[:3]] == [12345.6, 1234, 0.895]
    assert cells[3].is_date and cells[3].number_format == "yyyy-mm-dd"
    assert cells[4].value is None
    assert cells[5].number_format == "yyyy-mm-dd"


def test_a_number_without_its_columns_format_and_an_unknown_value_are_refused() -> None:
    sheet = Workbook().active
    with pytest.raises(ValueError, match="number format"):
        write.cell(sheet, 1, 1, Decimal("1.00"))
    with pytest.raises(TypeError):
        write.cell(sheet, 1, 1, object())


def test_a_text_column_keeps_the_text_format_and_control_characters_are_dropped() -> None:
    sheet = Workbook().active
    cell = write.cell(sheet, 1, 1, "6222\x07020200112233445", write.TEXT)
    assert (cell.value, cell.number_format, cell.data_type) == ("6222020200112233445", "@", "s")


def test_a_formula_in_an_uploaded_workbook_goes_back_as_its_text() -> None:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = '=HYPERLINK("http://x","y")'
    sheet["A2"] = ArrayFormula("A2:A2", "=SUM(B1:B2)")
    sheet["A3"] = "+1+1"
    sheet["A4"] = "张三"
    uploaded = _reopen(book)
    for row in uploaded.active.iter_rows():
        for cell in row:
            write.keep_as_text(cell)
    cells = [row[0] for row in _reopen(uploaded).active.iter_rows()]
    assert [(c.value, c.data_type) for c in cells] == [
        ('=HYPERLINK("http://x","y")', "s"),
        ("=SUM(B1:B2)", "s"),
        ("+1+1", "s"),
        ("张三", "s"),
    ]
    assert [c.quotePrefix for c in cells] == [True, True, True, False]


@pytest.mark.parametrize("value", HOSTILE_STARTS)
def test_a_csv_field_that_would_run_gets_a_leading_apostrophe(value: str) -> None:
    data = write.csv_bytes([["名称", "金额"], [value, Decimal("-12.50")], ["张三", 3]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["名称", "金额"], [f"'{value}", "-12.50"], ["张三", "3"]]


# --- No other module writes a cell -------------------------------------------------------------

CELL_REFERENCE = re.compile(r"^\$?[A-Z]{1,3}\$?[0-9]+$")
SHEET_NAME = re.compile(r"^(sheet|ws|worksheet|\w+_sheet|sheet_\w+)$", re.IGNORECASE)
CELL_ATTRIBUTES = {"value", "data_type", "quotePrefix", "_value"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _through_the_writer(node: ast.AST) -> bool:
    """A call of the writer (`write.cell(…)`), or a row of write-only cells it made."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and _name(node.func.value) == "write"
    if isinstance(node, ast.List | ast.Tuple):
        return all(_through_the_writer(element) for element in node.elts)
    if isinstance(node, ast.ListComp):
        return _through_the_writer(node.elt)
    return False


def _cell_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Places that put a value into a cell other than through the writer: an assignment to a
    cell's value or type, `sheet["A1"] = …`, `sheet.cell(…, value=…)`, `sheet.append(…)`, a
    write-only cell, a csv writer, a tablib or pandas export."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr in CELL_ATTRIBUTES:
                    found.append((node.lineno, f"assigns .{part.attr}"))
                if isinstance(part, ast.Subscript):
                    key = part.slice
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and CELL_REFERENCE.match(key.value):
                        found.append((node.lineno, f"assigns sheet[{key.value!r}]"))
                    elif SHEET_NAME.search(_name(part.value)):
                        found.append((node.lineno, f"assigns {_name(part.value)}[…]"))
        if not isinstance(node, ast.Call):
            continue
        function = _name(node.func)
        receiver = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if _through_the_writer(node):
            continue
        if function == "cell" and (len(node.args) > 2 or any(k.arg == "value" for k in node.keywords)):
            found.append((node.lineno, "sheet.cell(…, value=…)"))
        elif function == "append" and SHEET_NAME.search(receiver) and not all(map(_through_the_writer, node.args)):
            found.append((node.lineno, f"{receiver}.append(…)"))
        elif function in {"WriteOnlyCell", "Cell", "DictWriter", "to_excel", "to_csv"}:
            found.append((node.lineno, f"{function}(…)"))
        elif function == "writer" and receiver == "csv":
            found.append((node.lineno, "csv.writer(…)"))
        elif function == "export" and any(
            isinstance(a, ast.Constant) and a.value in {"xlsx", "csv"} for a in node.args
        ):
            found.append((node.lineno, "a tablib export"))
    return found


def _production_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path != WRITER
    ]


def test_no_module_but_the_writer_puts_a_value_into_a_cell() -> None:
    """Every workbook and csv file the product writes goes through mutualaid.spreadsheets.write:
    an assignment to a cell, a sheet's append or a csv writer anywhere else fails the build."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _production_modules()
        for line, what in _cell_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "write cells through mutualaid.spreadsheets.write:\n" + "\n".join(found)


def test_the_check_finds_each_way_of_writing_a_cell() -> None:
    """The check above would see the ways the exports used to write their cells."""
    source = """
sheet["A1"] = title
sheet.cell(row=1, column=1, value=name)
sheet.cell(1, 2, name)
cell.value = name
cell.data_type = "s"
sheet.append([name])
self.sheet.append([write.streamed(sheet, name), name])
worksheet[key] = name
csv.writer(buffer)
WriteOnlyCell(sheet, value=name)
dataset.export("xlsx")
"""
    assert len(_cell_writes(ast.parse(source))) == 11
    harmless = """
lines.append(name)
head[row][column] = cell.value
columns[key] = index
write.cell(sheet, 1, 1, name)
sheet.cell(row=1, column=1).border = BORDER
sheets.append(sheet)
sheet.append([write.streamed(sheet, name), write.streamed(sheet, 1, COUNT)])
sheet.append([write.streamed(sheet, value) for value in values])
"""
    assert _cell_writes(ast.parse(harmless)) == []
