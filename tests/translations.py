"""Reading a module's user-facing messages and their Chinese in the catalogue
(locale/zh_Hans/LC_MESSAGES/django.po), for the tests that check every message has Chinese."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def msgids_of(source: str, names: frozenset[str] = frozenset({"_"}), *, strict: bool = False) -> list[str]:
    """The literal first arguments of calls to `names` (gettext aliases) in a source file.

    `strict`: every such call must take exactly one literal string, or the assertion fails (a
    computed msgid can never be in the catalogue).
    """
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
            continue
        literal = len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        if strict:
            assert literal, f"{source}:{node.lineno}: not a literal msgid"
        if literal:
            found.append(node.args[0].value)
    return found


@cache
def _catalogue() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        # Chinese has one plural form: both English forms map to it.
        text = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        if text:
            table[entry.msgid] = text
            if entry.msgid_plural:
                table[entry.msgid_plural] = text
    return table


def catalogue() -> dict[str, str]:
    """Every translated message of the catalogue (msgid → Chinese); fuzzy guesses are left out."""
    return dict(_catalogue())


def chinese_of(msgids: Iterable[str]) -> dict[str, str]:
    """The Chinese of these msgids, for those the catalogue translates (a missing one is absent,
    so `assert set(chinese_of(m)) == set(m)` names what is missing)."""
    table = _catalogue()
    return {msgid: table[msgid] for msgid in msgids if msgid in table}
