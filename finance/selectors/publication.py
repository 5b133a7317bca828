"""Reads of the statements offices publish to their members (公示)."""

from __future__ import annotations

from django.db.models import QuerySet

from finance.models import FundStatement, StatementStatus
from mutualaid.tenancy import unscoped


def fund_statement_list() -> QuerySet[FundStatement]:
    """Statements in the caller's scope, latest period first."""
    return FundStatement.objects.select_related("org").order_by("-ends_on", "org__path", "-pk")


def fund_statement_published_get(*, token: str) -> FundStatement | None:
    """The one published statement at a public address, or None (a draft, an approved but
    unpublished statement and a wrong token alike)."""
    if not 20 <= len(token) <= 64:
        return None
    with unscoped():  # the public page: the unguessable token of a published statement, not a login, names it
        return (
            FundStatement.objects.select_related("org")
            .filter(public_token=token, status=StatementStatus.PUBLISHED)
            .first()
        )
