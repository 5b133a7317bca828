"""The scoping mechanism itself: it fails closed."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from pghistory.models import Event

from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import Role
from mutualaid.services import org_create, user_create
from mutualaid.tenancy import ScopeError, org_scope, unscoped
from tests.conftest import Tree

OUR_APPS = ["mutualaid", "enrollment", "claims", "finance", "reporting"]
# Each entry says why it holds no tenant data or how it is read safely. Audit event models
# (pghistory) are read only through mutualaid.audit, which filters by the caller's subtree.
NOT_TENANT_OWNED = {
    "enrollment.PolicySequence",  # counters per office and year, read under a row lock by services
    "enrollment.ApprovalWatermark",  # approval counters per province, read under an advisory lock
}


def tenant_models() -> list[type]:
    return [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in NOT_TENANT_OWNED and not issubclass(model, Event)
    ]


def test_there_are_tenant_models_to_check() -> None:
    assert {m._meta.label for m in tenant_models()} >= {"mutualaid.Organisation", "mutualaid.User"}


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_a_tenant_model_cannot_be_read_without_a_scope(db: None, model: type) -> None:
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


def test_a_scope_needs_a_real_organisation(db: None) -> None:
    with pytest.raises(ScopeError), org_scope(None):  # type: ignore[arg-type]
        pass
    with pytest.raises(ScopeError), org_scope(Organisation(name="未保存")):
        pass


def test_a_city_sees_its_subtree_only(tree: Tree) -> None:
    with org_scope(tree.a.city):
        codes = set(Organisation.objects.values_list("code", flat=True))
        usernames = set(User.objects.values_list("username", flat=True))
    assert codes == {tree.a.city.code, tree.a.county.code, tree.a.unit.code}
    assert usernames == {tree.a.office_user.username, tree.a.county_agent.username, tree.a.unit_agent.username}


def test_descendants_never_see_ancestors(tree: Tree) -> None:
    with org_scope(tree.a.county):
        assert not Organisation.objects.filter(pk=tree.a.city.pk).exists()
        assert not Organisation.objects.filter(pk=tree.province.pk).exists()
    with org_scope(tree.a.unit):
        assert list(Organisation.objects.values_list("pk", flat=True)) == [tree.a.unit.pk]


def test_the_province_sees_every_city(tree: Tree) -> None:
    with org_scope(tree.province):
        assert Organisation.objects.filter(kind=OrgKind.UNIT).count() == 2


def test_nobody_creates_a_node_outside_their_tree(tree: Tree) -> None:
    with org_scope(tree.a.city), pytest.raises(PermissionDenied):
        org_create(
            code="X1", name="伪造", kind=OrgKind.UNIT, parent=tree.b.county, headcount=5, actor=tree.a.office_user
        )
    with unscoped():
        assert not Organisation.objects.filter(code="X1").exists()


def test_nobody_creates_an_account_outside_their_tree(tree: Tree) -> None:
    with org_scope(tree.a.city), pytest.raises(PermissionDenied):
        user_create(
            username="forged",
            password="Xy-12345678",
            org=tree.b.unit,
            roles=[Role.UNIT_AGENT],
            actor=tree.a.office_user,
        )
    assert not User.auth_objects.filter(username="forged").exists()


def test_a_role_must_fit_its_node(tree: Tree) -> None:
    from django.core.exceptions import ValidationError

    with unscoped(), pytest.raises(ValidationError):
        user_create(username="wrong", password="Xy-12345678", org=tree.a.unit, roles=[Role.CLAIMS_OFFICER])
