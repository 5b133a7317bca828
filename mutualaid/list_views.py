"""The core's list pages: accounts and the organisation tree (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from mutualaid import selectors
from mutualaid.listing import ListPage
from mutualaid.tables import OrgFilter, OrgTable, UserFilter, UserTable


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
