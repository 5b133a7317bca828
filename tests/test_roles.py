from __future__ import annotations

from django.test import Client
from django.urls import reverse

from mutualaid.nav import NAV_ITEMS
from mutualaid.roles import PERMISSIONS, ROLE_NODE_KINDS, Role, permissions_for
from tests.conftest import Tree


def test_every_role_has_a_place_in_the_tree() -> None:
    assert set(ROLE_NODE_KINDS) == set(Role)


def test_every_navigation_entry_is_guarded_by_a_declared_permission() -> None:
    assert all(item.permission is None or item.permission in PERMISSIONS for item in NAV_ITEMS)


def test_a_leader_reads_but_does_not_manage() -> None:
    perms = permissions_for([Role.LEADER])
    assert "org.view" in perms and "users.manage" not in perms and "org.manage" not in perms


def test_roles_add_up() -> None:
    assert permissions_for([Role.AUDITOR, Role.OFFICE_HEAD]) >= {"audit.view", "users.manage"}


def test_the_navigation_fits_the_roles(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.unit_agent)
    unit_page = client.get(reverse("home")).content.decode()
    client.force_login(tree.a.office_user)
    office_page = client.get(reverse("home")).content.decode()
    assert 'href="/users/"' not in unit_page and 'href="/audit/"' not in unit_page
    assert 'href="/users/"' in office_page and 'href="/audit/"' in office_page
