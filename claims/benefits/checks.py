"""The error a schedule raises and the checks of single values that every part of a schedule runs
when it is built, so that a bad schedule is refused when the office saves it, with a message that
names the field and says what to change."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from claims.benefits.money import ONE


class ScheduleError(ValueError):
    """A schedule that cannot be applied; the message tells the office what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def listing(values: Iterable[object]) -> str:
    """Values named in a message, joined by a slash that reads the same in Chinese and English."""
    return "/".join(str(value) for value in values)


def in_variant(number: int, error: ScheduleError) -> ScheduleError:
    """An error inside a variant, prefixed with the variant's place in the list."""
    return ScheduleError(_("variants, item %(number)s: %(message)s") % {"number": number, "message": error.message})


def check_amount(name: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": name})
    if value < 0:
        raise ScheduleError(_("%(name)s must not be negative: enter 0 or a positive amount.") % {"name": name})


def check_ratio(name: str, value: object) -> None:
    check_amount(name, value)
    if isinstance(value, Decimal) and value > ONE:
        raise ScheduleError(
            _("%(name)s must be a ratio between 0 and 1, such as 0.8 for 80 percent: check the value.") % {"name": name}
        )


def check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": name})
    if value < minimum:
        raise ScheduleError(
            _("%(name)s must be %(minimum)s or more: check the value.") % {"name": name, "minimum": minimum}
        )
