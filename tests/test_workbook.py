"""The member-list workbook: template, reader, annotations. No database is involved."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from enrollment.workbook import annotate, read
from enrollment.workbook.annotate import annotate_workbook, rows_workbook
from enrollment.workbook.columns import (
    COLUMNS,
    ERRORS_HEADER,
    EXAMPLE_MARK,
    HELP_SHEET_NAME,
    OPTIONS_SHEET_NAME,
    ROW,
    SHEET_NAME,
    CellProblem,
    ParsedList,
    RawRow,
)
from enrollment.workbook.errors import WorkbookError
from enrollment.workbook.read import read_member_list
from enrollment.workbook.template import build_template
from tests.translations import chinese_of, msgids_of

ROOT = Path(__file__).resolve().parent.parent
PLANS = ["在职职工住院医疗互助保障", "女职工特殊疾病互助保障"]
HEADERS = [column.header for column in COLUMNS]
KEYS = [column.key for column in COLUMNS]
LETTER = {column.key: chr(ord("A") + index) for index, column in enumerate(COLUMNS)}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------------------------
# Helpers


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _template() -> bytes:
    return build_template(plans=PLANS, unit_name="示范机械厂工会", period_label="2025年度")


def _member(name: str = "张三", id_number: str = "61010219900101123X", **overrides: object) -> list[object]:
    values: dict[str, object] = {
        "seq": None,
        "name": name,
        "id_number": id_number,
        "gender": "男",
        "birth_date": dt.date(1990, 1, 1),
        "phone": "13800000000",
        "plan": PLANS[0],
        "shares": 1,
        "basic_insurance": "是",
        "remarks": None,
    }
    values.update(overrides)
    return [values[key] for key in KEYS]


def _fill_template(rows: list[list[object]], *, first_row: int = 4) -> bytes:
    """The template with `rows` typed in below the example row, as a unit would."""
    book = load_workbook(io.BytesIO(_template()))
    sheet = book[SHEET_NAME]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=first_row + offset, column=column, value=value)
    return _save(book)


def _plain_list(rows: list[list[object]], *, headers: list[str] | None = None) -> bytes:
    """A bare one-sheet list: headers in row 1, rows from row 2."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append(row)
    return _save(book)


def _rewrite(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same package with one part's bytes changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def _error(data: bytes, **kwargs: int) -> WorkbookError:
    with pytest.raises(WorkbookError) as caught:
        read_member_list(data, **kwargs)
    return caught.value


def _codes(parsed: ParsedList) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in parsed.cell_problems]


def _encrypted_cfb() -> bytes:
    """A minimal but well-formed OLE2 compound file laid out like Excel's password-protected .xlsx:
    a FAT sector, a directory sector with Root Entry, EncryptionInfo and EncryptedPackage."""
    end_of_chain, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
    struct.pack_into("<I", header, 76, 0)
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, free)
    fat = bytearray(struct.pack("<II", fat_sector, end_of_chain) + b"\xff" * (512 - 8))

    def entry(name: str, kind: int, left: int, right: int, child: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        raw = bytearray(128)
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<iii", raw, 68, left, right, child)
        struct.pack_into("<II", raw, 116, end_of_chain, 0)  # empty streams
        return bytes(raw)

    directory = (
        entry("Root Entry", 5, -1, -1, 1)
        + entry("EncryptionInfo", 2, -1, 2, -1)
        + entry("EncryptedPackage", 2, -1, -1, -1)
        + bytes(128)
    )
    return bytes(header) + bytes(fat) + directory


# ---------------------------------------------------------------------------------------------
# The template


def test_a_filled_template_reads_back_the_values_typed_and_ignores_the_example_row() -> None:
    rows = [
        _member("张三", "61010219900101123X", seq=1),
        _member(
            "李四",
            "610102198505054321",
            seq=2,
            gender="女",
            birth_date=dt.date(1985, 5, 5),
            phone="13912345678",
            plan=PLANS[1],
            shares=3,
            basic_insurance="否",
            remarks="新入职",
        ),
    ]
    parsed = read_member_list(_fill_template(rows))

    assert parsed.sheet_name == SHEET_NAME
    assert parsed.header_row == 2
    assert parsed.cell_problems == []
    assert [row.number for row in parsed.rows] == [4, 5]
    assert [row.values for row in parsed.rows] == [dict(zip(KEYS, row, strict=True)) for row in rows]


def test_an_untouched_template_is_an_empty_list() -> None:
    assert _error(_template()).code == "empty"


def test_the_template_has_a_title_frozen_header_notes_and_an_example_row() -> None:
    book = load_workbook(io.BytesIO(_template()))
    sheet = book[SHEET_NAME]

    assert book.sheetnames[:2] == [SHEET_NAME, HELP_SHEET_NAME]
    assert "示范机械厂工会" in sheet["A1"].value and "2025年度" in sheet["A1"].value
    assert sheet["A1"].font.b and f"A1:{LETTER['remarks']}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [sheet.cell(row=2, column=i + 1).value for i in range(len(COLUMNS))] == HEADERS
    assert all(sheet.cell(row=2, column=i + 1).font.b for i in range(len(COLUMNS)))
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb not in (None, "00000000")
    assert sheet.freeze_panes == "A3"
    for index, column in enumerate(COLUMNS, start=1):
        assert sheet.cell(row=2, column=index).comment.text == str(column.note)
    example = sheet["A3"]
    assert example.font.i and sheet[f"{LETTER['remarks']}3"].value == EXAMPLE_MARK
    assert book.properties.title and book.properties.creator


def test_the_template_keeps_ids_and_phones_as_text_and_offers_drop_downs() -> None:
    sheet = load_workbook(io.BytesIO(_template()))[SHEET_NAME]

    for key in ("id_number", "phone"):
        assert sheet[f"{LETTER[key]}3"].number_format == "@"
        assert sheet[f"{LETTER[key]}2002"].number_format == "@"
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    column_of = {sqref[0]: v for sqref, v in validations.items()}
    assert column_of[LETTER["gender"]].formula1 == '"男,女"'
    assert column_of[LETTER["basic_insurance"]].formula1 == '"是,否"'
    assert column_of[LETTER["plan"]].formula1 == '"' + ",".join(PLANS) + '"'
    shares = column_of[LETTER["shares"]]
    assert (shares.type, shares.operator, shares.formula1) == ("whole", "greaterThanOrEqual", "1")
    assert f"{LETTER['gender']}3:{LETTER['gender']}2002" in validations


def test_a_long_plan_list_or_one_with_commas_goes_to_a_hidden_options_sheet() -> None:
    plans = [f"保障项目{i}（住院、门诊，含特殊病种）" for i in range(30)]
    book = load_workbook(io.BytesIO(build_template(plans=plans, unit_name="单位", period_label="2025")))

    options = book[OPTIONS_SHEET_NAME]
    assert options.sheet_state == "hidden"
    assert [options.cell(row=i + 1, column=1).value for i in range(30)] == plans
    plan = next(v for v in book[SHEET_NAME].data_validations.dataValidation if str(v.sqref)[0] == LETTER["plan"])
    assert plan.formula1 == f"'{OPTIONS_SHEET_NAME}'!$A$1:$A$30"


def test_the_instructions_sheet_explains_every_column() -> None:
    sheet = load_workbook(io.BytesIO(_template()))[HELP_SHEET_NAME]
    text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value)

    assert all(header in text for header in HEADERS)
    assert EXAMPLE_MARK in text


# ---------------------------------------------------------------------------------------------
# Whole-file problems

_OLE2_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty file"),
        pytest.param("姓名,证件号码\n张三,61010219900101123X\n".encode(), id="csv"),
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", id="pdf renamed"),
        pytest.param(bytes(range(256)) * 8, id="random bytes"),
        pytest.param(_OLE2_XLS, id="old xls"),
    ],
)
def test_files_that_are_not_xlsx_are_refused_as_not_xlsx(data: bytes) -> None:
    error = _error(data)
    assert error.code == "not_xlsx"
    assert error.message


def test_an_old_xls_is_told_to_save_as_xlsx() -> None:
    assert ".xlsx" in _error(_OLE2_XLS).message and ".xls" in _error(_OLE2_XLS).message


def test_a_zip_that_is_not_a_workbook_is_not_xlsx() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert _error(out.getvalue()).code == "not_xlsx"


def test_a_password_protected_workbook_is_reported_as_encrypted() -> None:
    error = _error(_encrypted_cfb())
    assert error.code == "encrypted"
    assert "password" in error.message


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated download"),
        pytest.param(lambda data: data[:40] + bytes(200) + data[240:], id="overwritten bytes"),
        pytest.param(
            lambda data: _rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2]),
            id="sheet xml cut short",
        ),
        pytest.param(
            lambda data: _rewrite(data, "xl/workbook.xml", lambda xml: xml.replace(b"<sheets>", b"<sheets")),
            id="broken workbook xml",
        ),
    ],
)
def test_a_damaged_workbook_is_reported_as_corrupt(damage: Callable[[bytes], bytes]) -> None:
    assert _error(damage(_fill_template([_member()]))).code == "corrupt"


def test_a_doctype_in_a_part_is_refused_as_corrupt() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>'
    data = _rewrite(_fill_template([_member()]), "xl/workbook.xml", lambda xml: bomb + xml)
    assert _error(data).code == "corrupt"


def test_sheet_xml_above_the_size_limit_is_too_large() -> None:
    data = _fill_template([_member()])
    assert read_member_list(data).rows
    error = _error(data, max_xml_bytes=20_000)
    assert error.code == "too_large"


def test_a_sheet_without_the_required_headers_names_the_missing_and_unknown_ones() -> None:
    headers = ["姓名", "身份证号", "保障项目", "参加基本医疗保险"]
    error = _error(_plain_list([["张三", "61010219900101123X", PLANS[0], "是"]], headers=headers))

    assert error.code == "missing_headers"
    assert "证件号码" in error.message and "投保份数" in error.message
    assert "身份证号" in error.message
    assert "保障项目" not in error.message  # present and recognised


def test_a_list_with_name_and_id_but_no_plan_column_names_the_missing_headers() -> None:
    error = _error(_plain_list([["张三", "61010219900101123X"]], headers=["姓名", "证件号码", "险种"]))

    assert error.code == "missing_headers"
    assert all(header in error.message for header in ("保障项目", "投保份数", "参加基本医疗保险", "险种"))


def test_a_workbook_without_any_header_row_lists_the_required_headers() -> None:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["这是一份说明"])
    error = _error(_save(book))
    assert error.code == "missing_headers"
    assert all(column.header in error.message for column in COLUMNS if column.required)


def test_headers_are_found_with_spaces_below_a_title_and_on_a_later_sheet() -> None:
    book = Workbook()
    notes = book.active
    assert isinstance(notes, Worksheet)
    notes.title = "封面"
    notes.append(["2025年度参保人员名单"])
    notes.append(["姓名", "电话"])  # a header-looking row without 证件号码: not the list
    sheet = book.create_sheet("名单")
    sheet["B2"] = "某单位"  # row 1 and column A empty: the data area starts at B2
    sheet["B3"], sheet["C3"], sheet["D3"] = " 姓 名 ", "证件\u3000号码", "保障项目"
    sheet["E3"], sheet["F3"], sheet["G3"] = "投保份数", "参加基本医疗保险", "部门"
    sheet.append([None, "张三", "61010219900101123X", PLANS[0], 2, "是", "工会办"])

    parsed = read_member_list(_save(book))
    assert (parsed.sheet_name, parsed.header_row) == ("名单", 3)
    [row] = parsed.rows
    assert row.number == 4
    assert row.values["name"] == "张三" and row.values["shares"] == 2 and row.values["gender"] is None
    assert set(row.values) == set(KEYS)


def test_a_header_row_below_the_fifth_row_is_not_found() -> None:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet["A6"] = "姓名"
    sheet["B6"] = "证件号码"
    assert _error(_save(book)).code == "missing_headers"


def test_a_header_row_with_no_data_is_empty() -> None:
    assert _error(_plain_list([])).code == "empty"


# ---------------------------------------------------------------------------------------------
# Row limits


def _write_only_list(count: int, *, seq_only_after: int | None = None) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append(HEADERS)
    for index in range(count):
        if seq_only_after is not None and index >= seq_only_after:
            sheet.append([index + 1])
        else:
            sheet.append([index + 1, f"张{index}", f"6101021990{index:08d}", "男", None, None, PLANS[0], 1, "是"])
    return _save(book)


class _NoCalamine:
    @classmethod
    def from_filelike(cls, *args: object, **kwargs: object) -> None:
        raise AssertionError("the sheet must not be loaded to find that it is too long")


def test_more_rows_than_allowed_are_refused_from_the_xml_without_loading_the_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _write_only_list(1_020)
    monkeypatch.setattr(read, "CalamineWorkbook", _NoCalamine)

    error = _error(data, max_rows=1_000)
    assert error.code == "too_many_rows"
    assert "1,000" in error.message and "split" in error.message


def test_a_list_just_over_the_limit_is_refused_after_loading() -> None:
    assert _error(_write_only_list(1_001), max_rows=1_000).code == "too_many_rows"


def test_a_list_at_the_limit_is_accepted() -> None:
    assert len(read_member_list(_write_only_list(1_000), max_rows=1_000).rows) == 1_000


def test_running_numbers_filled_in_ahead_do_not_count_as_members() -> None:
    parsed = read_member_list(_write_only_list(3_000, seq_only_after=3), max_rows=1_000)
    assert [row.values["name"] for row in parsed.rows] == ["张0", "张1", "张2"]


def _sheet_xml_with_rows(count: int) -> bytes:
    cells = '<c r="B{0}" t="inlineStr"><is><t>张{0}</t></is></c><c r="C{0}" t="inlineStr"><is><t>x{0}</t></is></c>'
    rows = "".join(f'<row r="{n}">{cells.format(n)}</row>' for n in range(2, count + 2))
    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>'
    ).encode()


def test_the_default_limit_of_two_hundred_thousand_rows_is_checked_without_loading_the_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _rewrite(_plain_list([]), "xl/worksheets/sheet1.xml", lambda _xml: _sheet_xml_with_rows(200_010))
    monkeypatch.setattr(read, "CalamineWorkbook", _NoCalamine)  # loading the sheet would fail the test

    assert _error(data).code == "too_many_rows"


def test_a_big_sheet_that_is_not_the_list_is_skipped_without_loading_it() -> None:
    big = _sheet_xml_with_rows(2_000).replace("姓名".encode(), "名字".encode())
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    first.title = "旧数据"
    second = book.create_sheet("名单")
    second.append(HEADERS)
    second.append(_member())
    data = _rewrite(_save(book), "xl/worksheets/sheet1.xml", lambda _xml: big)

    parsed = read_member_list(data, max_rows=100)
    assert parsed.sheet_name == "名单" and len(parsed.rows) == 1


# ---------------------------------------------------------------------------------------------
# Cell problems


def test_an_id_number_stored_as_a_number_is_reported_and_dropped() -> None:
    parsed = read_member_list(_fill_template([_member(), _member("李四", 610102199001011234)]))

    assert parsed.rows[1].values["id_number"] is None
    assert _codes(parsed) == [(5, "id_number", "id_number_stored_as_number")]
    assert "Text" in parsed.cell_problems[0].message


def _with_cached_values(xml: bytes) -> bytes:
    """openpyxl writes formulas without results; give them the results Excel would have stored."""
    xml = xml.replace(b'<c r="B4"><f>', b'<c r="B4" t="str"><f>')
    xml = re.sub(rb'(<c r="B4" t="str"><f>[^<]*</f>)<v\s*/>', lambda m: m.group(1) + "<v>张三</v>".encode(), xml)
    return re.sub(rb'(<c r="H5"[^>]*><f>[^<]*</f>)<v\s*/>', lambda m: m.group(1) + b"<v>2</v>", xml)


def test_formulas_in_data_cells_are_reported_with_their_row_and_column() -> None:
    rows = [
        _member(name='="张"&"三"'),
        _member("李四", "610102198505054321", shares="=1+1"),
        _member("王五", "610102198505054322"),
    ]
    data = _fill_template(rows)
    book = load_workbook(io.BytesIO(data))
    sheet = book[SHEET_NAME]
    sheet["K5"] = "=A1"  # an extra column: not the list's business
    for row in range(7, 30):
        sheet[f"{LETTER['remarks']}{row}"] = f'=IF(B{row}="","","")'  # blank rows dragged down
    data = _rewrite(_save(book), "xl/worksheets/sheet1.xml", _with_cached_values)

    parsed = read_member_list(data)
    assert [row.number for row in parsed.rows] == [4, 5, 6]
    assert parsed.rows[0].values["name"] == "张三" and parsed.rows[1].values["shares"] == 2
    assert _codes(parsed) == [(4, "name", "formula"), (5, "shares", "formula")]
    assert "values" in parsed.cell_problems[0].message


def test_formulas_are_located_in_a_sheet_whose_cells_carry_no_references() -> None:
    # Every cell filled: without references, a missing cell would shift the ones after it.
    full = {"seq": 1, "remarks": "无"}
    data = _plain_list([_member(**full), _member("李四", "610102198505054321", plan="=A1", **full)])
    data = _rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb' r="[A-Z]*\d+"', b"", xml))

    assert _codes(read_member_list(data)) == [(3, "plan", "formula")]


@pytest.mark.parametrize("text", ["1990-01-31", "1990/1/31", "1990.01.31", "19900131", "1990年1月31日", " 1990-1-31 "])
def test_birth_dates_written_as_text_are_parsed(text: str) -> None:
    parsed = read_member_list(_plain_list([_member(birth_date=text)]))
    assert parsed.rows[0].values["birth_date"] == dt.date(1990, 1, 31)
    assert parsed.cell_problems == []


def test_birth_dates_typed_as_dates_or_as_a_number_are_read() -> None:
    typed = dt.datetime(1990, 1, 31, 0, 0)  # noqa: DTZ001 - Excel dates have no time zone
    parsed = read_member_list(_plain_list([_member(birth_date=typed), _member(birth_date=19900131)]))
    assert [row.values["birth_date"] for row in parsed.rows] == [dt.date(1990, 1, 31)] * 2


@pytest.mark.parametrize("text", ["1990-02-30", "31/01/1990", "九〇年一月", "1990-01"])
def test_unreadable_birth_dates_are_reported(text: str) -> None:
    parsed = read_member_list(_plain_list([_member(birth_date=text)]))
    assert parsed.rows[0].values["birth_date"] is None
    assert _codes(parsed) == [(2, "birth_date", "bad_date")]
    assert text in parsed.cell_problems[0].message


@pytest.mark.parametrize(("shares", "expected"), [(2, 2), (3.0, 3), ("4", 4), (" 5 ", 5)])
def test_shares_are_whole_numbers(shares: object, expected: int) -> None:
    parsed = read_member_list(_plain_list([_member(shares=shares)]))
    assert parsed.rows[0].values["shares"] == expected and parsed.cell_problems == []


@pytest.mark.parametrize("shares", [1.5, 0, -1, "两份", "1份", True])
def test_shares_that_are_not_whole_numbers_of_at_least_one_are_reported(shares: object) -> None:
    parsed = read_member_list(_plain_list([_member(shares=shares)]))
    assert parsed.rows[0].values["shares"] is None
    assert _codes(parsed) == [(2, "shares", "bad_shares")]


def test_control_characters_are_removed_and_noted_for_names_only() -> None:
    data = _plain_list(
        [
            _member(name="张_x0007_三"),  # how Excel stores a control character
            _member(name="李\n四", remarks="第一行\n第二行\t"),
            _member(name="王五\n"),  # a trailing line break is just stripped
        ]
    )
    parsed = read_member_list(data)

    assert [row.values["name"] for row in parsed.rows] == ["张三", "李四", "王五"]
    assert parsed.rows[1].values["remarks"] == "第一行第二行"
    assert _codes(parsed) == [(2, "name", "control_characters"), (3, "name", "control_characters")]


def test_strings_are_only_stripped() -> None:
    parsed = read_member_list(
        _plain_list([_member(name="\u3000张 三 ", id_number=" ６１０１０２１９９００１０１１２３ｘ ")])
    )
    assert parsed.rows[0].values["name"] == "张 三"
    assert parsed.rows[0].values["id_number"] == "６１０１０２１９９００１０１１２３ｘ"


def test_blank_rows_and_rows_with_only_a_running_number_are_skipped() -> None:
    blank = [None] * len(KEYS)
    seq_only = [7, *[None] * (len(KEYS) - 1)]
    spaces = [" ", "  ", *[None] * (len(KEYS) - 2)]
    parsed = read_member_list(_plain_list([_member(), blank, spaces, _member("李四"), seq_only]))
    assert [row.number for row in parsed.rows] == [2, 5]


def test_a_numeric_phone_number_becomes_text() -> None:
    parsed = read_member_list(_plain_list([_member(phone=13800138000, seq=3.0)]))
    assert parsed.rows[0].values["phone"] == "13800138000"
    assert parsed.rows[0].values["seq"] == 3


def test_an_example_row_is_skipped_wherever_it_is() -> None:
    parsed = read_member_list(_plain_list([_member(remarks="示例行, 请删除"), _member("李四")]))
    assert [row.values["name"] for row in parsed.rows] == ["李四"]


# ---------------------------------------------------------------------------------------------
# Annotating


def _problem_file() -> tuple[bytes, list[CellProblem]]:
    rows = [
        _member(),
        _member("李四", 610102199001011234, birth_date="明年", shares=1.5),
        _member("王五", "610102198505054322"),
    ]
    book = load_workbook(io.BytesIO(_fill_template(rows)))
    sheet = book[SHEET_NAME]
    sheet["B4"].font = Font(name="楷体", bold=True, color="FF0000FF")  # the unit's own formatting
    data = _save(book)
    problems = [
        *read_member_list(data).cell_problems,
        CellProblem(5, "id_number", "duplicate", "The same ID number appears in row 6."),
        CellProblem(6, ROW, "duplicate_member", "This member is already insured for the period."),
    ]
    return data, problems


def test_annotate_marks_problem_cells_headers_and_lists_messages_in_a_new_column() -> None:
    data, problems = _problem_file()
    sheet = load_workbook(io.BytesIO(annotate_workbook(data, problems)))[SHEET_NAME]

    errors = chr(ord(LETTER["remarks"]) + 1)  # 错误说明 comes after the last used column
    assert sheet[f"{errors}2"].value == ERRORS_HEADER
    id_cell = sheet[f"{LETTER['id_number']}5"]
    assert id_cell.fill.fgColor.rgb == annotate._PROBLEM_FILL_RGB
    assert "Text" in id_cell.comment.text and "row 6" in id_cell.comment.text  # two problems, one comment
    for key in ("birth_date", "shares"):
        assert sheet[f"{LETTER[key]}5"].fill.fgColor.rgb == annotate._PROBLEM_FILL_RGB
        assert sheet[f"{LETTER[key]}5"].comment is not None
        assert "Cells with problems in this column: 1" in sheet[f"{LETTER[key]}2"].comment.text
    assert "Cells with problems in this column: 1" in sheet[f"{LETTER['id_number']}2"].comment.text
    row_five = sheet[f"{errors}5"].value
    assert "证件号码：" in row_five and "出生日期：" in row_five and "投保份数：" in row_five
    assert sheet[f"{errors}6"].value == "This member is already insured for the period."
    assert all(sheet.cell(row=6, column=c).comment is None for c in range(1, len(COLUMNS) + 1))
    assert sheet[f"{errors}4"].value is None and sheet["B4"].fill.fgColor.rgb != annotate._PROBLEM_FILL_RGB
    assert sheet["B4"].font.name == "楷体" and sheet["B4"].font.color.rgb == "FF0000FF"
    assert sheet.freeze_panes == "A3" and sheet.data_validations.dataValidation


def test_annotating_a_corrected_annotated_file_clears_the_old_marks() -> None:
    data, problems = _problem_file()
    book = load_workbook(io.BytesIO(annotate_workbook(data, problems)))
    sheet = book[SHEET_NAME]
    sheet[f"{LETTER['birth_date']}5"] = dt.date(1990, 1, 1)  # fixed
    sheet[f"{LETTER['shares']}5"] = 1  # fixed
    corrected = _save(book)
    left = read_member_list(corrected).cell_problems
    assert [(p.row, p.column) for p in left] == [(5, "id_number")]

    sheet = load_workbook(io.BytesIO(annotate_workbook(corrected, left)))[SHEET_NAME]
    errors = chr(ord(LETTER["remarks"]) + 1)
    assert sheet[f"{chr(ord(errors) + 1)}2"].value is None  # the 错误说明 column is reused
    assert sheet[f"{LETTER['birth_date']}5"].comment is None
    assert sheet[f"{LETTER['birth_date']}5"].fill.fgColor.rgb != annotate._PROBLEM_FILL_RGB
    assert sheet[f"{LETTER['birth_date']}2"].comment.text == str(COLUMNS[4].note)
    assert sheet[f"{LETTER['id_number']}5"].comment is not None
    assert sheet[f"{errors}6"].value is None
    assert sheet[f"{errors}5"].value.startswith("证件号码：")


def test_annotate_handles_ten_thousand_problems() -> None:
    data = _write_only_list(10_000)
    problems = [CellProblem(n, "id_number", "bad_id", f"Check digit wrong in row {n}.") for n in range(2, 10_002)]
    annotated = annotate_workbook(data, problems)
    book = load_workbook(io.BytesIO(annotated), read_only=True)
    assert next(book.active.iter_rows(min_row=10_001, max_row=10_001, values_only=True))[-1] == (
        "证件号码：Check digit wrong in row 10001."
    )


def test_annotate_refuses_a_workbook_without_the_list() -> None:
    with pytest.raises(WorkbookError):
        annotate_workbook(_save(Workbook()), [])
    with pytest.raises(WorkbookError) as caught:
        annotate_workbook(b"not a workbook", [])
    assert caught.value.code == "corrupt"


# ---------------------------------------------------------------------------------------------
# A workbook of chosen rows


def test_rows_workbook_round_trips_and_carries_the_problems() -> None:
    data, problems = _problem_file()
    parsed = read_member_list(data)
    failed_numbers = {p.row for p in problems}
    failed = [row for row in parsed.rows if row.number in failed_numbers]
    failed.append(RawRow(9, {"name": "赵六", "id_number": "610102198505054399", "remarks": "=1+1"}))

    out = rows_workbook(rows=failed, problems=problems, unit_name="单位", period_label="2025", plans=PLANS)
    again = read_member_list(out)

    assert [row.number for row in again.rows] == [3, 4, 5]
    assert [row.values for row in again.rows[:2]] == [row.values for row in failed[:2]]
    assert again.rows[2].values["remarks"] == "=1+1"  # text that looks like a formula stays text
    assert [(p.row, p.column, p.code) for p in again.cell_problems] == []
    sheet = load_workbook(io.BytesIO(out))[SHEET_NAME]
    errors = chr(ord(LETTER["remarks"]) + 1)
    assert sheet[f"{errors}2"].value == ERRORS_HEADER
    assert sheet[f"{LETTER['id_number']}3"].fill.fgColor.rgb == annotate._PROBLEM_FILL_RGB
    assert "Text" in sheet[f"{LETTER['id_number']}3"].comment.text
    # Each row says which row of the uploaded sheet it came from, then the column as the template
    # names it, what was typed and what to do (the test runs in English: the msgids).
    assert sheet[f"{errors}3"].value.startswith("Row 5 of the uploaded sheet\n证件号码, typed")
    assert sheet[f"{errors}4"].value.endswith("This member is already insured for the period.")
    assert sheet[f"{errors}5"].value is None
    assert sheet[f"{LETTER['id_number']}5"].number_format == "@"


# ---------------------------------------------------------------------------------------------
# Robustness, speed, translations


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=4096),
        st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=64)),
    )
)
def test_reading_arbitrary_bytes_raises_nothing_but_workbook_error(sample: bytes | tuple[int, bytes]) -> None:
    if isinstance(sample, tuple):  # a real workbook with a stretch of it overwritten
        position, patch = sample
        position %= len(_SAMPLE)
        data = _SAMPLE[:position] + patch + _SAMPLE[position + len(patch) :]
    else:
        data = sample
    try:
        read_member_list(data)
    except WorkbookError as error:
        assert error.code in {
            "not_xlsx",
            "encrypted",
            "corrupt",
            "missing_headers",
            "empty",
            "too_many_rows",
            "too_large",
        }


_SAMPLE = _plain_list([_member(), _member("李四", "610102198505054321")])


def _fast_xlsx(count: int) -> bytes:
    """A 10-column list of `count` members written straight as XML with shared strings, as Excel
    writes it; openpyxl would take longer to write it than the reader may take to read it."""
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        return strings.setdefault(text, len(strings))

    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{shared(h)}</v></c>' for i, h in enumerate(HEADERS))
    rows = [f'<row r="1">{header}</row>']
    for index in range(count):
        r = index + 2
        rows.append(
            f'<row r="{r}"><c r="A{r}"><v>{index + 1}</v></c><c r="B{r}" t="s"><v>{shared(f"张{index}")}</v></c>'
            f'<c r="C{r}" t="s"><v>{shared(f"6101021990{index:08d}")}</v></c>'
            f'<c r="D{r}" t="s"><v>{shared("男")}</v></c>'
            f'<c r="E{r}" s="1"><v>32874</v></c><c r="F{r}" t="s"><v>{shared(f"138{index:08d}")}</v></c>'
            f'<c r="G{r}" t="s"><v>{shared(PLANS[0])}</v></c><c r="H{r}"><v>1</v></c>'
            f'<c r="I{r}" t="s"><v>{shared("是")}</v></c><c r="J{r}" t="s"><v>{shared("无")}</v></c></row>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<worksheet xmlns="{main}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    sst = f'<sst xmlns="{main}">' + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>"
    styles = (
        f'<styleSheet xmlns="{main}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
    )
    data = _rewrite(_plain_list([]), "xl/worksheets/sheet1.xml", lambda _xml: sheet.encode())
    data = _rewrite(data, "xl/styles.xml", lambda _xml: styles.encode())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(info.filename, content)
        target.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def test_a_list_of_one_hundred_thousand_members_reads_completely() -> None:
    """Its speed is measured by bench/enrollment_bench.py, not asserted here."""
    parsed = read_member_list(_fast_xlsx(100_000))

    assert len(parsed.rows) == 100_000 and parsed.cell_problems == []
    assert parsed.rows[-1].values == {
        "seq": 100_000,
        "name": "张99999",
        "id_number": "610102199000099999",
        "gender": "男",
        "birth_date": dt.date(1990, 1, 1),
        "phone": "13800099999",
        "plan": PLANS[0],
        "shares": 1,
        "basic_insurance": "是",
        "remarks": "无",
    }


def test_every_message_of_the_workbook_has_a_chinese_translation_with_the_same_placeholders() -> None:
    sources = sorted((ROOT / "enrollment" / "workbook").glob("*.py"))
    msgids = {
        msgid
        for source in sources
        for msgid in msgids_of(str(source.relative_to(ROOT)), frozenset({"_", "gettext_lazy"}), strict=True)
    }
    table = chinese_of(msgids)

    assert msgids <= set(table), sorted(msgids - set(table))
    for msgid in msgids:
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", table[msgid])), msgid
