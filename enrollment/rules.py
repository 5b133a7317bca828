"""Premium arithmetic: pure functions, Decimal only, one rounding helper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """The one rounding rule for premiums: to the fen, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PremiumSplit:
    premium: Decimal
    union_part: Decimal
    unit_part: Decimal
    member_part: Decimal


def subsidy_for(*, kind: str, amount: Decimal, stages: list[dict[str, str]], enrolled_on: date) -> Decimal:
    """The union's subsidy per member: a fixed amount, or by the date of enrollment in stages
    (e.g. 30 yuan until 31 July, 20 until 30 September, none after)."""
    if kind == "fixed":
        return amount
    if kind == "staged":
        for stage in sorted(stages, key=lambda s: s["until"]):
            if enrolled_on <= date.fromisoformat(stage["until"]):
                return Decimal(stage["amount"])
    return Decimal("0")


def premium_split(*, shares: int, premium_per_share: Decimal, subsidy: Decimal, unit_ratio: Decimal) -> PremiumSplit:
    """Premium = shares × premium per share; the union subsidy comes off first (never more than
    the premium), the unit pays its share of the rest, the member the remainder, so the three
    parts always add up to the premium exactly."""
    premium = money(premium_per_share * shares)
    union_part = min(money(subsidy), premium)
    unit_part = money((premium - union_part) * unit_ratio)
    return PremiumSplit(premium, union_part, unit_part, premium - union_part - unit_part)
