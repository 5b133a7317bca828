"""Writes to the core: creating nodes of the tree and accounts, granting roles, issuing the
codes that let a new approver enrol an authenticator.

Services take keyword-only arguments and the acting user; they check that the target lies in
the actor's subtree, so a forged id in a form or an API body cannot write outside it.

Separation of duties: a role that approves (claims review, payments, member lists:
`roles.approving_roles()`) is granted in two steps. Whoever grants it (at the account's creation
or later) makes a pending grant; the account holds the role only once a second person confirms
it: someone who manages accounts in the office above, or a second one in the same office, never
the granter and never the grantee. The new approver then enrols an authenticator with a one-time
enrolment code that only a second person receives, never whoever created the account (and so
chose its first password): one office head alone cannot make an approver and log in as them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from mutualaid.idcheck import IdError, check_credit_code
from mutualaid.models import (
    ALLOWED_PARENT_KINDS,
    PATH_STEP,
    EnrolmentCode,
    GrantStatus,
    Organisation,
    OrgKind,
    RoleGrant,
    User,
)
from mutualaid.roles import Role, approving_roles, role_fits_node

# How long an enrolment code may wait for its approver: long enough for an office that meets
# the office above once a week.
ENROLMENT_CODE_DAYS = 7


def _in_subtree(node: Organisation, root: Organisation) -> bool:
    return node.path.startswith(root.path)


def _next_org_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('mutualaid_organisation', 'id'))")
        return int(cursor.fetchone()[0])


@transaction.atomic
def org_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Organisation | None,
    headcount: int | None = None,
    credit_code: str | None = None,
    actor: User | None = None,
    unit_type: str = "",
) -> Organisation:
    """Add a node under `parent`. `actor=None` is for seeding and migrations only."""
    if actor is not None and (parent is None or actor.org is None or not _in_subtree(parent, actor.org)):
        raise PermissionDenied(_("You may only add organisations inside your own office's tree."))
    parent_kind = parent.kind if parent else None
    allowed = ALLOWED_PARENT_KINDS[OrgKind(kind)]
    if (parent_kind is None and allowed) or (parent_kind is not None and parent_kind not in allowed):
        raise ValidationError(
            _("A %(kind)s cannot be placed under a %(parent)s.")
            % {"kind": OrgKind(kind).label, "parent": OrgKind(parent_kind).label if parent_kind else _("nothing")}
        )
    if kind == OrgKind.UNIT:
        headcount, credit_code = _unit_fields(headcount=headcount, credit_code=credit_code)
    else:
        headcount = None
        credit_code = None
    node_id = _next_org_id()
    org = Organisation(
        id=node_id,
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        parent=parent,
        path=(parent.path if parent else "") + f"{node_id:0{PATH_STEP}d}.",
        depth=(parent.depth + 1) if parent else 0,
        headcount=headcount,
        credit_code=credit_code,
        unit_type=unit_type if kind == OrgKind.UNIT else "",
    )
    org.full_clean()
    org.save(force_insert=True)
    return org


def _unit_fields(*, headcount: int | None, credit_code: str | None) -> tuple[int, str]:
    """A unit's headcount and its credit code, normalised, or ValidationError naming the field."""
    if headcount is None or headcount < 1:
        raise ValidationError({"headcount": _("Enter the unit's staff headcount (a whole number of at least 1).")})
    try:
        return headcount, check_credit_code(credit_code or "")
    except IdError as error:
        raise ValidationError({"credit_code": str(error.message)}) from None


@transaction.atomic
def unit_update(
    *,
    unit: Organisation,
    name: str,
    headcount: int | None,
    credit_code: str | None,
    actor: User,
    unit_type: str | None = None,
) -> Organisation:
    """Change a unit's name, headcount, credit code or type (an office's bulk import of its units;
    `unit_type` None keeps the type), with the checks of `org_create`. A unit does not move: its
    path is on every row it owns."""
    if actor.org is None or unit.kind != OrgKind.UNIT or not _in_subtree(unit, actor.org):
        raise PermissionDenied(_("You may only change organisations inside your own office's tree."))
    unit.headcount, unit.credit_code = _unit_fields(headcount=headcount, credit_code=credit_code)
    unit.name = name.strip()
    if unit_type is not None:
        unit.unit_type = unit_type
    unit.full_clean(validate_unique=False)  # the unique columns are checked by the database
    unit.save(update_fields=["name", "headcount", "credit_code", "unit_type"])
    return unit


def _check_roles_fit(roles: list[str], org: Organisation) -> None:
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")})
    for role in roles:
        if not role_fits_node(role, org.kind):
            raise ValidationError(
                {
                    "roles": _("The role “%(role)s” cannot be held at a %(kind)s.")
                    % {"role": Role(role).label, "kind": OrgKind(org.kind).label}
                }
            )


def user_require_manager(*, actor: User, user: User) -> None:
    """Refuse unless `actor` manages accounts and `user` lies in their office's tree."""
    if actor.org is None or user.org is None or not _in_subtree(user.org, actor.org):
        raise PermissionDenied(_("You may only manage accounts inside your own office's tree."))
    if not actor.has_perm("users.manage"):
        raise PermissionDenied(_("Your roles do not allow managing accounts."))


def role_needs_second_person(role: str) -> bool:
    return Role(role) in approving_roles()


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    org: Organisation,
    roles: list[str],
    display_name: str = "",
    actor: User | None = None,
) -> User:
    """Create an account at `org` with `roles`. A role that approves waits, as a pending grant,
    for a second person's confirmation; the others are held at once. `actor=None` is for seeding
    only: every role is held at once."""
    if actor is not None:
        if actor.org is None or not _in_subtree(org, actor.org):
            raise PermissionDenied(_("You may only create accounts inside your own office's tree."))
        if not actor.has_perm("users.manage"):
            raise PermissionDenied(_("Your roles do not allow managing accounts."))
    _check_roles_fit(roles, org)
    wanted = sorted(set(roles))
    pending = [role for role in wanted if actor is not None and role_needs_second_person(role)]
    user = User(
        username=username.strip(),
        org=org,
        roles=[role for role in wanted if role not in pending],
        display_name=display_name.strip(),
        created_by=actor,
    )
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    for role in pending:
        RoleGrant.objects.create(user=user, role=role, granted_by=actor, org=org)
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Disable or re-enable an account; disabling also ends its sessions at the next request."""
    user_require_manager(actor=actor, user=user)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot disable your own account."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.is_active = active
    locked.save(update_fields=["is_active", "org_path"])
    return locked


# Role grants ----------------------------------------------------------------------------------


@transaction.atomic
def role_grant(*, actor: User, user: User, role: str) -> RoleGrant | None:
    """Give `user` a role later (the account page of issue 15 calls this): held at once, or, for a
    role that approves, a pending grant (returned) that a second person confirms."""
    user_require_manager(actor=actor, user=user)
    assert user.org is not None  # noqa: S101 - user_require_manager refuses an account without a node
    _check_roles_fit([role], user.org)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if role in locked.roles:
        raise ValidationError(
            {"roles": _("The account already holds the role “%(role)s”.") % {"role": Role(role).label}}
        )
    if not role_needs_second_person(role):
        locked.roles = sorted({*locked.roles, role})
        locked.save(update_fields=["roles", "org_path"])
        return None
    if RoleGrant.objects.filter(user=locked, role=role, status=GrantStatus.PENDING).exists():
        raise ValidationError(
            {
                "roles": _("The role “%(role)s” already awaits confirmation for this account.")
                % {"role": Role(role).label}
            }
        )
    return RoleGrant.objects.create(user=locked, role=role, granted_by=actor, org=user.org)


def role_grant_check_confirmer(*, actor: User, grant: RoleGrant) -> None:
    """Refuse, saying why, anyone who may not confirm `grant`: only a second person who manages
    accounts in the grantee's office or an office above it."""
    user_require_manager(actor=actor, user=grant.user)
    if actor.pk == grant.granted_by_id:
        raise PermissionDenied(
            _(
                "You granted this role, so a second person must confirm it: someone who manages accounts in the "
                "office above, or another one in this office."
            )
        )
    if actor.pk == grant.user_id:
        raise PermissionDenied(_("This role is granted to you: someone else must confirm it."))


def _grant_locked(grant: RoleGrant) -> RoleGrant:
    locked = RoleGrant.objects.select_for_update(of=("self",)).select_related("user__org", "org").get(pk=grant.pk)
    if locked.status != GrantStatus.PENDING:
        raise ValidationError(
            _("This grant was already decided (%(status)s); nothing was changed. Reload the page.")
            % {"status": locked.get_status_display()}
        )
    return locked


@dataclass(frozen=True)
class IssuedCode:
    """An enrolment code as issued: the code itself exists only here, to be shown once."""

    user: User
    code: str
    expires_at: datetime


@transaction.atomic
def role_grant_confirm(*, actor: User, grant: RoleGrant) -> IssuedCode | None:
    """Confirm a pending grant: the account holds the role from now on. When it is a new
    approver without an authenticator, the confirming person receives its enrolment code (None
    when they created the account: someone else issues it)."""
    locked = _grant_locked(grant)
    role_grant_check_confirmer(actor=actor, grant=locked)
    user = User.objects.select_for_update().get(pk=locked.user_id)
    user.roles = sorted({*user.roles, locked.role})
    user.save(update_fields=["roles", "org_path"])
    locked.status, locked.decided_by, locked.decided_at = GrantStatus.CONFIRMED, actor, timezone.now()
    locked.save()
    if not user.needs_two_factor or _has_authenticator(user) or actor.pk == user.created_by_id:
        return None
    return _code_issue(actor=actor, user=user)


@transaction.atomic
def role_grant_refuse(*, actor: User, grant: RoleGrant) -> RoleGrant:
    """Refuse a pending grant (a second person), or withdraw it (its granter)."""
    locked = _grant_locked(grant)
    if actor.pk != locked.granted_by_id:
        role_grant_check_confirmer(actor=actor, grant=locked)
    locked.status, locked.decided_by, locked.decided_at = GrantStatus.REFUSED, actor, timezone.now()
    locked.save()
    return locked


def role_grant_record(*, user: User, role: str, granted_by: User | None, confirmed_by: User | None) -> RoleGrant:
    """For seeding only (the demo, an installation's first accounts): a grant already confirmed,
    of a role the account already holds."""
    if role not in user.roles or user.org is None:
        raise ValidationError(_("Seed the account with the role first."))
    return RoleGrant.objects.create(
        user=user,
        role=role,
        granted_by=granted_by,
        org=user.org,
        status=GrantStatus.CONFIRMED,
        decided_by=confirmed_by,
        decided_at=timezone.now(),
    )


# Enrolment codes ------------------------------------------------------------------------------


def _has_authenticator(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def enrolment_code_digest(code: str) -> str:
    """The keyed digest kept instead of the code (spaces and dashes as typed do not matter)."""
    typed = "".join(ch for ch in code if ch.isdigit())
    return salted_hmac("mutualaid.enrolment-code", typed, algorithm="sha256").hexdigest()


def _code_issue(*, actor: User | None, user: User) -> IssuedCode:
    assert user.org is not None  # noqa: S101 - approvers sit at an office
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    digits = f"{secrets.randbelow(10**10):010d}"
    expires_at = now + timedelta(days=ENROLMENT_CODE_DAYS)
    EnrolmentCode.objects.create(
        user=user, code_digest=enrolment_code_digest(digits), issued_by=actor, expires_at=expires_at, org=user.org
    )
    return IssuedCode(user=user, code=f"{digits[:5]} {digits[5:]}", expires_at=expires_at)


def enrolment_code_check_issuer(*, actor: User, user: User) -> None:
    """Refuse, saying why, anyone who may not issue `user`'s enrolment code."""
    user_require_manager(actor=actor, user=user)
    if actor.pk == user.pk:
        raise PermissionDenied(_("You cannot issue your own enrolment code: ask the office above."))
    if actor.pk == user.created_by_id:
        raise PermissionDenied(
            _(
                "You created this account and chose its first password, so someone else must issue its enrolment "
                "code: someone who manages accounts in the office above, or another one in this office."
            )
        )


@transaction.atomic
def enrolment_code_issue(*, actor: User, user: User) -> IssuedCode:
    """A new enrolment code for an approver without an authenticator (a new account whose
    confirming person created it, or after a lost phone); any earlier unused code stops working."""
    enrolment_code_check_issuer(actor=actor, user=user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.needs_two_factor:
        raise ValidationError(_("This account approves nothing, so it logs in without an authenticator."))
    if _has_authenticator(locked):
        raise ValidationError(_("This account already has an authenticator; reset it first if the phone was lost."))
    return _code_issue(actor=actor, user=locked)


def enrolment_code_issue_seeded(*, user: User) -> IssuedCode:
    """For the operator only (`manage.py issue_enrolment_code`): an installation's first approver
    has nobody above to issue theirs."""
    return _code_issue(actor=None, user=user)
