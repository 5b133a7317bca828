"""Money in the benefit engine: `Decimal` throughout, never float, because a fen lost to binary
rounding is a complaint from a member; and one table of the rounding rules an office may choose,
applied by one helper, so that validation and calculation cannot disagree on what a rule means."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal

Rounding = Literal["fen_half_up", "jiao_half_up", "yuan_half_up", "yuan_down"]

ZERO = Decimal(0)
ONE = Decimal(1)

# The unit each rounding rule rounds to, and how. The only table of rounding in the engine.
_ROUNDING: dict[str, tuple[Decimal, str]] = {
    "fen_half_up": (Decimal("0.01"), ROUND_HALF_UP),
    "jiao_half_up": (Decimal("0.1"), ROUND_HALF_UP),
    "yuan_half_up": (Decimal("1"), ROUND_HALF_UP),
    "yuan_down": (Decimal("1"), ROUND_DOWN),
}
ROUNDINGS: tuple[str, ...] = tuple(_ROUNDING)


def round_money(amount: Decimal, rule: str, *, down: bool = False) -> Decimal:
    """Round `amount` to the unit of `rule` (fen, jiao or yuan), the one place money is rounded.

    `down=True` rounds toward zero whatever the rule says: it is used for limits (the cap left),
    because rounding a limit up would pay more than the limit allows.
    """
    unit, mode = _ROUNDING[rule]
    return amount.quantize(unit, rounding=ROUND_DOWN if down else mode)
