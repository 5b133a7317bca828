"""The core's list pages: accounts, the organisation tree and the grants of roles that approve
(see mutualaid/listing.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from mutualaid import selectors, services
from mutualaid.listing import ListPage
from mutualaid.models import GrantStatus
from mutualaid.tables import GrantFilter, GrantTable, OrgFilter, OrgTable, UserFilter, UserTable
from mutualaid.views import error_text


class OrgTreeView(ListPage):
    """The offices, agent points and units of the reader's tree, in tree order unless sorted."""

    template_name = "mutualaid/org_tree.html"
    permission_required = "org.view"
    table_class = OrgTable
    filter_class = OrgFilter
    title = gettext_lazy("Organisations")
    export_name = gettext_lazy("Organisations")
    page_size = 200

    def queryset(self) -> QuerySet[Any]:
        return selectors.org_subtree()


class UserListView(ListPage):
    template_name = "mutualaid/user_list.html"
    permission_required = "users.view"
    table_class = UserTable
    filter_class = UserFilter
    title = gettext_lazy("Accounts")
    export_name = gettext_lazy("Accounts")

    def queryset(self) -> QuerySet[Any]:
        return selectors.user_list()


class GrantListView(ListPage):
    """Grants of roles that approve, those awaiting a second person first: each pending one with
    the buttons its reader may press, or why they may not; below, the approvers awaiting an
    enrolment code."""

    template_name = "mutualaid/grant_list.html"
    permission_required = "users.manage"
    table_class = GrantTable
    filter_class = GrantFilter
    title = gettext_lazy("Roles awaiting confirmation")
    export_name = gettext_lazy("Role grants")

    def queryset(self) -> QuerySet[Any]:
        return selectors.role_grant_list()

    def prepare(self, records: list[Any]) -> None:
        actor = self.request.user
        for grant in records:
            if grant.status == GrantStatus.PENDING:
                grant.why_not = _refusal(partial(services.role_grant_check_confirmer, actor=actor, grant=grant))
                grant.may_withdraw = grant.granted_by_id == actor.pk

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        actor = self.request.user
        waiting = list(selectors.user_list_awaiting_enrolment()[:200])
        for account in waiting:
            account.why_not = _refusal(  # type: ignore[attr-defined]
                partial(services.enrolment_code_check_issuer, actor=actor, user=account)
            )
        context["waiting"] = waiting
        return context


def _refusal(check: Callable[[], object]) -> str:
    """The reason a check refuses the reader, or "" when it lets them through."""
    try:
        check()
    except (PermissionDenied, ValidationError) as error:
        return error_text(error)
    return ""
