"""The member-list workbook (参保人员名单): the template units fill in, the reader, and the
annotated copies sent back when rows have problems.

Why it is built this way:

* Units fill the list in Excel or WPS, so the layout does the teaching: drop-downs, text-formatted
  ID and phone columns (Excel silently turns an 18-digit ID into 6.10102E+17 and loses the last
  digits), notes on the headers and an instructions sheet.
* The reader must cope with large lists (a provincial enterprise can upload 100,000 members), so
  cell values come from python-calamine, which is an order of magnitude faster than openpyxl.
  What calamine does not expose (formulas) and what must be known before anything is loaded
  (the number of rows, the size of the XML) comes from one streaming pass over the sheet XML.
* Nothing a unit uploads is trusted: every way the file can be wrong ends in a `WorkbookError`
  whose message says what to do, and problems with single cells are collected, not raised, so
  one upload reports all of them at once.
* Problems are handed back in the unit's own file (`annotate_workbook`) so they can fix them where
  they typed them, or in a fresh file of only the failed rows (`rows_workbook`).

Headers, sheet names and the example-row mark are Chinese constants, not translations: the reader
recognises them whatever language the template was downloaded in.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import logging
import posixpath
import re
import warnings
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from xml.etree import ElementTree

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

logger = logging.getLogger(__name__)

SHEET_NAME = "参保人员名单"
HELP_SHEET_NAME = "填写说明"
OPTIONS_SHEET_NAME = "选项"
EXAMPLE_MARK = "示例行，请删除"
ERRORS_HEADER = "错误说明"
# The author of every comment this module writes; it is how a re-annotation finds its old marks.
COMMENT_AUTHOR = "互助保障管理平台"
ROW = "row"  # CellProblem.column for a problem with the whole row

HEADER_SEARCH_ROWS = 5
TEMPLATE_ROWS = 2000  # rows pre-formatted (text ID/phone columns, drop-downs) below the header
DEFAULT_MAX_ROWS = 200_000
MAX_SHEET_XML_BYTES = 400 * 1024 * 1024
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024  # workbook.xml and its relationships
# calamine allocates the whole rectangle up to the last cell with a value: at most this many
# columns' worth for the rows a list may have (A to Z for a full list, wider for a shorter one).
AREA_COLUMNS = 26
MIN_AREA_CELLS = 2_000_000  # about 100 MB: what any list may take, however low its row limit
MAX_SHARED_TEXT_BYTES = 128 * 1024 * 1024  # shared-string text copied into the cells of one sheet

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
COLUMN_BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
_KEY_BY_HEADER: dict[str, str] = {column.header: column.key for column in COLUMNS}


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


class WorkbookError(Exception):
    """The file as a whole cannot be used; `message` tells the unit what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------------
# Headers


@dataclass
class _Header:
    """A candidate header row: which column (1-based) each known header is in."""

    row: int
    columns: dict[str, int]
    unknown: list[str]

    @property
    def complete(self) -> bool:
        return "name" in self.columns and "id_number" in self.columns

    def missing(self) -> list[str]:
        return [c.header for c in COLUMNS if c.required and c.key not in self.columns]


_SPACES = re.compile(r"\s+")


def _header_text(value: object) -> str:
    if isinstance(value, CellRichText):  # openpyxl's value for a header with mixed formatting
        value = str(value)
    return _SPACES.sub("", value) if isinstance(value, str) else ""


def _find_header(rows: Iterable[tuple[int, dict[int, object]]]) -> _Header | None:
    """The first row holding both 姓名 and 证件号码, else the row that came closest (for the message)."""
    best: _Header | None = None
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        columns: dict[str, int] = {}
        unknown: list[str] = []
        for col in sorted(cells):
            text = _header_text(cells[col])
            if not text or text == ERRORS_HEADER:
                continue
            key = _KEY_BY_HEADER.get(text)
            if key is None:
                unknown.append(text)
            elif key not in columns:
                columns[key] = col
        candidate = _Header(number, columns, unknown)
        if candidate.complete:
            return candidate
        if columns and (best is None or len(columns) > len(best.columns)):
            best = candidate
    return best


def _missing_headers_error(header: _Header | None, sheet: str | None) -> WorkbookError:
    if header is None or sheet is None:
        missing = "、".join(c.header for c in COLUMNS if c.required)
        return WorkbookError(
            "missing_headers",
            _(
                "No sheet has the header row of the member list in its first five rows. "
                "The headers %(missing)s are required; download the template and copy your data into it."
            )
            % {"missing": missing},
        )
    message = _("Row %(row)s of sheet “%(sheet)s” lacks these required headers: %(missing)s.") % {
        "row": header.row,
        "sheet": sheet,
        "missing": "、".join(header.missing()),
    }
    if header.unknown:
        message += " " + _("These headers were not recognised: %(unknown)s.") % {"unknown": "、".join(header.unknown)}
    message += " " + _("Write the headers exactly as in the template.")
    return WorkbookError("missing_headers", message)


# --------------------------------------------------------------------------------------------
# The container: sniffing, parts, limits

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel saves a password-protected .xlsx as an OLE2 compound file whose directory holds a stream
# named "EncryptedPackage" (MS-OFFCRYPTO). Looking for that name, UTF-16LE as directory entries
# store it, is enough to tell such a file from an old .xls without parsing the compound file.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 1 << 20


def _not_xlsx_error() -> WorkbookError:
    return WorkbookError(
        "not_xlsx",
        _(
            "This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
            "“Excel Workbook (*.xlsx)” and upload the saved file."
        ),
    )


def _corrupt_error() -> WorkbookError:
    return WorkbookError(
        "corrupt",
        _(
            "The workbook is damaged and cannot be read. Open it in Excel or WPS to check it, save it "
            "again as .xlsx and upload the new file."
        ),
    )


def _too_large_error(limit: int) -> WorkbookError:
    return WorkbookError(
        "too_large",
        _(
            "The workbook holds more than %(limit)s MB of sheet data, too much to read. Delete unused "
            "sheets, formatting and empty rows, or split the list into several files."
        )
        % {"limit": max(1, limit // (1024 * 1024))},
    )


def _too_many_rows_error(max_rows: int) -> WorkbookError:
    return WorkbookError(
        "too_many_rows",
        _(
            "The list has more than %(max)s members. A file may hold at most %(max)s members: split the "
            "list into several files and upload them one by one."
        )
        % {"max": f"{max_rows:,}"},
    )


def _too_wide_error(sheet: str, last_row: int, last_column: int) -> WorkbookError:
    return WorkbookError(
        "too_large",
        _(
            "Sheet “%(sheet)s” has values as far as cell %(cell)s, which makes it too large to read. Delete "
            "the rows below the list and the columns to the right of it (or the stray values there), save "
            "the file and upload it again."
        )
        % {"sheet": sheet, "cell": f"{get_column_letter(min(max(last_column, 1), 18278))}{last_row}"},
    )


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if not data:
        raise WorkbookError("not_xlsx", _("The file is empty. Choose the filled-in member list and upload it again."))
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise WorkbookError(
                "encrypted",
                _(
                    "The workbook is protected with a password, so it cannot be read. Open it in Excel or "
                    "WPS, remove the password (File → Info → Protect Workbook → Encrypt with Password), "
                    "save it and upload it again."
                ),
            )
        raise WorkbookError(
            "not_xlsx",
            _(
                "This is an old-format Excel file (.xls). Open it in Excel or WPS, choose Save As → "
                "“Excel Workbook (*.xlsx)” and upload the .xlsx file."
            ),
        )
    if not data.startswith(b"PK"):
        raise _not_xlsx_error()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except Exception as exc:  # zipfile raises several types for a damaged archive
        raise _corrupt_error() from exc
    if "xl/workbook.xml" not in names:
        archive.close()
        raise _not_xlsx_error()
    if len(names) != len(archive.infolist()):
        # Two parts of one name: the checks here might read one and calamine the other.
        archive.close()
        raise _corrupt_error()
    if any(info.flag_bits & 0x1 for info in archive.infolist()):
        archive.close()
        raise WorkbookError(
            "encrypted",
            _("Parts of the workbook are encrypted. Save it again in Excel or WPS without a password."),
        )
    return archive


def _stream_part(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[bytes]:
    """Yield a part in chunks, as it really inflates, whatever its headers declare. zipfile (and
    calamine) stop at the declared size, so a part that lies about it would only end in a CRC
    error ("damaged"), or, with a CRC forged for the declared prefix, be read as that prefix here
    and in full by calamine. Inflating the raw stream ourselves tells a zip bomb for what it is
    (`too_large`) and never lets the scan see other bytes than calamine will."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_DEFLATED:  # stored: its bytes are in the upload, no bigger
        total = 0
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_large_error(limit)
                yield chunk
        return
    yield from _inflate(archive, info, limit)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """Raw deflate from the member's data to the end of its stream, bounded by `limit` inflated
    bytes. Past the declared size nothing more is yielded: the rest is only counted (up to the
    limit), to tell a bomb (`too_large`) from a merely damaged part (`corrupt`)."""
    source = archive.fp
    if source is None:
        raise _corrupt_error()
    source.seek(info.header_offset)
    local = source.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise _corrupt_error()
    position = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    declared, total, crc = info.file_size, 0, 0
    pending = b""
    while not inflater.eof:
        if not pending:
            source.seek(position)
            pending = source.read(_CHUNK)
            position += len(pending)
            if not pending:
                raise _corrupt_error()  # the stream stops short: a truncated file
        chunk = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        total += len(chunk)
        if total > limit:
            raise _too_large_error(limit)
        if total - len(chunk) < declared:
            useful = chunk[: declared - (total - len(chunk))]
            crc = zlib.crc32(useful, crc)
            if useful:
                yield useful
    if total != declared or crc != info.CRC:
        raise _corrupt_error()


def _read_small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    data = b"".join(_stream_part(archive, name, MAX_SMALL_PART_BYTES))
    return _check_no_doctype(data)


def _check_no_doctype(data: bytes) -> bytes:
    # OOXML parts never carry a DOCTYPE; refusing one rules out entity-expansion attacks before
    # ElementTree sees the bytes.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _corrupt_error()
    return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(archive: zipfile.ZipFile, rels_name: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of one .rels part."""
    if rels_name not in archive.namelist():
        return {}
    root = ElementTree.fromstring(_read_small_part(archive, rels_name))  # noqa: S314 - DOCTYPE refused above
    result: dict[str, tuple[str, str]] = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        result[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return result


def _worksheet_parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """The worksheets in workbook order as (name, part), and the shared-strings part if any."""
    rels = _relationships(archive, "xl/_rels/workbook.xml.rels", "xl")
    root = ElementTree.fromstring(_read_small_part(archive, "xl/workbook.xml"))  # noqa: S314 - DOCTYPE refused
    sheets: list[tuple[str, str]] = []
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.startswith("{") and _local(k) == "id"), "")
        rel_type, part = rels.get(rel_id, ("", ""))
        if rel_type.endswith("/worksheet") and part in archive.namelist():
            sheets.append((element.get("name", ""), part))
    shared = next((part for rel_type, part in rels.values() if rel_type.endswith("/sharedStrings")), None)
    if shared is not None and shared not in archive.namelist():
        shared = None
    return sheets, shared


def _check_sizes(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse a zip bomb by the declared sizes, then make sure the parts calamine reads before any
    sheet (workbook, styles, shared strings) really are that size (worksheets are checked when scanned)."""
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > limit:
        raise _too_large_error(limit)
    for info in infos:
        name = info.filename
        if name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/"):
            for _chunk in _stream_part(archive, name, limit):
                pass


# --------------------------------------------------------------------------------------------
# The streaming pass over a sheet's XML

_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]{0,32}:)?worksheet[\s>/]")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d{1,7})["']""")
_ROW_REF = re.compile(rb"""\sr\s*=\s*["'](\d{1,7})["']""")
_WHITESPACE_BYTES = (b" ", b"\t", b"\r", b"\n")
_LOOKBACK = 4096


@dataclass
class _SheetScan:
    prefix: bytes  # the namespace prefix of the sheet's elements ("x:"), usually empty
    row_elements: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column), both 1-based
    formulas_without_reference: bool = False
    # The area calamine will allocate, bounded from the cell references Excel writes
    # (`<c r="B7"`, `<row r="7"`): row numbers of at least `tall_digits` digits, columns past Z,
    # and how many cells or rows are written any other way (then only a real parse can tell).
    tall_row: int = 0
    wide_columns: set[bytes] = field(default_factory=set)
    odd_references: int = 0
    cell_tags: int = 0  # "<c" occurrences: at least the number of cells
    tall_digits: int = 7
    complete: bool = True

    def area_bound(self) -> int | None:
        """rows × columns of the cells calamine will allocate at most, or None if unknown."""
        if self.odd_references:
            return None
        rows = max(self.tall_row, 10 ** (self.tall_digits - 1) - 1)
        columns = max((column_index_from_string(c.decode().upper()) for c in self.wide_columns), default=26)
        return rows * columns


def _xml_chunks(archive: zipfile.ZipFile, part: str, limit: int) -> Iterator[bytes]:
    """A part's chunks for an XML parser. OOXML parts never carry a DOCTYPE; refusing one rules
    out entity-expansion attacks before ElementTree sees the bytes."""
    tail = b""
    for chunk in _stream_part(archive, part, limit):
        _check_no_doctype(tail + chunk)
        tail = chunk[-16:]
        yield chunk


def _search_windows(chunks: Iterable[bytes], longest_match: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (buffer, start, end): matches of a pattern that starts with its only "<" and is at
    most `longest_match` bytes long are to be searched in buffer[start:end], and every such match
    is found exactly once. The bytes before `start` are context for looking back (a cell's tag)."""
    carry = b""
    start = 0
    for chunk in chunks:
        buffer = carry + chunk
        end = buffer.rfind(b"<", start)
        if end == -1 or len(buffer) - end > longest_match:
            end = len(buffer)  # any match from the last "<" on is complete: nothing to hold back
        yield buffer, start, end
        back = max(0, end - _LOOKBACK)
        carry, start = buffer[back:], end - back
    if len(carry) > start:
        yield carry, start, len(carry)


def _scan_sheet(
    archive: zipfile.ZipFile, part: str, limit: int, *, rows_budget: int, stop_past_budget: bool = False
) -> _SheetScan:
    """Count the row elements and find the formula cells in one pass with byte patterns: C-speed
    regexes over the raw XML are several times faster than any XML parser. A formula is a <f>
    element, always the first child of its cell, so the cell's reference is just before it.

    The same pass bounds the area of the sheet: calamine allocates every cell of the rectangle from
    A1 to the farthest cell with a value, so one value in XFD1048576 of a 20 KB file would cost tens
    of gigabytes. Only references with as many digits as `rows_budget` (or more) are collected.
    `stop_past_budget`: stop once the rows outnumber `rows_budget` (`complete` is then False), for a
    sheet that is most likely refused for its length anyway."""
    scan: _SheetScan | None = None
    row_pattern = formula_pattern = cell_pattern = tall_row_pattern = odd_pattern = re.compile(b"^$")
    tall_digits = len(str(rows_budget))
    for buffer, start, end in _search_windows(_stream_part(archive, part, limit), 64):
        if scan is None:
            root = _ROOT_TAG.search(buffer, 0, 65536)
            scan = _SheetScan(prefix=(root.group(1) or b"") if root else b"", tall_digits=tall_digits)
            escaped = re.escape(scan.prefix)
            row_pattern = re.compile(b"<" + escaped + rb"row[\s>/]")
            formula_pattern = re.compile(b"<" + escaped + rb"f[\s>/]")
            # Patterns for the rare references that matter, each with a long literal prefix (fast): a
            # cell past column Z or with a row number of `tall_digits` or more, such a row, and a cell
            # or row whose first attribute is not its reference (no program writes that; a real parse
            # then places it).
            cell_pattern = re.compile(
                b"<" + escaped + rb'c r="(?:([A-Za-z]{2,})(\d+)|[A-Za-z](\d{%d,}))"' % tall_digits
            )
            tall_row_pattern = re.compile(b"<" + escaped + rb'row r="(\d{%d,})"' % tall_digits)
            odd_pattern = re.compile(b"<" + escaped + rb'(?:c|row)(?:[>/]|\s(?!r="[A-Za-z\d]))')
        scan.row_elements += len(row_pattern.findall(buffer, start, end))
        scan.cell_tags += buffer.count(b"<" + scan.prefix + b"c", start, end)
        if found := cell_pattern.findall(buffer, start, end):
            scan.wide_columns.update(letters for letters, _, _ in found if letters)
            scan.tall_row = max(scan.tall_row, *(int(wide or tall) for _, wide, tall in found))
        scan.tall_row = max(scan.tall_row, max(map(int, tall_row_pattern.findall(buffer, start, end)), default=0))
        scan.odd_references += len(odd_pattern.findall(buffer, start, end))
        for match in formula_pattern.finditer(buffer, start, end):
            reference = _enclosing_cell_ref(buffer, match.start(), b"<" + scan.prefix + b"c")
            if reference is None:
                scan.formulas_without_reference = True
            else:
                scan.formulas.add(reference)
        if stop_past_budget and scan.row_elements > rows_budget:
            scan.complete = False
            break
    return scan or _SheetScan(prefix=b"")


def _valued_area(archive: zipfile.ZipFile, part: str, limit: int, *, stop_above: int) -> tuple[int, int]:
    """(last row, last column) of the cells with a value, placed as calamine places them: a cell's
    own reference, else the next column of its row. Only for sheets the byte patterns could not
    bound (cells without references, or an area that looks too large but may be formatting only);
    it stops as soon as the area passes `stop_above`. Every element is dropped from its parent when
    it ends, so memory stays that of one cell."""
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    stack: list[ElementTree.Element] = []
    row_number = column = cell_row = last_row = last_column = 0
    has_value = False
    for chunk in _xml_chunks(archive, part, limit):
        parser.feed(chunk)
        for event, element in parser.read_events():
            name = _local(element.tag)
            if event == "start":
                if name == "row":
                    reference = element.get("r") or ""
                    row_number = int(reference) if reference.isdigit() else row_number + 1
                    column = 0
                elif name == "c":
                    reference = element.get("r") or ""
                    digits = re.sub(r"\D", "", reference)
                    column = _column_of(reference, column)
                    cell_row = int(digits) if digits else row_number
                    has_value = False
                elif name in ("v", "is") and stack and _local(stack[-1].tag) == "c":
                    has_value = True
                stack.append(element)
                continue
            stack.pop()
            if name == "c" and has_value:
                last_row, last_column = max(last_row, cell_row), max(last_column, column)
                if last_row * last_column > stop_above:
                    return last_row, last_column
            if stack and len(stack[-1]) and stack[-1][-1] is element:
                del stack[-1][-1]
    return last_row, last_column


def _shared_string_sizes(archive: zipfile.ZipFile, part: str, limit: int) -> list[int]:
    """The size in bytes of each shared string's XML, an upper bound of the text calamine copies
    into every cell that refers to it."""
    chunks = _stream_part(archive, part, limit)
    first = next(chunks, b"")
    root = re.search(rb"<([A-Za-z_][\w.-]{0,32}:)?sst[\s>/]", first[:65536])
    prefix = (root.group(1) or b"") if root else b""
    token = b"<" + prefix + b"si"
    return [
        len(piece)
        for piece in _row_elements(chain([first], chunks), token)
        if piece[:1] in _WHITESPACE_BYTES or piece[:1] in (b">", b"/")
    ]


def _shared_text_bytes(archive: zipfile.ZipFile, part: str, scan: _SheetScan, sizes: list[int], limit: int) -> int:
    """An upper bound of the shared-string text that loading the sheet copies: every <v> that can be
    read as an index counts that string; a <v> written otherwise counts the longest."""
    escaped = re.escape(scan.prefix)
    index_pattern = re.compile(b"<" + escaped + rb"v>\s*(\d{1,10})\s*</" + escaped + b"v>")
    value_pattern = re.compile(b"<" + escaped + rb"v[\s>/]")
    total = values = 0
    count = len(sizes)
    for buffer, start, end in _search_windows(_stream_part(archive, part, limit), 64):
        found = index_pattern.findall(buffer, start, end)
        values += len(value_pattern.findall(buffer, start, end)) - len(found)
        total += sum(sizes[i] for i in map(int, found) if i < count)
    return total + max(0, values) * max(sizes, default=0)


def _enclosing_cell_ref(buffer: bytes, position: int, cell_token: bytes) -> tuple[int, int] | None:
    """The (row, column) in the reference of the <c> element that `position` lies in."""
    at = position
    while (at := buffer.rfind(cell_token, max(0, position - _LOOKBACK), at)) != -1:
        follower = buffer[at + len(cell_token) : at + len(cell_token) + 1]
        if follower in _WHITESPACE_BYTES or follower == b">":
            tag_end = buffer.find(b">", at, position)
            match = _CELL_REF.search(buffer, at, tag_end if tag_end != -1 else position)
            if match is None:
                return None
            return int(match.group(2)), column_index_from_string(match.group(1).decode().upper())
    return None


def _column_of(reference: str | None, previous: int) -> int:
    letters = re.sub(r"[\d$]", "", reference or "")
    return column_index_from_string(letters.upper()) if letters else previous + 1


def _formulas_by_position(archive: zipfile.ZipFile, part: str, limit: int) -> set[tuple[int, int]]:
    """Formula cells of a sheet whose cells carry no references (allowed, though Excel always writes
    them): positions have to be counted, which needs a real parse. Only used in that rare case."""
    found: set[tuple[int, int]] = set()
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    row_number = column = 0
    for chunk in _xml_chunks(archive, part, limit):
        parser.feed(chunk)
        for event, element in parser.read_events():
            name = _local(element.tag)
            if event == "start" and name == "row":
                row_number = int(element.get("r") or row_number + 1)
                column = 0
            elif event == "start" and name == "c":
                column = _column_of(element.get("r"), column)
            elif event == "start" and name == "f":
                found.add((row_number, column))
            elif event == "end" and name == "row":
                element.clear()
    return found


# --------------------------------------------------------------------------------------------
# Reading the head and counting the rows of a sheet too big to load


def _head_rows(
    archive: zipfile.ZipFile, part: str, shared: str | None, limit: int
) -> list[tuple[int, dict[int, object]]]:
    """The cells of the header-search rows, read from the XML without loading the sheet."""
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    rows: list[tuple[int, dict[int, object]]] = []
    wanted: dict[int, list[tuple[dict[int, object], int]]] = defaultdict(list)  # shared-string index -> cells
    row_number = column = 0
    cells: dict[int, object] = {}
    done = False
    for chunk in _xml_chunks(archive, part, limit):
        parser.feed(chunk)
        for event, element in parser.read_events():
            name = _local(element.tag)
            if event == "start" and name == "row":
                row_number = int(element.get("r") or row_number + 1)
                done = row_number > HEADER_SEARCH_ROWS
                if done:
                    break
                cells, column = {}, 0
            elif event == "end" and name == "c":
                column = _column_of(element.get("r"), column)
                kind = element.get("t", "n")
                value_element = next((e for e in element if _local(e.tag) == "v"), None)
                value = value_element.text if value_element is not None else None
                if kind == "s" and value is not None and value.strip().isdigit() and len(value) < 10:
                    wanted[int(value)].append((cells, column))
                elif kind == "inlineStr":
                    cells[column] = _rich_text(element)
                elif value is not None:
                    cells[column] = value
            elif event == "end" and name == "row":
                rows.append((row_number, cells))
                element.clear()
            elif event == "end" and name == "sheetData":
                done = True
                break
        if done:
            break
    if wanted and shared is not None:
        for index, text in _shared_strings(archive, shared, max(wanted), limit):
            for target, target_column in wanted.get(index, ()):
                target[target_column] = text
    return rows


def _rich_text(element: ElementTree.Element) -> str:
    """The text of an <si> or <is>: its <t> and the <t> of its runs, without phonetic (rPh) runs."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name in ("is", "r"):
            parts.append(_rich_text(child))
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, part: str, last: int, limit: int) -> Iterator[tuple[int, str]]:
    """The shared strings up to index `last`, parsed incrementally: header strings come early."""
    parser = ElementTree.XMLPullParser(events=("end",))
    index = 0
    for chunk in _xml_chunks(archive, part, limit):
        parser.feed(chunk)
        for _event, element in parser.read_events():
            if _local(element.tag) == "si":
                yield index, _rich_text(element)
                element.clear()
                index += 1
                if index > last:
                    return


def _row_elements(chunks: Iterable[bytes], token: bytes) -> Iterator[bytes]:
    """The bytes after each `token` ("<row") up to the next one. Chunks without a token wait in a
    list and are joined once, so a huge row costs linear, not quadratic, copying."""
    pending: list[bytes] = []
    seam = len(token) - 1
    for chunk in chunks:
        across = (pending[-1][-seam:] if pending else b"") + chunk[:seam]
        if token not in chunk and token not in across:
            pending.append(chunk)
            continue
        buffer = b"".join(pending) + chunk
        cut = buffer.rfind(token)
        # The first piece is what precedes the first row (or b"": later buffers start at a token).
        yield from buffer[:cut].split(token)[1:]
        pending = [buffer[cut:]]
    yield from b"".join(pending).split(token)[1:]


def _count_member_rows(
    archive: zipfile.ZipFile, part: str, scan: _SheetScan, header: _Header, stop_after: int, limit: int
) -> int:
    """Rows below the header with a value in any column but 序号, counted from the XML and stopping
    once past `stop_after`. Rows with only formatting, or only a pre-filled running number, do not
    count, so a template prepared for 5,000 members is not mistaken for a list of 5,000."""
    value_pattern = re.compile(b"<" + re.escape(scan.prefix) + rb"(?:v|is)>")
    cell_token = b"<" + scan.prefix + b"c"
    seq_column = header.columns.get("seq")
    count = row_number = 0
    for piece in _row_elements(_stream_part(archive, part, limit), b"<" + scan.prefix + b"row"):
        if piece[:1] not in _WHITESPACE_BYTES and piece[:1] not in (b">", b"/"):
            continue  # <rowBreaks> or similar, not a row
        tag_end = piece.find(b">")
        reference = _ROW_REF.search(piece, 0, tag_end if tag_end != -1 else len(piece))
        row_number = int(reference.group(1)) if reference else row_number + 1
        if row_number <= header.row:
            continue
        first = value_pattern.search(piece)
        if first is None:
            continue
        if seq_column is not None and value_pattern.search(piece, first.end()) is None:
            cell = _enclosing_cell_ref(piece, first.start(), cell_token)
            if cell is not None and cell[1] == seq_column:
                continue
        count += 1
        if count > stop_after:
            break
    return count


# --------------------------------------------------------------------------------------------
# Cell values

# Control characters, plus the invisible format characters that come along when a name or a number
# is copied from a web page or a phone (zero-width spaces, byte-order marks, bidi marks).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_DATE_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+0{1,2}:00(?::00)?)?")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_WHOLE_NUMBER = re.compile(r"\+?(\d{1,9})(?:\.0*)?")


def _clean(text: str) -> str | None:
    cleaned = text.strip()
    if not cleaned.isprintable() and _CONTROL.search(cleaned):  # isprintable(): a fast first filter
        cleaned = _CONTROL.sub("", cleaned).strip()
    return cleaned or None


def _as_text(value: object) -> str | None:
    """A cell's value as the text a person reads in it."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _quoted(text: str | None, limit: int = 40) -> str:
    """A cell's text as quoted in a message: a cell can hold a million characters, and its message
    is stored with the report and shown in the unit's file."""
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_text_date(text: str) -> dt.date | None:
    for pattern, groups in ((_DATE_SEPARATED, (1, 3, 4)), (_DATE_CHINESE, (1, 2, 3)), (_DATE_COMPACT, (1, 2, 3))):
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(match.group(g)) for g in groups))
            except ValueError:
                return None
    return None


class _CellReader:
    """Converters from calamine's cell values to RawRow values, one per column key; they append
    the cell problems they find. Blank cells never reach them."""

    def __init__(self, problems: list[CellProblem]) -> None:
        self.problems = problems

    def converter(self, key: str) -> Callable[[object, int], object] | None:
        """The converter of a column, or None for a plain text column (handled inline: most cells)."""
        return {
            "seq": self.seq,
            "name": self.name,
            "id_number": self.id_number,
            "birth_date": self.birth_date,
            "shares": self.shares,
        }.get(key)

    @staticmethod
    def seq(value: object, row: int) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if type(value) is int else _as_text(value)

    def name(self, value: object, row: int) -> str | None:
        if not isinstance(value, str):
            return _as_text(value)
        stripped = value.strip()
        if not stripped.isprintable() and _CONTROL.search(stripped):
            self.problems.append(
                CellProblem(
                    row,
                    "name",
                    "control_characters",
                    _(
                        "The name contained invisible characters (such as a line break), which have been "
                        "removed. Check that the name is right."
                    ),
                )
            )
        return _clean(stripped)

    def id_number(self, value: object, row: int) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.problems.append(
                CellProblem(
                    row,
                    "id_number",
                    "id_number_stored_as_number",
                    _(
                        "The ID number is stored as a number, so Excel has lost its last digits. Format the "
                        "column as Text and type the ID number again."
                    ),
                )
            )
            return None
        return _as_text(value)

    def birth_date(self, value: object, row: int) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _as_text(value)
        if text is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parsed = _parse_text_date(text)  # numbers too: 19900131 typed into a General cell
            if parsed is not None:
                return parsed
        self.problems.append(
            CellProblem(
                row,
                "birth_date",
                "bad_date",
                _("“%(value)s” is not a date this list can read. Write the birth date like 1990-01-31.")
                % {"value": _quoted(text)},
            )
        )
        return None

    def shares(self, value: object, row: int) -> int | None:
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
            number = int(value)
        elif isinstance(value, str):
            match = _WHOLE_NUMBER.fullmatch(value.strip())
            number = int(match.group(1)) if match else None
        if number is not None and number >= 1:
            return number
        self.problems.append(
            CellProblem(
                row,
                "shares",
                "bad_shares",
                _("The number of shares must be a whole number of at least 1, not “%(value)s”.")
                % {"value": _quoted(_as_text(value))},
            )
        )
        return None


def _is_example_mark(remarks: object) -> bool:
    """The template's example row says so in its remarks; commas and spaces may have been retyped."""
    return (
        isinstance(remarks, str)
        and EXAMPLE_MARK[:3] in remarks
        and EXAMPLE_MARK in _SPACES.sub("", remarks).replace(",", "，")
    )


# --------------------------------------------------------------------------------------------
# read_member_list


def read_member_list(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_xml_bytes: int = MAX_SHEET_XML_BYTES
) -> ParsedList:
    """Read an uploaded member list. Raises WorkbookError for a file that cannot be used at all;
    problems with single cells come back in `cell_problems`. `max_xml_bytes` bounds the uncompressed
    size of the package (the zip-bomb guard)."""
    try:
        with _open_zip(data) as archive, _garbage_collection_paused():
            return _read(archive, data, max_rows, max_xml_bytes)
    except WorkbookError:
        raise
    except Exception as exc:
        # Anything else comes from a malformed file (zipfile, zlib, expat and calamine raise a dozen
        # types between them); log it so that a bug of ours still shows, and tell the unit the truth.
        logger.warning("Unreadable member-list workbook", exc_info=True)
        raise _corrupt_error() from exc
    except BaseException as exc:
        # A panic inside calamine surfaces as pyo3's PanicException, which is a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        logger.warning("calamine panicked on a member-list workbook", exc_info=True)
        raise _corrupt_error() from exc


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Reading a big list allocates a million objects, none in a reference cycle; the collector's
    repeated walks over them cost a quarter of the reading time and find nothing. Pausing it is
    harmless for other threads: collection merely happens a moment later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(archive: zipfile.ZipFile, data: bytes, max_rows: int, limit: int) -> ParsedList:
    sheets, shared = _worksheet_parts(archive)
    _check_sizes(archive, limit)
    book: CalamineWorkbook | None = None
    closest: tuple[_Header, str] | None = None  # for the message when no sheet has the headers
    rows_budget = max_rows + HEADER_SEARCH_ROWS + 1
    cells_budget = max(rows_budget * AREA_COLUMNS, MIN_AREA_CELLS)
    sizes: list[int] | None = None  # of the shared strings, measured when a sheet is to be loaded
    try:
        for sheet_name, part in sheets:
            scan = _scan_sheet(archive, part, limit, rows_budget=rows_budget, stop_past_budget=True)
            too_long = scan.row_elements > rows_budget
            area = scan.area_bound() if scan.complete else None
            maybe_too_wide = area is None or area > cells_budget
            if too_long or maybe_too_wide:
                # Too many rows or too large an area to load on trust: tell from the XML whether this
                # is the list at all, and if it is, whether it really holds too many members or
                # values too far out (rather than formatting only, which calamine does not load).
                header = _find_header(_head_rows(archive, part, shared, limit))
                if header is None or not header.complete:
                    closest = _closer(closest, header, sheet_name)
                    continue
                if header.missing():
                    raise _missing_headers_error(header, sheet_name)
                if too_long and _count_member_rows(archive, part, scan, header, max_rows + 1, limit) > max_rows + 1:
                    raise _too_many_rows_error(max_rows)  # + 1: the example row may be among them
                if not scan.complete:  # rows of formatting or running numbers only: scan it all
                    scan = _scan_sheet(archive, part, limit, rows_budget=rows_budget)
                    area = scan.area_bound()
                    maybe_too_wide = area is None or area > cells_budget
                if maybe_too_wide:
                    last_row, last_column = _valued_area(archive, part, limit, stop_above=cells_budget)
                    if last_row * last_column > cells_budget:
                        raise _too_wide_error(sheet_name, last_row, last_column)
            if shared is not None:
                if sizes is None:
                    sizes = _shared_string_sizes(archive, shared, limit)
                # calamine copies a shared string into every cell that refers to it: a 1 MB string
                # referred to by 100,000 cells of a 10 KB file would become 100 GB.
                if scan.cell_tags * max(sizes, default=0) > MAX_SHARED_TEXT_BYTES and (
                    _shared_text_bytes(archive, part, scan, sizes, limit) > MAX_SHARED_TEXT_BYTES
                ):
                    raise _too_large_error(MAX_SHARED_TEXT_BYTES)
            if book is None:
                book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = book.get_sheet_by_name(sheet_name)
            # iter_rows() pads the rows above the data, not the columns left of it.
            first_column = sheet.start[1] if sheet.start else 0
            rows = iter(sheet.iter_rows())
            head = [values for _index, values in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
            header = _find_header(
                (number, {first_column + j + 1: v for j, v in enumerate(values) if v != ""})
                for number, values in enumerate(head, start=1)
            )
            if header is None or not header.complete:
                closest = _closer(closest, header, sheet_name)
                continue
            if header.missing():
                raise _missing_headers_error(header, sheet_name)
            formulas = scan.formulas
            if scan.formulas_without_reference:
                formulas = formulas | _formulas_by_position(archive, part, limit)
            body = chain(head[header.row :], rows)
            return _rows_of(body, header, first_column, formulas, sheet_name, max_rows)
    finally:
        if book is not None:
            book.close()
    raise _missing_headers_error(*closest) if closest else _missing_headers_error(None, None)


def _closer(closest: tuple[_Header, str] | None, header: _Header | None, sheet: str) -> tuple[_Header, str] | None:
    if header is not None and (closest is None or len(header.columns) > len(closest[0].columns)):
        return header, sheet
    return closest


def _rows_of(
    body: Iterable[Sequence[object]],
    header: _Header,
    first_column: int,
    formulas: set[tuple[int, int]],
    sheet_name: str,
    max_rows: int,
) -> ParsedList:
    """Convert the rows below the header, column by column: a list can hold 200,000 members, and a
    comprehension per column with an inline fast path for the usual type of its cells beats a call
    per cell. The converters proper see only the unusual cells."""
    # Bounded: _read has checked the number of row elements (or, for a sheet padded with running
    # numbers or formatting, the number of member rows) before calamine loaded the sheet.
    rows = list(body)
    count = len(rows)
    numbers = range(header.row + 1, header.row + 1 + count)
    widths = set(map(len, rows))
    if len(widths) > 1:  # calamine's rows all have the sheet's width; make sure before transposing
        width = max(widths)
        rows = [[*row, *[""] * (width - len(row))] for row in rows]
    by_column = list(zip(*rows, strict=True))
    del rows
    problems: list[CellProblem] = []
    cells_reader = _CellReader(problems)
    keys = [column.key for column in COLUMNS]  # every key, None where the sheet lacks the column
    columns: list[list[object]] = []
    for key in keys:
        index = header.columns[key] - first_column - 1 if key in header.columns else len(by_column)
        if index >= len(by_column):
            columns.append([None] * count)
        else:
            columns.append(_convert_column(key, by_column[index], numbers, cells_reader))
    del by_column
    counted = [values for key, values in zip(keys, columns, strict=True) if key != "seq"]
    remarks = columns[keys.index("remarks")]
    result = [
        RawRow(number, dict(zip(keys, values, strict=True)))
        for number, values, filled, remark in zip(
            numbers, zip(*columns, strict=True), map(any, zip(*counted, strict=True)), remarks, strict=True
        )
        if filled and not (remark is not None and _is_example_mark(remark))
    ]
    kept = [row.number for row in result]
    if len(kept) > max_rows:
        raise _too_many_rows_error(max_rows)
    if not kept:
        raise WorkbookError(
            "empty",
            _(
                "The list has no members under the header row. Fill in at least one member (the example "
                "row does not count) and upload the file again."
            ),
        )
    kept_set = set(kept)
    key_by_column = {column: key for key, column in header.columns.items()}
    message = _formula_message()
    problems.extend(
        CellProblem(row, key_by_column[column], "formula", message)
        for row, column in formulas
        if row in kept_set and column in key_by_column
    )
    order = {column.key: index for index, column in enumerate(COLUMNS)}
    cell_problems = sorted(
        (problem for problem in problems if problem.row in kept_set),
        key=lambda problem: (problem.row, order.get(problem.column, len(order)), problem.code != "formula"),
    )
    return ParsedList(rows=result, header_row=header.row, sheet_name=sheet_name, cell_problems=cell_problems)


def _convert_column(key: str, cells: Sequence[object], numbers: range, reader: _CellReader) -> list[object]:
    """One column's values. Each comprehension handles the common case inline (text for most
    columns, a date cell for 出生日期, a number for 投保份数) and calls the converter otherwise."""
    slow = reader.converter(key)
    if slow is None:
        return [
            (text if text.isprintable() else _clean(text))
            if type(value) is str and (text := value.strip())
            else (None if value is None or type(value) is str else _as_text(value))
            for value in cells
        ]
    if key == "birth_date":
        return [
            value if type(value) is dt.date else (None if value is None or value == "" else slow(value, number))
            for number, value in zip(numbers, cells, strict=True)
        ]
    if key == "shares":
        return [
            int(value)
            if type(value) is float and value.is_integer() and 1 <= value < 1e9
            else (None if value is None or (type(value) is str and not value.strip()) else slow(value, number))
            for number, value in zip(numbers, cells, strict=True)
        ]
    return [
        (text if text.isprintable() else slow(text, number))
        if type(value) is str and (text := value.strip())
        else (None if value is None or type(value) is str else slow(value, number))
        for number, value in zip(numbers, cells, strict=True)
    ]


def _formula_message() -> str:
    return _("This cell contains a formula. Copy the column and paste it back as values only (Paste Special → Values).")


# --------------------------------------------------------------------------------------------
# Writing: the template layout, shared by build_template and rows_workbook

_THIN = Side(style="thin", color="FFBFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7")
_PROBLEM_FILL_RGB = "FFFFD5D5"
_PROBLEM_FILL = PatternFill(fill_type="solid", fgColor=_PROBLEM_FILL_RGB)
_ERRORS_FILL = PatternFill(fill_type="solid", fgColor="FFFCE4D6")
_NO_FILL = PatternFill(fill_type=None)
_INLINE_LIST_LIMIT = 255  # Excel's limit for the characters of an inline list formula


@dataclass
class _Layout:
    book: Workbook
    sheet: Worksheet
    header_row: int
    first_data_row: int
    columns: dict[str, int]  # key -> 1-based column


def _put_text(cell: Cell, text: str) -> None:
    """Write text that stays text: openpyxl would store "=…" as a formula, and refuses control characters."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    if cell.data_type == "f":
        cell.data_type = "s"


def _put(cell: Cell, value: object) -> None:
    if value is None:
        return
    if isinstance(value, str):
        _put_text(cell, value)
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value


def _comment(text: str) -> Comment:
    lines = sum(1 + len(line) // 24 for line in text.split("\n"))
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width = 320
    comment.height = min(400, 30 + 18 * lines)
    return comment


def _unique_plans(plans: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for plan in plans:
        text = plan.strip() if isinstance(plan, str) else ""
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _new_layout(*, plans: Sequence[str], unit_name: str, period_label: str, data_rows: int) -> _Layout:
    plans = _unique_plans(plans)
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = SHEET_NAME
    title = _("%(unit)s — member list for %(period)s") % {"unit": unit_name, "period": period_label}
    book.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    book.properties.creator = _("Mutual-aid protection platform")

    header_row, first_data_row = 2, 3
    last_column = get_column_letter(len(COLUMNS))
    sheet.merge_cells(f"A1:{last_column}1")
    _put_text(sheet["A1"], title)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30

    columns: dict[str, int] = {}
    for index, column in enumerate(COLUMNS, start=1):
        columns[column.key] = index
        cell = sheet.cell(row=header_row, column=index, value=column.header)
        cell.font = Font(bold=True, color="FFC00000" if column.required else "FF000000")
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = _comment(str(column.note))
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[header_row].height = 24
    sheet.freeze_panes = sheet.cell(row=first_data_row, column=1)

    last_row = first_data_row + max(TEMPLATE_ROWS, data_rows) - 1
    formats = {"id_number": "@", "phone": "@", "birth_date": "yyyy-mm-dd"}
    for key, number_format in formats.items():
        for (cell,) in sheet.iter_rows(
            min_row=first_data_row, max_row=last_row, min_col=columns[key], max_col=columns[key]
        ):
            cell.number_format = number_format

    def validate(key: str, validation: DataValidation) -> None:
        letter = get_column_letter(columns[key])
        validation.add(f"{letter}{first_data_row}:{letter}{last_row}")
        validation.showErrorMessage = True
        validation.errorTitle = _("Invalid value")
        sheet.add_data_validation(validation)

    validate(
        "gender",
        DataValidation(
            type="list", formula1='"' + ",".join(GENDERS) + '"', allow_blank=True, error=_("Choose 男 or 女.")
        ),
    )
    validate(
        "basic_insurance",
        DataValidation(
            type="list", formula1='"' + ",".join(YES_NO) + '"', allow_blank=True, error=_("Choose 是 or 否.")
        ),
    )
    validate(
        "shares",
        DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="1",
            allow_blank=True,
            error=_("Enter a whole number of at least 1."),
        ),
    )
    if plans:
        inline = ",".join(plans)
        if len(inline) + 2 <= _INLINE_LIST_LIMIT and not any("," in p or '"' in p for p in plans):
            formula = f'"{inline}"'
        else:
            options = book.create_sheet(OPTIONS_SHEET_NAME)
            for index, plan in enumerate(plans, start=1):
                _put_text(options.cell(row=index, column=1), plan)
            options.sheet_state = "hidden"
            formula = f"'{OPTIONS_SHEET_NAME}'!$A$1:$A${len(plans)}"
        validate(
            "plan",
            DataValidation(
                type="list", formula1=formula, allow_blank=True, error=_("Choose a protection plan from the list.")
            ),
        )

    _instructions(book)
    return _Layout(book, sheet, header_row, first_data_row, columns)


def _instructions(book: Workbook) -> None:
    sheet = book.create_sheet(HELP_SHEET_NAME, index=1)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90
    sheet["A1"] = _("How to fill in the member list")
    sheet["A1"].font = Font(bold=True, size=14)
    steps = [
        _("Fill in one member per row on the sheet “%(sheet)s”, starting below the header row.")
        % {"sheet": SHEET_NAME},
        _("Keep the headers exactly as they are. Headers in red are required. Extra columns are ignored."),
        _(
            "The grey example row is ignored when the list is read (its remarks say “%(mark)s”); you may "
            "delete it or type over it."
        )
        % {"mark": EXAMPLE_MARK},
        _(
            "ID numbers must be text: the column is formatted as text for the first %(rows)s rows. When you "
            "paste IDs from another file, use Paste Special → Values so they stay text."
        )
        % {"rows": f"{TEMPLATE_ROWS:,}"},
        _("Choose gender, protection plan and basic medical insurance from the drop-down lists."),
        _("Write dates like 1990-01-31. Do not use formulas; paste values only."),
        _("A file may hold at most %(max)s members; split a longer list into several files.")
        % {"max": f"{DEFAULT_MAX_ROWS:,}"},
        _("Save the file as an Excel Workbook (.xlsx) without a password, then upload it."),
    ]
    row = 3
    for number, step in enumerate(steps, start=1):
        cell = sheet.cell(row=row, column=1, value=f"{number}.")
        cell.alignment = Alignment(vertical="top")
        merged = sheet.cell(row=row, column=2)
        merged.value = step
        merged.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        row += 1
    row += 1
    titles = (_("Column header"), _("Required or optional"), _("How to fill it in"))
    for column_index, text in enumerate(titles, start=1):
        cell = sheet.cell(row=row, column=column_index, value=text)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for column in COLUMNS:
        row += 1
        cells = (column.header, _("required") if column.required else _("optional"), str(column.note))
        for column_index, text in enumerate(cells, start=1):
            cell = sheet.cell(row=row, column=column_index, value=text)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _example_values(plans: Sequence[str]) -> dict[str, object]:
    plan_names = _unique_plans(plans)
    return {
        "seq": 1,
        "name": "张三",
        "id_number": "610102199001011234",
        "gender": "男",
        "birth_date": dt.date(1990, 1, 1),
        "phone": "13800000000",
        "plan": plan_names[0] if plan_names else "",
        "shares": 1,
        "basic_insurance": "是",
        "remarks": EXAMPLE_MARK,
    }


def build_template(*, plans: list[str], unit_name: str, period_label: str) -> bytes:
    """The blank member list a unit downloads, with one grey example row."""
    layout = _new_layout(plans=plans, unit_name=unit_name, period_label=period_label, data_rows=0)
    example_font = Font(italic=True, color="FF808080")
    for key, value in _example_values(plans).items():
        cell = layout.sheet.cell(row=layout.first_data_row, column=layout.columns[key])
        _put(cell, value)
        cell.font = example_font
    return _save(layout.book)


# --------------------------------------------------------------------------------------------
# Marking problems: shared by annotate_workbook and rows_workbook


def _problems_by_row(problems: Iterable[CellProblem]) -> dict[int, list[CellProblem]]:
    by_row: dict[int, list[CellProblem]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append(problem)
    return by_row


def _mark_problems(
    sheet: Worksheet,
    *,
    header_row: int,
    columns: dict[str, int],
    errors_column: int,
    problems: Sequence[CellProblem],
) -> None:
    """Light-red fill and a comment on every cell with a problem, a summary on the header of every
    column with problems, and the row's messages in the 错误说明 column."""
    header_cell = sheet.cell(row=header_row, column=errors_column)
    header_cell.value = ERRORS_HEADER
    header_cell.font = Font(bold=True, color="FFC00000")
    header_cell.fill = _ERRORS_FILL
    header_cell.border = _BORDER
    header_cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.column_dimensions[get_column_letter(errors_column)].width = 60
    wrap = Alignment(wrap_text=True, vertical="top")

    per_column: dict[str, int] = defaultdict(int)
    for row, row_problems in sorted(_problems_by_row(problems).items()):
        per_cell: dict[str, list[str]] = defaultdict(list)
        lines: list[str] = []
        for problem in row_problems:
            column = columns.get(problem.column) if problem.column != ROW else None
            if column is not None:
                if problem.message not in per_cell[problem.column]:
                    per_cell[problem.column].append(problem.message)
                line = f"{COLUMN_BY_KEY[problem.column].header}：{problem.message}"
            else:
                line = problem.message
            if line not in lines:
                lines.append(line)
        for key, messages in per_cell.items():
            per_column[key] += 1
            cell = sheet.cell(row=row, column=columns[key])
            if isinstance(cell, MergedCell):
                continue
            cell.fill = _PROBLEM_FILL
            cell.comment = _comment("\n".join(messages))
        if row != header_row and lines:
            cell = sheet.cell(row=row, column=errors_column)
            if not isinstance(cell, MergedCell):
                _put_text(cell, "\n".join(lines))
                cell.alignment = wrap
    for key, count in per_column.items():
        cell = sheet.cell(row=header_row, column=columns[key])
        if isinstance(cell, MergedCell):
            continue
        summary = _(
            "Cells with problems in this column: %(count)s. Each red cell has a comment saying what to fix."
        ) % {"count": count}
        cell.comment = _comment(f"{summary}\n\n{COLUMN_BY_KEY[key].note}")


def annotate_workbook(data: bytes, problems: list[CellProblem]) -> bytes:
    """The unit's own workbook with the problems marked where they typed them."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it drops (e.g. extension lists); nothing to act on.
            warnings.simplefilter("ignore", UserWarning)
            book = load_workbook(io.BytesIO(data), rich_text=True)
    except Exception as exc:
        raise _corrupt_error() from exc
    for sheet in book.worksheets:
        # Iterating the stored cells, not a rectangle: openpyxl creates every cell a rectangle
        # touches, and a stray format in column XFD would make that 16,384 columns wide.
        cells: dict[tuple[int, int], Cell | MergedCell] = sheet._cells
        head: dict[int, dict[int, object]] = defaultdict(dict)
        for (row, column), cell in cells.items():
            if row <= HEADER_SEARCH_ROWS and cell.value is not None:
                head[row][column] = cell.value
        header = _find_header(sorted(head.items()))
        if header is None or not header.complete:
            continue
        errors_column = next(
            (c for c, v in head[header.row].items() if _header_text(v) == ERRORS_HEADER),
            None,
        )
        last_used = 0
        for (row, column), cell in cells.items():
            if cell.value is not None and column != errors_column:
                last_used = max(last_used, column)
            if row > header.row:
                _clear_old_mark(cell, is_errors_cell=column == errors_column)
        for key, column in header.columns.items():
            cell = sheet.cell(row=header.row, column=column)
            if isinstance(cell, Cell) and cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = _comment(str(COLUMN_BY_KEY[key].note))
        _mark_problems(
            sheet,
            header_row=header.row,
            columns=header.columns,
            errors_column=errors_column or last_used + 1,
            problems=problems,
        )
        return _save(book)
    raise _missing_headers_error(None, None)


def _clear_old_mark(cell: Cell | MergedCell, *, is_errors_cell: bool) -> None:
    """Take off what an earlier annotation put on, so cells the unit has since fixed look clean."""
    if isinstance(cell, MergedCell):
        return
    if is_errors_cell:
        cell.value = None
        return
    if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
        cell.comment = None
        if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb == _PROBLEM_FILL_RGB:
            cell.fill = _NO_FILL


def rows_workbook(
    *, rows: list[RawRow], problems: list[CellProblem], unit_name: str, period_label: str, plans: list[str]
) -> bytes:
    """A fresh list in the template layout holding only `rows` (typically the ones that failed), with
    their problems marked, for the unit to correct and send as a supplementary list."""
    layout = _new_layout(plans=plans, unit_name=unit_name, period_label=period_label, data_rows=len(rows))
    new_row: dict[int, int] = {}
    for offset, raw in enumerate(rows):
        target = layout.first_data_row + offset
        new_row[raw.number] = target
        for key, value in raw.values.items():
            column = layout.columns.get(key)
            if column is not None:
                _put(layout.sheet.cell(row=target, column=column), value)
    moved = [CellProblem(new_row[p.row], p.column, p.code, p.message) for p in problems if p.row in new_row]
    _mark_problems(
        layout.sheet,
        header_row=layout.header_row,
        columns=layout.columns,
        errors_column=len(COLUMNS) + 1,
        problems=moved,
    )
    return _save(layout.book)
