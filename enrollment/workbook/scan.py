"""Reading a sheet's XML without loading the sheet: one streaming pass with byte patterns that
counts the rows, finds the formulas and bounds the area calamine would allocate; and, for a sheet
too big to load on trust, its header rows and the number of member rows below them."""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Literal, cast
from xml.etree import ElementTree

from openpyxl.utils import column_index_from_string

from enrollment.workbook.guard import check_no_doctype, local_name, stream_part
from enrollment.workbook.headers import HEADER_SEARCH_ROWS, Header

_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]{0,32}:)?worksheet[\s>/]")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d{1,7})["']""")
_ROW_REF = re.compile(rb"""\sr\s*=\s*["'](\d{1,7})["']""")
_WHITESPACE_BYTES = (b" ", b"\t", b"\r", b"\n")
_LOOKBACK = 4096


@dataclass
class SheetScan:
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
        rows: int = max(self.tall_row, 10 ** (self.tall_digits - 1) - 1)
        columns: int = max((column_index_from_string(c.decode().upper()) for c in self.wide_columns), default=26)
        return rows * columns


def _xml_chunks(archive: zipfile.ZipFile, part: str, limit: int) -> Iterator[bytes]:
    """A part's chunks for an XML parser. OOXML parts never carry a DOCTYPE; refusing one rules
    out entity-expansion attacks before ElementTree sees the bytes."""
    tail = b""
    for chunk in stream_part(archive, part, limit):
        check_no_doctype(tail + chunk)
        tail = chunk[-16:]
        yield chunk


def _parsed(
    archive: zipfile.ZipFile, part: str, limit: int, *events: Literal["start", "end"]
) -> Iterator[tuple[str, ElementTree.Element, str]]:
    """(event, element, its local name) of a part parsed incrementally, for the rare cases only a
    real parse can tell; the caller stops reading (and parsing) as soon as it knows enough."""
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(events=events)
    for chunk in _xml_chunks(archive, part, limit):
        parser.feed(chunk)
        # Only start and end events are asked for, and each of them carries an element.
        for event, element in cast(Iterator[tuple[str, ElementTree.Element]], parser.read_events()):
            yield event, element, local_name(element.tag)


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


def scan_sheet(
    archive: zipfile.ZipFile, part: str, limit: int, *, rows_budget: int, stop_past_budget: bool = False
) -> SheetScan:
    """Count the row elements and find the formula cells in one pass with byte patterns: C-speed
    regexes over the raw XML are several times faster than any XML parser. A formula is a <f>
    element, always the first child of its cell, so the cell's reference is just before it.

    The same pass bounds the area of the sheet: calamine allocates every cell of the rectangle from
    A1 to the farthest cell with a value, so one value in XFD1048576 of a 20 KB file would cost tens
    of gigabytes. Only references with as many digits as `rows_budget` (or more) are collected.
    `stop_past_budget`: stop once the rows outnumber `rows_budget` (`complete` is then False), for a
    sheet that is most likely refused for its length anyway."""
    scan: SheetScan | None = None
    row_pattern = formula_pattern = cell_pattern = tall_row_pattern = odd_pattern = re.compile(b"^$")
    tall_digits = len(str(rows_budget))
    for buffer, start, end in _search_windows(stream_part(archive, part, limit), 64):
        if scan is None:
            root = _ROOT_TAG.search(buffer, 0, 65536)
            scan = SheetScan(prefix=(root.group(1) or b"") if root else b"", tall_digits=tall_digits)
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
    return scan or SheetScan(prefix=b"")


def valued_area(archive: zipfile.ZipFile, part: str, limit: int, *, stop_above: int) -> tuple[int, int]:
    """(last row, last column) of the cells with a value, placed as calamine places them: a cell's
    own reference, else the next column of its row. Only for sheets the byte patterns could not
    bound (cells without references, or an area that looks too large but may be formatting only);
    it stops as soon as the area passes `stop_above`. Every element is dropped from its parent when
    it ends, so memory stays that of one cell."""
    stack: list[ElementTree.Element] = []
    row_number = column = cell_row = last_row = last_column = 0
    has_value = False
    for event, element, name in _parsed(archive, part, limit, "start", "end"):
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
            elif name in ("v", "is") and stack and local_name(stack[-1].tag) == "c":
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


def shared_string_sizes(archive: zipfile.ZipFile, part: str, limit: int) -> list[int]:
    """The size in bytes of each shared string's XML, an upper bound of the text calamine copies
    into every cell that refers to it."""
    chunks = stream_part(archive, part, limit)
    first = next(chunks, b"")
    root = re.search(rb"<([A-Za-z_][\w.-]{0,32}:)?sst[\s>/]", first[:65536])
    prefix = (root.group(1) or b"") if root else b""
    token = b"<" + prefix + b"si"
    return [
        len(piece)
        for piece in _row_elements(chain([first], chunks), token)
        if piece[:1] in _WHITESPACE_BYTES or piece[:1] in (b">", b"/")
    ]


def shared_text_bytes(archive: zipfile.ZipFile, part: str, scan: SheetScan, sizes: list[int], limit: int) -> int:
    """An upper bound of the shared-string text that loading the sheet copies: every <v> that can be
    read as an index counts that string; a <v> written otherwise counts the longest."""
    escaped = re.escape(scan.prefix)
    index_pattern = re.compile(b"<" + escaped + rb"v>\s*(\d{1,10})\s*</" + escaped + b"v>")
    value_pattern = re.compile(b"<" + escaped + rb"v[\s>/]")
    total = values = 0
    count = len(sizes)
    for buffer, start, end in _search_windows(stream_part(archive, part, limit), 64):
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


def formulas_by_position(archive: zipfile.ZipFile, part: str, limit: int) -> set[tuple[int, int]]:
    """Formula cells of a sheet whose cells carry no references (allowed, though Excel always writes
    them): positions have to be counted, which needs a real parse. Only used in that rare case."""
    found: set[tuple[int, int]] = set()
    row_number = column = 0
    for event, element, name in _parsed(archive, part, limit, "start", "end"):
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


def head_rows(
    archive: zipfile.ZipFile, part: str, shared: str | None, limit: int
) -> list[tuple[int, dict[int, object]]]:
    """The cells of the header-search rows, read from the XML without loading the sheet."""
    rows: list[tuple[int, dict[int, object]]] = []
    wanted: dict[int, list[tuple[dict[int, object], int]]] = defaultdict(list)  # shared-string index -> cells
    row_number = column = 0
    cells: dict[int, object] = {}
    for event, element, name in _parsed(archive, part, limit, "start", "end"):
        if event == "start" and name == "row":
            row_number = int(element.get("r") or row_number + 1)
            if row_number > HEADER_SEARCH_ROWS:
                break
            cells, column = {}, 0
        elif event == "end" and name == "c":
            column = _column_of(element.get("r"), column)
            kind = element.get("t", "n")
            value_element = next((e for e in element if local_name(e.tag) == "v"), None)
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
        name = local_name(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name in ("is", "r"):
            parts.append(_rich_text(child))
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, part: str, last: int, limit: int) -> Iterator[tuple[int, str]]:
    """The shared strings up to index `last`, parsed incrementally: header strings come early."""
    index = 0
    for _event, element, name in _parsed(archive, part, limit, "end"):
        if name == "si":
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


def count_member_rows(
    archive: zipfile.ZipFile, part: str, scan: SheetScan, header: Header, stop_after: int, limit: int
) -> int:
    """Rows below the header with a value in any column but 序号, counted from the XML and stopping
    once past `stop_after`. Rows with only formatting, or only a pre-filled running number, do not
    count, so a template prepared for 5,000 members is not mistaken for a list of 5,000."""
    value_pattern = re.compile(b"<" + re.escape(scan.prefix) + rb"(?:v|is)>")
    cell_token = b"<" + scan.prefix + b"c"
    seq_column = header.columns.get("seq")
    count = row_number = 0
    for piece in _row_elements(stream_part(archive, part, limit), b"<" + scan.prefix + b"row"):
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
