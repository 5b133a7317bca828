"""The Django admin is for operators (superusers) only; office staff use the product's screens
(an office head's units in bulk: mutualaid/resources.py, not import-export's admin, since every
write needs an actor whose subtree holds it). The tenant middleware disables scoping on /admin/
for superusers alone."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from mutualaid.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["code", "name", "kind", "parent", "headcount", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "depth"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # nodes are created through services.org_create, which builds the path


@admin.register(User)
class MutualaidUserAdmin(UserAdmin[User]):
    list_display = ["username", "display_name", "org", "roles", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("互助保障", {"fields": ("org", "display_name", "roles")}))
