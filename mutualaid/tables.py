"""The columns and filters of the core's list pages: accounts, the organisation tree and the
grants of roles that approve (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from mutualaid.listing import (
    CountColumn,
    ListFilter,
    ListTable,
    MomentColumn,
    StatusColumn,
    date_range,
    office_filter,
)
from mutualaid.models import GrantStatus, Organisation, OrgKind, RoleGrant, User
from mutualaid.roles import Role, approving_roles


class UserTable(ListTable):
    username = tables.Column(_("Username"))
    display_name = tables.Column(_("Full name"))
    organisation = tables.Column(_("Organisation"), accessor="org__name", order_by=("org_path",))
    roles = tables.Column(_("Roles"), orderable=False)
    last_login = MomentColumn(_("Last login"))
    is_active = tables.Column(_("Status"))
    manage = tables.Column("", accessor="pk", orderable=False, exclude_from_export=True)

    def render_roles(self, record: User) -> str:
        return "、".join(record.role_labels())

    def value_roles(self, record: User) -> str:
        return self.render_roles(record)

    def render_is_active(self, value: bool) -> Any:
        return render_to_string("mutualaid/partials/user_state.html", {"active": value})

    def value_is_active(self, value: bool) -> str:
        return str(_("Active") if value else _("Disabled"))

    def render_manage(self, record: User) -> Any:
        request = self.request
        if request is None or not request.user.has_perm("users.manage") or record.pk == request.user.pk:
            return ""
        return render_to_string("mutualaid/partials/user_manage.html", {"u": record}, request=request)

    def before_render(self, request: Any) -> None:
        if not request.user.has_perm("users.manage"):
            self.columns.hide("manage")


def _username_or_name(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    value = value.strip()
    return queryset.filter(Q(username__icontains=value) | Q(display_name__icontains=value)) if value else queryset


def _role(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    return queryset.filter(roles__contains=[value]) if value else queryset


def _active(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    return queryset.filter(is_active=value == "active") if value else queryset


class UserFilter(ListFilter):
    q = django_filters.CharFilter(method=_username_or_name, label=_("Username or name"))
    role = django_filters.ChoiceFilter(choices=Role.choices, method=_role, label=_("Role"), empty_label=_("All roles"))
    state = django_filters.ChoiceFilter(
        choices=[("active", _("Active")), ("disabled", _("Disabled"))],
        method=_active,
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    office = office_filter()

    class Meta:
        model = User
        fields: list[str] = []


class OrgTable(ListTable):
    name = tables.Column(_("Name"), order_by=("path",))
    kind = tables.Column(_("Kind"))
    code = tables.Column(_("Code"))
    credit_code = tables.Column(_("Unified social credit code"), default="")
    child_count = CountColumn(_("Sub-units"))
    headcount = CountColumn(_("Staff headcount"), default="")
    is_active = tables.BooleanColumn(_("Active"), yesno=(_("Yes"), _("No")))

    class Meta(ListTable.Meta):
        attrs = {"class": "table tree"}

    def render_name(self, value: str, record: Organisation, bound_column: Any) -> Any:
        """Indented by depth in tree order (no sort and no filter asked), as the tree reads."""
        request = self.request
        asked = request is not None and any(request.GET.get(key) for key in ("sort", "q", "kind", "office"))
        org = getattr(getattr(request, "user", None), "org", None)
        depth = 0 if asked else max(0, record.depth - (org.depth if org is not None else 0))
        return render_to_string("mutualaid/partials/org_name.html", {"node": record, "depth": depth})

    def value_name(self, value: str) -> str:
        return value

    def value_is_active(self, value: bool) -> str:
        return str(_("Yes") if value else _("No"))

    def render_kind(self, value: str, record: Organisation) -> Any:
        return render_to_string("mutualaid/partials/org_kind.html", {"node": record})

    def value_kind(self, record: Organisation) -> str:
        return str(record.get_kind_display())


def _name_or_code(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    value = value.strip()
    return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset


def _under(queryset: QuerySet[Any], name: str, office: Organisation | None) -> QuerySet[Any]:
    return queryset.filter(path__startswith=office.path) if office is not None else queryset


class OrgFilter(ListFilter):
    q = django_filters.CharFilter(method=_name_or_code, label=_("Name or code"))
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label=_("Kind"), empty_label=_("All kinds"))
    office = office_filter(method=_under)

    class Meta:
        model = Organisation
        fields: list[str] = []


class GrantTable(ListTable):
    """Grants of roles that approve: who, which role, who granted it and who decided; a pending
    one carries the buttons its reader may press, or why they may not (set by the view)."""

    account = tables.Column(_("Full name"), accessor="user__display_name", order_by=("user__display_name",))
    role = tables.Column(_("Role"))
    # Beside the person and the role, so that a phone shows the buttons without scrolling the table.
    decide = tables.Column(
        _("Confirm or refuse"),
        accessor="pk",
        orderable=False,
        exclude_from_export=True,
        attrs={"td": {"class": "wrap decide"}},
    )
    username = tables.Column(_("Username"), accessor="user__username")
    organisation = tables.Column(_("Organisation"), accessor="org__name", order_by=("org_path",))
    status = StatusColumn(_("Status"))
    granted_by = tables.Column(_("Granted by"), accessor="granted_by__display_name", default="—")
    granted_at = MomentColumn(_("Granted at"))
    decided_by = tables.Column(_("Confirmed or refused by"), accessor="decided_by__display_name", default="—")
    decided_at = MomentColumn(_("Decided at"), default="—")

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "pending-grants"}
        row_attrs = {"class": "grant", "data-grant": lambda record: record.pk}
        empty_text = _("No role grant matches these filters.")

    def render_decide(self, record: RoleGrant) -> Any:
        if record.status != GrantStatus.PENDING:
            return ""
        return render_to_string("mutualaid/partials/grant_decide.html", {"g": record}, request=self.request)


def _account(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    value = value.strip()
    return (
        queryset.filter(Q(user__username__icontains=value) | Q(user__display_name__icontains=value))
        if value
        else queryset
    )


class GrantFilter(ListFilter):
    """The grants still awaiting a second person unless another status (or every one) is asked."""

    q = django_filters.CharFilter(method=_account, label=_("Username or name"))
    status = django_filters.ChoiceFilter(choices=GrantStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    role = django_filters.ChoiceFilter(
        choices=[(role.value, role.label) for role in approving_roles()], label=_("Role"), empty_label=_("All roles")
    )
    office = office_filter()
    granted = date_range("granted_at", _("Granted at"))

    class Meta:
        model = RoleGrant
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is None or "status" not in data:
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["status"] = GrantStatus.PENDING
        super().__init__(data, *args, **kwargs)
