"""The home page's work to do: what waits for the person logged in, each with its count and a link
to the page that shows exactly those rows.

The home page belongs to the core, but what waits (lists to approve, claims at a review level,
payments to sign, remittances and reports due) belongs to the apps above it. Each app registers a
provider from its AppConfig.ready(), as it registers panels (mutualaid.panels); the home page asks
every provider, without importing any app.

A provider takes the user and returns its items, or nothing when the user's roles give it nothing
to show. It reads in the request's scope (the user's office tree: the middleware entered it) and
keeps to one or two aggregate queries whatever the number of rows, since the home page is the most
opened page of all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from mutualaid.models import User


@dataclass(frozen=True)
class Todo:
    area: str  # one of mutualaid.nav.AREAS: the home page groups the items as the menu does
    label: str | Promise  # what waits, said as a person would ("Lists waiting for your approval")
    count: int
    url: str  # the page filtered to exactly these rows
    urgent: bool = False  # late or overdue: shown in red when there is any
    note: str | Promise = ""  # a word more (the month a report is for, the day something is due)


TodoProvider = Callable[[User], list[Todo]]
_PROVIDERS: list[TodoProvider] = []


def register_todo(provider: TodoProvider) -> None:
    """Ask `provider` for the home page's work to do; loading an app twice adds nothing twice."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def todo_list(*, user: User) -> list[Todo]:
    """Everything that waits for the user, in the menu's order of areas (and each provider's
    order within an area)."""
    from mutualaid.nav import AREAS

    order = {area: place for place, area in enumerate(AREAS)}
    found = [todo for provider in _PROVIDERS for todo in provider(user)]
    return sorted(found, key=lambda todo: order.get(todo.area, len(order)))


def todo_groups(*, user: User) -> list[dict[str, object]]:
    """The user's work to do by area of the menu: {"label", "items", "waiting"} each, where
    `waiting` is how many rows of the area wait (0: the area is all done)."""
    from mutualaid.nav import AREAS

    groups: dict[str, list[Todo]] = {}
    for todo in todo_list(user=user):
        groups.setdefault(todo.area, []).append(todo)
    return [
        {"label": AREAS.get(area, ""), "items": items, "waiting": sum(todo.count for todo in items)}
        for area, items in groups.items()
    ]
