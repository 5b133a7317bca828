"""factory_boy factories that go through the services, so paths and roles stay consistent."""

from __future__ import annotations

from typing import Any

import factory

from mutualaid.idcheck import make_credit_code
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
    credit_code = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Organisation:
        if kwargs["kind"] == OrgKind.UNIT:
            if kwargs.get("headcount") is None:
                kwargs["headcount"] = 100
            if kwargs.get("credit_code") is None:
                kwargs["credit_code"] = unit_credit_code()
        return org_create(**kwargs)


_credit_sequence = iter(range(1, 10**8))


def unit_credit_code() -> str:
    """A valid unified social credit code, different on every call."""
    return make_credit_code(seventeen=f"91610113{next(_credit_sequence):08d}X")


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
