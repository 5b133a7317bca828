#!/usr/bin/env python3
"""Fails, naming each message, when the Chinese catalogue is not ready to ship.

locale/zh_Hans/LC_MESSAGES/django.po is the one source of the Chinese: translators edit it by
hand, in Poedit or in Weblate. `.ci/run` first runs

    python manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=…

which adds every new msgid of the code (empty, or with a fuzzy guess of msgmerge) and drops the
ones the code no longer has, then this script. It refuses:
- an entry without Chinese, or marked fuzzy (a guess of msgmerge is not a translation);
- a python-format entry whose Chinese does not carry the same placeholders as the English (a
  missing or misspelt `%(name)s` raises KeyError when the page renders; a bare `%` raises
  ValueError), or a plural entry without exactly the one form Chinese has;
- a header that is fuzzy or does not declare UTF-8, the language and Chinese's single plural form;
- a catalogue that makemessages changed, compared with the version in git's index: a new msgid not
  yet translated and committed, or one the code no longer uses. The creation and revision dates
  are not compared, makemessages rewrites them on every run.

Usage: python scripts/check_catalogue.py [path/to/django.po]   (exit status 1 on any problem)
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# A %-directive of Python's printf-style formatting; `%%` is a literal percent sign.
_DIRECTIVE = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>.)?", re.S)
_CONVERSIONS = set("diouxXeEfFgGcrsa")
_DATES = re.compile(r'^"(?:POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.M)
_HEADER = {
    "Language": "zh_Hans",
    "Content-Type": "text/plain; charset=UTF-8",
    "Plural-Forms": "nplurals=1; plural=0;",
}


def _directives(text: str) -> tuple[set[str], list[str], bool]:
    """The named placeholders, the conversions of the positional ones in order, and whether a
    `%` stands alone (neither `%%` nor a directive)."""
    named: set[str] = set()
    positional: list[str] = []
    stray = False
    for match in _DIRECTIVE.finditer(text):
        conversion = match.group("conv")
        if conversion == "%" and match.group(0) == "%%":
            continue
        if conversion not in _CONVERSIONS:
            stray = True
        elif match.group("name") is not None:
            named.add(match.group("name"))
        else:
            positional.append(conversion)
    return named, positional, stray


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[key] for key in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def entry_problems(entry: polib.POEntry) -> Iterator[str]:
    """What is wrong with one entry, each naming its msgid."""
    label = repr(entry.msgid)
    texts = _translations(entry)
    if "fuzzy" in entry.flags:
        yield f"fuzzy (a guess of msgmerge: check the Chinese, then remove the fuzzy flag): {label}"
    if not all(texts) or not texts:
        yield f"untranslated: {label}"
        return
    if entry.msgid_plural and sorted(entry.msgstr_plural) != [0]:
        yield f"plural forms: Chinese has one form, msgstr[0] only: {label}"
    if "python-format" in entry.flags:
        # Every form of a plural entry is formatted with the values of the plural msgid.
        english = _directives(entry.msgid_plural or entry.msgid)
        for text in texts:
            named, positional, stray = _directives(text)
            if stray:
                yield f"a bare % in the Chinese (write ％, or %% for a literal %): {label}"
            elif (named, positional) != english[:2]:
                yield f"placeholders differ between the English and the Chinese: {label}"
    elif any(_directives(text)[0] - _directives(entry.msgid)[0] for text in texts):
        yield f"the Chinese has a placeholder the English does not: {label}"


def header_problems(po: polib.POFile) -> Iterator[str]:
    if po.metadata_is_fuzzy:
        yield "the header is marked fuzzy: remove the flag"
    for key, value in _HEADER.items():
        if po.metadata.get(key) != value:
            yield f"header {key}: {po.metadata.get(key)!r}, expected {value!r}"


def catalogue_problems(po: polib.POFile) -> list[str]:
    problems = list(header_problems(po))
    for entry in po:
        if entry.obsolete:
            problems.append(f"obsolete (run makemessages with --no-obsolete): {entry.msgid!r}")
        else:
            problems.extend(entry_problems(entry))
    return problems


def _index_version(path: Path) -> str | None:
    """The catalogue as staged in git (what `git diff` compares with), or None outside a clone."""
    if not path.resolve().is_relative_to(ROOT):
        return None
    result = subprocess.run(  # noqa: S603 (a fixed git command on a path of this repository)
        ["git", "show", f":{path.resolve().relative_to(ROOT).as_posix()}"],  # noqa: S607 (git from PATH)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


def catalogue_changes(committed: str, current: str) -> list[str]:
    """How the catalogue on disk (after makemessages) differs from the committed one."""
    if _DATES.sub("", committed) == _DATES.sub("", current):
        return []
    before = {(e.msgctxt, e.msgid): e for e in polib.pofile(committed) if not e.obsolete}
    after = {(e.msgctxt, e.msgid): e for e in polib.pofile(current) if not e.obsolete}
    added, gone = sorted(after.keys() - before.keys(), key=str), sorted(before.keys() - after.keys(), key=str)
    problems = [f"new message, not in the committed catalogue: {msgid!r}" for _, msgid in added]
    problems += [f"no longer used, still in the committed catalogue: {msgid!r}" for _, msgid in gone]
    problems += [
        f"changed since the committed catalogue: {key[1]!r}"
        for key in sorted(after.keys() & before.keys(), key=str)
        if str(after[key]) != str(before[key])
    ]
    return problems or [
        "the layout of the catalogue changed (the order of the entries, their line wrapping or comments): "
        "commit the catalogue makemessages wrote"
    ]


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else CATALOGUE
    current = path.read_text(encoding="utf-8")
    committed = _index_version(path)
    problems = catalogue_problems(polib.pofile(current))
    problems += catalogue_changes(committed, current) if committed is not None else []
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(problems)} problem(s). "
            "Translate each message in the .po (Poedit, Weblate or a text editor), then commit it."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
