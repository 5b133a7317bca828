"""The layout the README describes holds: the layers are checked by import-linter; these tests
check what an import graph cannot see."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIGHER_APPS = ("enrollment", "claims", "finance", "reporting")
# A string that names a higher app: a module path, a model or permission label, a URL namespace.
NAMES_AN_APP = re.compile(rf"^({'|'.join(HIGHER_APPS)})([.:][A-Za-z_]|$)")


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_core_names_no_higher_app_not_even_in_a_string() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted((ROOT / "mutualaid").rglob("*.py"))
        if "migrations" not in path.parts
        for line, text in _strings(path)
        if NAMES_AN_APP.match(text)
    ]
    assert not found, "the core must not name a higher app; register from the app's ready() instead:\n" + "\n".join(
        found
    )


def test_the_core_templates_name_no_higher_app() -> None:
    pattern = re.compile(rf"['\"]({'|'.join(HIGHER_APPS)})[.:]")
    core = [ROOT / "templates" / "base.html", *(ROOT / "mutualaid" / "templates" / "mutualaid").glob("*.html")]
    found = [f"{path.name}: {match.group(0)}" for path in core for match in pattern.finditer(path.read_text())]
    assert not found, found


def test_every_app_registers_its_permissions_menu_and_url_objects() -> None:
    from django.urls import reverse

    from mutualaid.nav import NAV_ITEMS
    from mutualaid.roles import PERMISSIONS
    from mutualaid.routes import URL_OBJECTS

    for app in HIGHER_APPS:
        assert any(perm.startswith(f"{app}.") for perm in PERMISSIONS), app
        assert any(item.url_name.startswith(f"{app}:") for item in NAV_ITEMS), app
        assert any(label.startswith(f"{app}.") for label in URL_OBJECTS.values()), app
    for item in NAV_ITEMS:
        assert item.permission is None or item.permission in PERMISSIONS, item
        reverse(item.url_name)  # every entry leads somewhere


def test_no_message_is_translated_inside_an_f_string() -> None:
    """makemessages cannot read a msgid inside an f-string: its Chinese would never be found."""
    translators = {"_", "gettext", "gettext_lazy", "pgettext", "ngettext"}
    found = []
    for package in ("config", "mutualaid", *HIGHER_APPS):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    for call in ast.walk(node):
                        if isinstance(call, ast.Call) and getattr(call.func, "id", "") in translators:
                            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_no_production_module_over_600_lines_and_no_function_over_80() -> None:
    """A module holds one topic and a function one step (README, "Design"): past these sizes it
    becomes a package, or named steps."""
    too_long = []
    for package in ("config", "mutualaid", *HIGHER_APPS):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if (lines := len(text.splitlines())) > 600:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > 80:
                        too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, too_long
