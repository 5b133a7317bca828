"""Money in the database: yuan with two decimals (DecimalField(max_digits=14, decimal_places=2))."""

from __future__ import annotations

from typing import Final, TypedDict


class Digits(TypedDict):
    max_digits: int
    decimal_places: int


# Spread into every money column: `models.DecimalField(_("premium"), **MONEY)`.
MONEY: Final[Digits] = {"max_digits": 14, "decimal_places": 2}
# Totals over a whole province's years (reporting's snapshots) need two more digits.
MONEY_TOTAL: Final[Digits] = {"max_digits": 16, "decimal_places": 2}
