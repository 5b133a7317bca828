"""What the report builders (overview, rankings, dashboard, turnaround) share: the child of a row
read off its materialised path, money and ratios as the strings their JSON-able figures carry,
and the window of a closed month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models.functions import Substr
from django.utils import timezone

from mutualaid import dates
from mutualaid.models import Organisation

STEP = 7  # one level of the materialised path: six digits and a dot
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


def child_path(node: Organisation, path_field: str = "org_path") -> Substr:
    """The path of the child of `node` a row lies under, read off the row's materialised path."""
    return Substr(path_field, 1, len(node.path) + STEP)


def ratio(part: Decimal | int, whole: Decimal | int | None) -> str | None:
    """`part` over `whole` to four decimals, or None without a whole."""
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(RATIO))


def money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(CENT))


def aware(day: date) -> datetime:
    """The first moment of `day` in the business time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Window:
    """A closed month: from the start of its year to the end of the month."""

    month: date

    @property
    def year_start(self) -> date:
        return self.month.replace(month=1, day=1)

    @property
    def end(self) -> date:
        """The first day after the month."""
        return dates.add_months(self.month, 1)

    def aware(self, day: date) -> datetime:
        return aware(day)
