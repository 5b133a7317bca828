"""Reading a module's user-facing messages and its Chinese table (locale/zh/<name>.py), for the
tests that check every message has Chinese."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def chinese_table(name: str) -> dict[str, str]:
    """The ZH table of locale/zh/<name>.py."""
    spec = importlib.util.spec_from_file_location(f"zh_{name}", ROOT / "locale" / "zh" / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ZH
