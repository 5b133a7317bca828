"""factory_boy factories that go through the services, so paths and roles stay consistent."""

from __future__ import annotations

from typing import Any

import factory

from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import Role
from mutualaid.services import org_create, user_create

PASSWORD = "Test-Passw0rd-long"


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = OrgKind.UNIT
    parent = None
    headcount = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Organisation:
        if kwargs["kind"] == OrgKind.UNIT and kwargs.get("headcount") is None:
            kwargs["headcount"] = 100
        return org_create(**kwargs)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"职员{n}")
    password = PASSWORD
    roles = factory.LazyFunction(lambda: [Role.OFFICE_HEAD])

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> User:
        return user_create(**kwargs)
