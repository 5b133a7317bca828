"""The books of an office and of every office below it read as one (合并): what a province's
statement of the fund shows for its whole tree.

Summing the offices' books counts nothing twice as long as what passes between two offices of
the tree drops out:
- a premium remitted up is income only where the plan is pooled (below it sits in 2241 due to the
  office above, and 1221 due from below above it), and those pairs net to nothing in the sum of
  the fund balances (assets less liabilities): the premium in transit stays counted once;
- an allocation down (1231 and 2242 while open, 1012 in transit) nets the same way, and once
  received it is spent above (6451) and income below (6061): every 6451 of the tree has its 6061
  in the tree (the receiver lies below the sender), so the tree's allocations received from
  outside it are its 6061 less its 6451, and 6451 drops out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from finance.rules import ZERO
from finance.selectors.flows import flow_kind_totals
from finance.selectors.solvency import solvency_list
from mutualaid.models import Organisation


@dataclass
class ConsolidatedFund:
    plan_id: int
    plan_name: str
    fund_balance: Decimal = ZERO
    reserve: Decimal = ZERO
    offices: list[str] = field(default_factory=list)


def consolidated_funds(*, node: Organisation, on: date) -> dict[int, ConsolidatedFund]:
    """Each plan's fund and reserve summed over the offices of the node's tree that hold one."""
    funds: dict[int, ConsolidatedFund] = {}
    for row in solvency_list(node=node, on=on, every=True):
        fund = funds.setdefault(row.plan_id, ConsolidatedFund(row.plan_id, row.plan_name))
        fund.fund_balance += row.fund_balance
        fund.reserve += row.reserve
        fund.offices.append(row.office_name)
    return funds


def consolidated_kind_totals(*, office: Organisation, starts_on: date, ends_on: date) -> list[dict[str, Any]]:
    """Each kind of payment and income of the office's tree over the period, the allocations
    between its offices eliminated."""
    kinds = flow_kind_totals(office=office, starts_on=starts_on, ends_on=ends_on, tree=True)
    internal = sum((k["amount"] for k in kinds if k["code"] == "allocation_out"), ZERO)
    consolidated = []
    for kind in kinds:
        if kind["code"] == "allocation_out":
            continue
        if kind["code"] == "allocation_in":
            kind = {**kind, "amount": kind["amount"] - internal}
        if kind["amount"]:
            consolidated.append(kind)
    return consolidated
