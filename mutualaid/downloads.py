"""Every file the product hands out, named the one way: Chinese first, then what tells it apart.

`file_name(_("member cards"), policy.number, suffix="pdf")` gives `保障卡-P001.pdf` (the title in
the user's language, the parts that pick the row after it, joined by "-"). `attachment` answers
with the file and a Content-Disposition (RFC 6266) that carries the name in UTF-8 as `filename*`,
with a plain-ASCII `filename` beside it for the rare client that cannot read the other.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpResponse

# Characters no file system takes in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(title: object, *parts: object, suffix: str) -> str:
    """`title-part-part.suffix`, each piece stripped of characters a file name cannot hold."""
    pieces = [_UNSAFE.sub("_", str(piece)).strip() for piece in (title, *parts)]
    return "-".join(piece for piece in pieces if piece) + f".{suffix}"


def _ascii_fallback(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("_-.") or "download"
    return f"{plain}.{suffix}" if suffix else plain


def content_disposition(name: str, *, inline: bool = False) -> str:
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(data: bytes, *, content_type: str, name: str) -> HttpResponse:
    """The file as a download named `name` (see `file_name`)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    return response
