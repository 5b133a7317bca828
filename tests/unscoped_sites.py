"""Where the product reads every office's rows (`tenancy.unscoped()`), found in the source."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "mutualaid", "enrollment", "claims", "finance", "reporting")


@dataclass(frozen=True)
class Site:
    module: str  # enrollment/services/lists.py
    function: str  # the enclosing function's qualified name
    line: int
    commented: bool  # a comment on the call's line or on the line just above it


def _is_unscoped(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    # `unscoped()` around a block, or a manager's `with_scopes_disabled()` for a lazy queryset
    # (a form's choices, read after the block would have ended).
    return (isinstance(func, ast.Name) and func.id == "unscoped") or (
        isinstance(func, ast.Attribute) and func.attr in {"unscoped", "with_scopes_disabled"}
    )


def _walk(node: ast.AST, names: list[str], path: Path, lines: list[str], found: list[Site]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _walk(child, [*names, child.name], path, lines, found)
            continue
        if _is_unscoped(child):
            line = child.lineno
            here, above = lines[line - 1], lines[line - 2] if line >= 2 else ""
            commented = "#" in here[child.col_offset :] or above.strip().startswith("#")
            found.append(Site(str(path.relative_to(ROOT)), ".".join(names) or "<module>", line, commented))
        _walk(child, names, path, lines, found)


def unscoped_sites() -> list[Site]:
    found: list[Site] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            _walk(ast.parse(text), [], path, text.splitlines(), found)
    return found


def site_counts() -> Counter[str]:
    return Counter(f"{site.module}::{site.function}" for site in unscoped_sites())
