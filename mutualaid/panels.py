"""Sections that higher apps add to pages of lower ones, so the dependency stays one way.

The member page belongs to enrollment, but what a member claimed belongs to claims, which sits
above it; a claims batch's page belongs to claims, but the batch's payment belongs to finance.
The higher app registers a panel for the lower app's page when it loads; the page renders
whatever is registered under its name, without importing the higher app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# A panel takes the request and the page's object and returns (template name, context), or
# None when it has nothing to show to this user.
Panel = Callable[[HttpRequest, Any], tuple[str, dict[str, Any]] | None]
_PANELS: dict[str, list[Panel]] = defaultdict(list)


def register_panel(page: str, panel: Panel) -> None:
    """Show `panel` on the page named `page` (the page's app names it, e.g. "enrollment.member")."""
    if panel not in _PANELS[page]:
        _PANELS[page].append(panel)


def render_panels(page: str, request: HttpRequest, obj: Any) -> SafeString:
    parts = []
    for panel in _PANELS[page]:
        found = panel(request, obj)
        if found is not None:
            template, context = found
            parts.append(render_to_string(template, context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered by Django templates with autoescaping
