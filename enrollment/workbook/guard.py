"""Checks of the uploaded file as a whole, before any sheet is loaded: is it an .xlsx at all, is
it encrypted, are its parts what they claim to be (a zip bomb lies about its sizes), and does it
stay within the limits below. Every part is read here through `stream_part`, so the later scan
never sees other bytes than calamine will."""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from enrollment.workbook.errors import WorkbookError, corrupt_error, not_xlsx_error, too_large_error

MAX_SHEET_XML_BYTES = 400 * 1024 * 1024
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024  # workbook.xml and its relationships
# calamine allocates the whole rectangle up to the last cell with a value: at most this many
# columns' worth for the rows a list may have (A to Z for a full list, wider for a shorter one).
AREA_COLUMNS = 26
MIN_AREA_CELLS = 2_000_000  # about 100 MB: what any list may take, however low its row limit
MAX_SHARED_TEXT_BYTES = 128 * 1024 * 1024  # shared-string text copied into the cells of one sheet

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel saves a password-protected .xlsx as an OLE2 compound file whose directory holds a stream
# named "EncryptedPackage" (MS-OFFCRYPTO). Looking for that name, UTF-16LE as directory entries
# store it, is enough to tell such a file from an old .xls without parsing the compound file.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 1 << 20


def open_zip(data: bytes) -> zipfile.ZipFile:
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
        raise not_xlsx_error()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except Exception as exc:  # zipfile raises several types for a damaged archive
        raise corrupt_error() from exc
    if "xl/workbook.xml" not in names:
        archive.close()
        raise not_xlsx_error()
    if len(names) != len(archive.infolist()):
        # Two parts of one name: the checks here might read one and calamine the other.
        archive.close()
        raise corrupt_error()
    if any(info.flag_bits & 0x1 for info in archive.infolist()):
        archive.close()
        raise WorkbookError(
            "encrypted",
            _("Parts of the workbook are encrypted. Save it again in Excel or WPS without a password."),
        )
    return archive


def stream_part(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[bytes]:
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
                    raise too_large_error(limit)
                yield chunk
        return
    yield from _inflate(archive, info, limit)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """Raw deflate from the member's data to the end of its stream, bounded by `limit` inflated
    bytes. Past the declared size nothing more is yielded: the rest is only counted (up to the
    limit), to tell a bomb (`too_large`) from a merely damaged part (`corrupt`)."""
    source = archive.fp
    if source is None:
        raise corrupt_error()
    source.seek(info.header_offset)
    local = source.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise corrupt_error()
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
                raise corrupt_error()  # the stream stops short: a truncated file
        chunk = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        total += len(chunk)
        if total > limit:
            raise too_large_error(limit)
        if total - len(chunk) < declared:
            useful = chunk[: declared - (total - len(chunk))]
            crc = zlib.crc32(useful, crc)
            if useful:
                yield useful
    if total != declared or crc != info.CRC:
        raise corrupt_error()


def _read_small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    data = b"".join(stream_part(archive, name, MAX_SMALL_PART_BYTES))
    return check_no_doctype(data)


def check_no_doctype(data: bytes) -> bytes:
    # OOXML parts never carry a DOCTYPE; refusing one rules out entity-expansion attacks before
    # ElementTree sees the bytes.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise corrupt_error()
    return data


def local_name(tag: str) -> str:
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


def worksheet_parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """The worksheets in workbook order as (name, part), and the shared-strings part if any."""
    rels = _relationships(archive, "xl/_rels/workbook.xml.rels", "xl")
    root = ElementTree.fromstring(_read_small_part(archive, "xl/workbook.xml"))  # noqa: S314 - DOCTYPE refused
    sheets: list[tuple[str, str]] = []
    for element in root.iter():
        if local_name(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.startswith("{") and local_name(k) == "id"), "")
        rel_type, part = rels.get(rel_id, ("", ""))
        if rel_type.endswith("/worksheet") and part in archive.namelist():
            sheets.append((element.get("name", ""), part))
    shared = next((part for rel_type, part in rels.values() if rel_type.endswith("/sharedStrings")), None)
    if shared is not None and shared not in archive.namelist():
        shared = None
    return sheets, shared


def check_sizes(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse a zip bomb by the declared sizes, then make sure the parts calamine reads before any
    sheet (workbook, styles, shared strings) really are that size (worksheets are checked when scanned)."""
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > limit:
        raise too_large_error(limit)
    for info in infos:
        name = info.filename
        if name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/"):
            for _chunk in stream_part(archive, name, limit):
                pass
