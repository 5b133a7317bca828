"""Reading an uploaded member list: the guards and the scan decide whether calamine may load a
sheet, then the rows below the header become RawRows and CellProblems."""

from __future__ import annotations

import gc
import io
import logging
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from enrollment.workbook.cells import CellReader, convert_column, is_example_mark
from enrollment.workbook.columns import (
    ALL_COLUMNS,
    COLUMNS,
    DEFAULT_MAX_ROWS,
    EXTRA_COLUMNS,
    CellProblem,
    ParsedList,
    RawRow,
)
from enrollment.workbook.errors import (
    WorkbookError,
    corrupt_error,
    too_large_error,
    too_many_rows_error,
    too_wide_error,
)
from enrollment.workbook.guard import (
    AREA_COLUMNS,
    MAX_SHARED_TEXT_BYTES,
    MAX_SHEET_XML_BYTES,
    MIN_AREA_CELLS,
    check_sizes,
    open_zip,
    worksheet_parts,
)
from enrollment.workbook.headers import HEADER_SEARCH_ROWS, Header, find_header, missing_headers_error
from enrollment.workbook.scan import (
    count_member_rows,
    formulas_by_position,
    head_rows,
    scan_sheet,
    shared_string_sizes,
    shared_text_bytes,
    valued_area,
)

logger = logging.getLogger(__name__)


def read_member_list(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_xml_bytes: int = MAX_SHEET_XML_BYTES
) -> ParsedList:
    """Read an uploaded member list. Raises WorkbookError for a file that cannot be used at all;
    problems with single cells come back in `cell_problems`. `max_xml_bytes` bounds the uncompressed
    size of the package (the zip-bomb guard)."""
    try:
        with open_zip(data) as archive, _garbage_collection_paused():
            return _read(archive, data, max_rows, max_xml_bytes)
    except WorkbookError:
        raise
    except Exception as exc:
        # Anything else comes from a malformed file (zipfile, zlib, expat and calamine raise a dozen
        # types between them); log it so that a bug of ours still shows, and tell the unit the truth.
        logger.warning("Unreadable member-list workbook", exc_info=True)
        raise corrupt_error() from exc
    except BaseException as exc:
        # A panic inside calamine surfaces as pyo3's PanicException, which is a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        logger.warning("calamine panicked on a member-list workbook", exc_info=True)
        raise corrupt_error() from exc


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
    sheets, shared = worksheet_parts(archive)
    check_sizes(archive, limit)
    book: CalamineWorkbook | None = None
    closest: tuple[Header, str] | None = None  # for the message when no sheet has the headers
    rows_budget = max_rows + HEADER_SEARCH_ROWS + 1
    cells_budget = max(rows_budget * AREA_COLUMNS, MIN_AREA_CELLS)
    sizes: list[int] | None = None  # of the shared strings, measured when a sheet is to be loaded
    try:
        for sheet_name, part in sheets:
            scan = scan_sheet(archive, part, limit, rows_budget=rows_budget, stop_past_budget=True)
            too_long = scan.row_elements > rows_budget
            area = scan.area_bound() if scan.complete else None
            maybe_too_wide = area is None or area > cells_budget
            if too_long or maybe_too_wide:
                # Too many rows or too large an area to load on trust: tell from the XML whether this
                # is the list at all, and if it is, whether it really holds too many members or
                # values too far out (rather than formatting only, which calamine does not load).
                header = find_header(head_rows(archive, part, shared, limit))
                if header is None or not header.complete:
                    closest = _closer(closest, header, sheet_name)
                    continue
                if header.missing():
                    raise missing_headers_error(header, sheet_name)
                if too_long and count_member_rows(archive, part, scan, header, max_rows + 1, limit) > max_rows + 1:
                    raise too_many_rows_error(max_rows)  # + 1: the example row may be among them
                if not scan.complete:  # rows of formatting or running numbers only: scan it all
                    scan = scan_sheet(archive, part, limit, rows_budget=rows_budget)
                    area = scan.area_bound()
                    maybe_too_wide = area is None or area > cells_budget
                if maybe_too_wide:
                    last_row, last_column = valued_area(archive, part, limit, stop_above=cells_budget)
                    if last_row * last_column > cells_budget:
                        raise too_wide_error(sheet_name, last_row, last_column)
            if shared is not None:
                if sizes is None:
                    sizes = shared_string_sizes(archive, shared, limit)
                # calamine copies a shared string into every cell that refers to it: a 1 MB string
                # referred to by 100,000 cells of a 10 KB file would become 100 GB.
                if scan.cell_tags * max(sizes, default=0) > MAX_SHARED_TEXT_BYTES and (
                    shared_text_bytes(archive, part, scan, sizes, limit) > MAX_SHARED_TEXT_BYTES
                ):
                    raise too_large_error(MAX_SHARED_TEXT_BYTES)
            if book is None:
                book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = book.get_sheet_by_name(sheet_name)
            # iter_rows() pads the rows above the data, not the columns left of it.
            first_column = sheet.start[1] if sheet.start else 0
            rows = iter(sheet.iter_rows())
            head = [values for _index, values in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
            header = find_header(
                (number, {first_column + j + 1: v for j, v in enumerate(values) if v != ""})
                for number, values in enumerate(head, start=1)
            )
            if header is None or not header.complete:
                closest = _closer(closest, header, sheet_name)
                continue
            if header.missing():
                raise missing_headers_error(header, sheet_name)
            formulas = scan.formulas
            if scan.formulas_without_reference:
                formulas = formulas | formulas_by_position(archive, part, limit)
            body = chain(head[header.row :], rows)
            return _rows_of(body, header, first_column, formulas, sheet_name, max_rows)
    finally:
        if book is not None:
            book.close()
    raise missing_headers_error(*closest) if closest else missing_headers_error(None, None)


def _closer(closest: tuple[Header, str] | None, header: Header | None, sheet: str) -> tuple[Header, str] | None:
    if header is not None and (closest is None or len(header.columns) > len(closest[0].columns)):
        return header, sheet
    return closest


def _rows_of(
    body: Iterable[Sequence[object]],
    header: Header,
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
    cells_reader = CellReader(problems)
    # Every standard key (None where the sheet lacks the column), and a plan's own columns where the
    # sheet has them (enrollment/eligibility.py reads a missing one as empty).
    keys = [column.key for column in COLUMNS] + [c.key for c in EXTRA_COLUMNS if c.key in header.columns]
    columns: list[list[object]] = []
    for key in keys:
        index = header.columns[key] - first_column - 1 if key in header.columns else len(by_column)
        if index >= len(by_column):
            columns.append([None] * count)
        else:
            columns.append(convert_column(key, by_column[index], numbers, cells_reader))
    del by_column
    counted = [values for key, values in zip(keys, columns, strict=True) if key != "seq"]
    remarks = columns[keys.index("remarks")]
    result = [
        RawRow(number, dict(zip(keys, values, strict=True)))
        for number, values, filled, remark in zip(
            numbers, zip(*columns, strict=True), map(any, zip(*counted, strict=True)), remarks, strict=True
        )
        if filled and not (remark is not None and is_example_mark(remark))
    ]
    kept = [row.number for row in result]
    if len(kept) > max_rows:
        raise too_many_rows_error(max_rows)
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
    order = {column.key: index for index, column in enumerate(ALL_COLUMNS)}
    cell_problems = sorted(
        (problem for problem in problems if problem.row in kept_set),
        key=lambda problem: (problem.row, order.get(problem.column, len(order)), problem.code != "formula"),
    )
    return ParsedList(rows=result, header_row=header.row, sheet_name=sheet_name, cell_problems=cell_problems)


def _formula_message() -> str:
    return _("This cell contains a formula. Copy the column and paste it back as values only (Paste Special → Values).")
