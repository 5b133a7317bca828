"""Load the demo province: a provincial office, two cities with three agent points each, an
industry branch, employer units with headcounts, and one login per role, each approving role
recorded as granted by one demo person and confirmed by a second (as mutualaid/services.py
requires of an office), so that the payment approvals of the demo come from three people whose
roles were not all granted by the same person."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from mutualaid.demo import demo_steps
from mutualaid.idcheck import make_credit_code
from mutualaid.models import Organisation, OrgKind, RoleGrant, User
from mutualaid.roles import Role
from mutualaid.services import org_create, role_grant_record, role_needs_second_person, user_create
from mutualaid.tenancy import unscoped

DEMO_PASSWORD = "Demo-2026-huzhu"  # noqa: S105 - printed for the demo on purpose
# The authenticator secret (base32) of every demo login that approves claims or payments, which
# need a second factor: add it once to an authenticator app and its codes open all of them.
DEMO_TOTP_SECRET = "HUZHUDEMOHUZHUDEMOHUZHUDEMOHUZHU"  # noqa: S105 - printed for the demo on purpose

TREE: list[tuple[str, str, str, list[Any]]] = [
    (
        "6101",
        "西安市职工互助保障代办处",
        OrgKind.CITY,
        [
            (
                "610113",
                "雁塔区代办点",
                OrgKind.COUNTY,
                [
                    ("610113001", "西安秦川机械有限公司工会", 320),
                    ("610113002", "雁塔区第一人民医院工会", 860),
                ],
            ),
            (
                "610103",
                "碑林区代办点",
                OrgKind.COUNTY,
                [
                    ("610103001", "碑林区教育系统工会", 1450),
                    ("610103002", "长安路百货商场工会", 210),
                ],
            ),
            (
                "610112",
                "未央区代办点",
                OrgKind.COUNTY,
                [
                    ("610112001", "未央经开区电子科技公司工会", 540),
                ],
            ),
        ],
    ),
    (
        "6103",
        "宝鸡市职工互助保障代办处",
        OrgKind.CITY,
        [
            (
                "610302",
                "渭滨区代办点",
                OrgKind.COUNTY,
                [
                    ("610302001", "宝鸡钛业股份公司工会", 2300),
                    ("610302002", "渭滨区环卫中心工会", 180),
                ],
            ),
            (
                "610303",
                "金台区代办点",
                OrgKind.COUNTY,
                [
                    ("610303001", "金台区纺织厂工会", 640),
                ],
            ),
            (
                "610304",
                "陈仓区代办点",
                OrgKind.COUNTY,
                [
                    ("610304001", "陈仓区中学工会", 95),
                ],
            ),
        ],
    ),
    (
        "61T1",
        "省铁路产业工会互助保障分部",
        OrgKind.INDUSTRY,
        [
            ("61T1001", "西安铁路局机务段工会", 1200),
        ],
    ),
]

# (username, display name, node code, roles)
LOGINS: list[tuple[str, str, str, list[Role]]] = [
    ("sheng_head", "王建国", "61", [Role.OFFICE_HEAD]),
    ("sheng_deputy", "钱立新", "61", [Role.OFFICE_HEAD]),
    ("sheng_leader", "李卫东", "61", [Role.LEADER]),
    ("sheng_claims", "张丽", "61", [Role.CLAIMS_OFFICER]),
    ("sheng_supervisor", "赵敏", "61", [Role.CLAIMS_SUPERVISOR]),
    ("sheng_compliance", "孙海燕", "61", [Role.COMPLIANCE]),
    ("sheng_finance", "周红", "61", [Role.FINANCE_OFFICER]),
    ("sheng_finance_head", "吴刚", "61", [Role.FINANCE_HEAD]),
    ("sheng_auditor", "郑洁", "61", [Role.AUDITOR]),
    ("sheng_api", "省办事处数据接口", "61", [Role.API_CLIENT]),
    ("xian_head", "陈志强", "6101", [Role.OFFICE_HEAD]),
    ("xian_claims", "刘芳", "6101", [Role.CLAIMS_OFFICER]),
    ("xian_supervisor", "郭静", "6101", [Role.CLAIMS_SUPERVISOR]),
    ("xian_compliance", "何平", "6101", [Role.COMPLIANCE]),
    ("xian_leader", "罗军", "6101", [Role.LEADER]),
    ("xian_finance", "杨帆", "6101", [Role.FINANCE_OFFICER]),
    ("xian_finance_head", "许文", "6101", [Role.FINANCE_HEAD]),
    ("baoji_head", "黄磊", "6103", [Role.OFFICE_HEAD]),
    ("yanta_agent", "马晓", "610113", [Role.COUNTY_AGENT]),
    ("qinchuan_agent", "林静", "610113001", [Role.UNIT_AGENT]),
]


def _demo_granters(username: str, code: str) -> tuple[str | None, str | None]:
    """Who granted a demo login's approving roles and who confirmed them (None: the operator, for
    the province's first two heads): an office's own head grants, the office above confirms; the
    province's staff and the city heads are granted by its head and confirmed by its deputy."""
    if username == "sheng_head":
        return None, None
    if username == "sheng_deputy":
        return "sheng_head", None
    if code == "61" or (username.endswith("_head") and not username.endswith("finance_head")):
        return "sheng_head", "sheng_deputy"
    return f"{username.split('_')[0]}_head", "sheng_head"


def _demo_grants(users: dict[str, tuple[User, str]]) -> None:
    for username, (user, code) in users.items():
        granter, confirmer = _demo_granters(username, code)
        for role in user.roles:
            if role_needs_second_person(role) and not RoleGrant.objects.filter(user=user, role=role).exists():
                role_grant_record(
                    user=user,
                    role=role,
                    granted_by=users[granter][0] if granter else None,
                    confirmed_by=users[confirmer][0] if confirmer else None,
                )


def _demo_authenticator(user: User) -> None:
    """A confirmed TOTP device holding the demo secret, so that the demo needs no enrolment."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    TOTPDevice.objects.filter(user=user).exclude(key=key).delete()
    TOTPDevice.objects.update_or_create(user=user, key=key, defaults={"name": "demo", "confirmed": True})


def _demo_otpauth_uri() -> str:
    issuer = quote(settings.OTP_TOTP_ISSUER)
    return f"otpauth://totp/{issuer}:demo?secret={DEMO_TOTP_SECRET}&issuer={issuer}&digits=6&period=30"


class Command(BaseCommand):
    help = "Load (or refresh) the demo province and print one login per role."

    def handle(self, *args: Any, **options: Any) -> None:
        # Seeding builds the whole demo province, every office's rows: run by the operator.
        with unscoped(), transaction.atomic():
            province = Organisation.objects.filter(code="61").first()
            if province is None:
                province = org_create(code="61", name="陕西省职工互助保障办事处", kind=OrgKind.PROVINCE, parent=None)
                self._add(province, TREE)
            rows = []
            made: dict[str, tuple[User, str]] = {}
            for username, name, code, roles in LOGINS:
                org = Organisation.objects.get(code=code)
                user = User.auth_objects.filter(username=username).first()
                if user is None:
                    user = user_create(
                        username=username, password=DEMO_PASSWORD, org=org, roles=list(roles), display_name=name
                    )
                else:
                    user.set_password(DEMO_PASSWORD)
                    user.is_active = True
                    user.save()
                token = Token.objects.get_or_create(user=user)[0].key if Role.API_CLIENT in roles else ""
                if user.needs_two_factor:
                    _demo_authenticator(user)
                rows.append((username, "、".join(user.role_labels()), org.name, token, user.needs_two_factor))
                made[username] = (user, code)
            _demo_grants(made)
            said = [line for step in demo_steps() if (line := step())]
        for line in said:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 / Demo province ready."))
        self.stdout.write(f"密码 / password for every login: {DEMO_PASSWORD}")
        self.stdout.write(
            f"两步验证 / two-factor login for the logins marked *: authenticator secret {DEMO_TOTP_SECRET}"
        )
        self.stdout.write(f"  {_demo_otpauth_uri()}")
        for username, labels, org_name, token, two_factor in rows:
            line = f"{'*' if two_factor else ' '} {username:<20} {labels:<12} {org_name}"
            if token:
                line += f"  API token: {token}"
            self.stdout.write(line)

    def _add(self, parent: Organisation, children: list[Any]) -> None:
        for child in children:
            if len(child) == 3:
                code, name, headcount = child
                digits = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 10**9
                credit_code = make_credit_code(seventeen=f"91610100{digits:09d}")
                org_create(
                    code=code, name=name, kind=OrgKind.UNIT, parent=parent, headcount=headcount, credit_code=credit_code
                )
            else:
                code, name, kind, grandchildren = child
                node = org_create(code=code, name=name, kind=kind, parent=parent)
                self._add(node, grandchildren)
