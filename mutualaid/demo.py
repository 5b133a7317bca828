"""The demo province (`manage.py seed_demo`): the core makes the tree and one login per role; each
domain app adds its own data in a step it registers when it loads (`register_demo`), through the
same services an office uses. Steps run in the order the apps are installed, inside the seeding's
transaction, and each returns a line for the terminal or None when it had nothing to do (the data
is there already, or it is too early in the year)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone

from mutualaid.models import Organisation, User
from mutualaid.tenancy import org_scope

DemoStep = Callable[[], str | None]
_STEPS: list[DemoStep] = []


def register_demo(step: DemoStep) -> None:
    if step not in _STEPS:
        _STEPS.append(step)


def demo_steps() -> list[DemoStep]:
    return list(_STEPS)


@contextmanager
def demo_acting(user: User) -> Iterator[Organisation]:
    """The scope of a demo login's office, as its requests would enter it: the steps act through
    the services, as that login, inside it."""
    if user.org is None:
        raise ValueError(f"the demo login {user.username} has no office")
    with org_scope(user.org, actor_id=user.pk):
        yield user.org


@contextmanager
def demo_clock(moment: datetime) -> Iterator[None]:
    """The product's clock stands at `moment` (timezone.now, and so the business date) while the
    demo does what an office did earlier: everything it stores, and the books it posts, carry
    that day together, as they would have had the office done it then. For the demo only."""
    real_now = timezone.now
    start = real_now()

    def now() -> datetime:
        return moment + (real_now() - start)  # the clock runs on from `moment`

    with mock.patch.object(timezone, "now", now):
        yield
