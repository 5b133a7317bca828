"""The demo province (`manage.py seed_demo`): the core makes the tree and one login per role; each
domain app adds its own data in a step it registers when it loads (`register_demo`), through the
same services an office uses. Steps run in the order the apps are installed, inside the seeding's
transaction, and each returns a line for the terminal or None when it had nothing to do (the data
is there already, or it is too early in the year)."""

from __future__ import annotations

from collections.abc import Callable

DemoStep = Callable[[], str | None]
_STEPS: list[DemoStep] = []


def register_demo(step: DemoStep) -> None:
    if step not in _STEPS:
        _STEPS.append(step)


def demo_steps() -> list[DemoStep]:
    return list(_STEPS)
