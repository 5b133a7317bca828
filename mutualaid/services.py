"""Writes to the core: creating nodes of the tree and accounts.

Services take keyword-only arguments and the acting user; they check that the target lies in
the actor's subtree, so a forged id in a form or an API body cannot write outside it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualaid.idcheck import IdError, check_credit_code
from mutualaid.models import ALLOWED_PARENT_KINDS, PATH_STEP, Organisation, OrgKind, User
from mutualaid.roles import Role, role_fits_node


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
    *, unit: Organisation, name: str, headcount: int | None, credit_code: str | None, actor: User
) -> Organisation:
    """Change a unit's name, headcount or credit code (an office's bulk import of its units), with
    the checks of `org_create`. A unit does not move: its path is on every row it owns."""
    if actor.org is None or unit.kind != OrgKind.UNIT or not _in_subtree(unit, actor.org):
        raise PermissionDenied(_("You may only change organisations inside your own office's tree."))
    unit.headcount, unit.credit_code = _unit_fields(headcount=headcount, credit_code=credit_code)
    unit.name = name.strip()
    unit.full_clean(validate_unique=False)  # the unique columns are checked by the database
    unit.save(update_fields=["name", "headcount", "credit_code"])
    return unit


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
    """Create an account at `org` holding `roles`. `actor=None` is for seeding only."""
    if actor is not None:
        if actor.org is None or not _in_subtree(org, actor.org):
            raise PermissionDenied(_("You may only create accounts inside your own office's tree."))
        if not actor.has_perm("users.manage"):
            raise PermissionDenied(_("Your roles do not allow managing accounts."))
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
    user = User(username=username.strip(), org=org, roles=sorted(set(roles)), display_name=display_name.strip())
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Disable or re-enable an account; disabling also ends its sessions at the next request."""
    if actor.org is None or user.org is None or not _in_subtree(user.org, actor.org):
        raise PermissionDenied(_("You may only manage accounts inside your own office's tree."))
    if not actor.has_perm("users.manage"):
        raise PermissionDenied(_("Your roles do not allow managing accounts."))
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot disable your own account."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.is_active = active
    locked.save(update_fields=["is_active", "org_path"])
    return locked
