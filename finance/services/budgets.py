"""Budgets of an office per plan, year and account (预算): what it plans to take in and spend.
finance.selectors.budgets sets them against what the books show."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import Account, Budget
from finance.rules import CENT, MONEY_OFFICES
from finance.selectors.books import book_plan_list
from mutualaid.models import User

FIRST_YEAR, LAST_YEAR = 2000, 2100
# DecimalField(max_digits=14, decimal_places=2): twelve digits before the point.
MONEY_LIMIT = Decimal("1000000000000")


def budget_amount_parse(value: object) -> Decimal | None:
    """A yuan amount as typed (thousands separators allowed), or None when it is not a number."""
    if isinstance(value, Decimal):
        return value
    try:
        found = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


@transaction.atomic
def budget_set(*, actor: User, plan: Plan | None, year: int, account: str, amount: Decimal) -> Budget:
    """Set (or change) the budget of the actor's office for a plan, year and account."""
    if not actor.has_perm("finance.configure"):
        raise PermissionDenied(_("Your roles do not allow this."))
    office = actor.org
    if office is None or office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books."))
    errors: dict[str, str] = {}
    if plan is None or plan.pk not in {p.pk for p in book_plan_list(office=office)}:
        errors["plan"] = _("Choose a plan your office keeps books for.")
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = _("Enter a year between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
    if account not in Account.values:
        errors["account"] = _("Choose an account of the chart.")
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount < 0
        or amount != amount.quantize(CENT)
        or amount >= MONEY_LIMIT
    ):
        errors["amount"] = _("Enter the budget in yuan: a number of 0 or more with at most two decimals.")
    if errors:
        raise ValidationError(errors)
    budget, _created = Budget.objects.update_or_create(
        org=office, plan=plan, year=year, account=account, defaults={"amount": amount.quantize(CENT)}
    )
    return budget
