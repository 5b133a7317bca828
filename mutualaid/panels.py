"""Sections that higher apps add to pages of lower ones, so the dependency stays one way.

The member page belongs to enrollment, but what a member claimed belongs to claims, which sits
above it. Claims registers a panel here when it is loaded; the member page renders whatever is
registered, without importing claims.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# A panel takes the request and the page's object and returns (template name, context), or
# None when it has nothing to show to this user.
Panel = Callable[[HttpRequest, Any], tuple[str, dict[str, Any]] | None]
MEMBER_PANELS: list[Panel] = []


def render_panels(panels: list[Panel], request: HttpRequest, obj: Any) -> SafeString:
    parts = []
    for panel in panels:
        found = panel(request, obj)
        if found is not None:
            template, context = found
            parts.append(render_to_string(template, context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered by Django templates with autoescaping
