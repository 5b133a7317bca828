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
    # The union levels' subsidies (省总、市总、县区总、单位工会) together, and each level's part as
    # (PeriodSubsidy id, amount) in the period's order: owed by those levels, not by the unit.
    levels_part: Decimal = Decimal("0")
    levels: tuple[tuple[int, Decimal], ...] = ()


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


def levels_for(*, shares: int, per_share: list[Decimal], room: Decimal) -> list[Decimal]:
    """Each union level's subsidy for one member: its amount per share × the member's shares, in
    the period's order, never together more than `room` (the premium the union subsidy leaves)."""
    parts: list[Decimal] = []
    left = max(room, Decimal("0"))
    for amount in per_share:
        part = min(money(amount * shares), left)
        parts.append(part)
        left -= part
    return parts


def premium_split(
    *,
    shares: int,
    premium_per_share: Decimal,
    subsidy: Decimal,
    unit_ratio: Decimal,
    levels: tuple[tuple[int, Decimal], ...] = (),
) -> PremiumSplit:
    """Premium = shares × premium per share; the union subsidy comes off first (never more than
    the premium), then the union levels' subsidies (`levels`: each level's per-share amount,
    capped by `levels_for`), the unit pays its share of the rest, the member the remainder, so
    the parts always add up to the premium exactly."""
    premium = money(premium_per_share * shares)
    union_part = min(money(subsidy), premium)
    parts = levels_for(shares=shares, per_share=[amount for _id, amount in levels], room=premium - union_part)
    levels_part = sum(parts, Decimal("0"))
    unit_part = money((premium - union_part - levels_part) * unit_ratio)
    member_part = premium - union_part - levels_part - unit_part
    each = tuple((level_id, part) for (level_id, _amount), part in zip(levels, parts, strict=True))
    return PremiumSplit(premium, union_part, unit_part, member_part, levels_part, each)
