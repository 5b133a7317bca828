"""The core: the organisation tree (which is the tenancy), users, their roles, the grants of the
roles that approve (confirmed by a second person) and the one-time codes that let a new approver
enrol an authenticator."""

from __future__ import annotations

from typing import Any, ClassVar

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualaid.roles import Role, needs_two_factor
from mutualaid.tenancy import NodeManager, TenantManager, TenantOwned, TenantUserManager

PATH_STEP = 6  # digits per level: "000001.000007." is node 7 under node 1


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("Provincial office")
    CITY = "city", _("City office")
    INDUSTRY = "industry", _("Industry branch")
    COUNTY = "county", _("County agent point")
    UNIT = "unit", _("Employer unit")


class UnitType(models.TextChoices):
    """The kind of employer a unit is (seed 003: 机关事业、国有企业 first, then 非公企业): a plan may be
    open to some of them only."""

    PUBLIC = "public", _("Government agency or public institution")
    STATE = "state", _("State-owned enterprise")
    PRIVATE = "private", _("Non-public enterprise")
    SOCIAL = "social", _("Social organisation")


# Which kind of node may sit under which: industries are branches beside the cities.
ALLOWED_PARENT_KINDS: dict[str, frozenset[str]] = {
    OrgKind.PROVINCE: frozenset(),
    OrgKind.CITY: frozenset({OrgKind.PROVINCE}),
    OrgKind.INDUSTRY: frozenset({OrgKind.PROVINCE}),
    OrgKind.COUNTY: frozenset({OrgKind.CITY, OrgKind.INDUSTRY}),
    OrgKind.UNIT: frozenset({OrgKind.COUNTY, OrgKind.CITY, OrgKind.INDUSTRY}),
}


@pghistory.track()
class Organisation(models.Model):
    """A node of the tree: province → city (or industry branch) → county agent point → unit.

    `path` is a materialised path of zero-padded ids, so a subtree is one prefix query on an
    index, and the same string is copied onto every tenant-owned row for scoping.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    headcount = models.PositiveIntegerField(_("staff headcount"), null=True, blank=True)
    # Units register with their unified social credit code (统一社会信用代码, GB 32100).
    credit_code = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True, unique=True)
    unit_type = models.CharField(_("type of unit"), max_length=8, choices=UnitType.choices, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NodeManager()
    # Not a column: set on the nodes `mutualaid.selectors.org_children` reads, the headcount of the
    # units of each one's subtree.
    staff: int | None

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        # `path` is unique, so Django also gives it a varchar_pattern_ops index: prefix queries use it.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, kind="province") | models.Q(parent__isnull=False),
                name="org_only_province_is_root",
            ),
            models.CheckConstraint(
                condition=models.Q(headcount__isnull=True) | models.Q(kind="unit"),
                name="org_headcount_only_for_units",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_code__isnull=False) | ~models.Q(kind="unit"),
                name="org_unit_has_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_office(self) -> bool:
        return self.kind in {OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY}

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this node, read off the path without a query."""
        return [int(step) for step in self.path.split(".") if step]


# "otp_reset" records an office head clearing someone's authenticator (mutualaid/twofactor.py).
# The second step's failure counter changes at every wrong code: not worth an audit event each.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.ManualEvent("otp_reset"),  # type: ignore[no-untyped-call] # pghistory leaves its __init__ unannotated
    exclude=["password", "last_login", "otp_failures", "otp_failed_at"],
)
class User(AbstractUser):
    """A person (or the provincial office's machine client) at one node, with roles."""

    org = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    display_name = models.CharField(_("full name"), max_length=50, blank=True)
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Who created the account chose its first password: they never issue its enrolment code.
    created_by = models.ForeignKey(
        "self", verbose_name=_("created by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Wrong second-factor codes (and enrolment codes) since the last good one, kept across password
    # logins: at AXES_FAILURE_LIMIT the second step is locked for AXES_COOLOFF_TIME after the last.
    # A database default too: rows written without the field (raw SQL, older code) start at 0.
    otp_failures = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    otp_failed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Django's authentication looks users up before any scope exists, through the default
    # manager; everything the product shows goes through `objects`, which is scoped.
    auth_objects = UserManager()
    # The stubs type the manager made here as TenantUserManager[Self], which a ClassVar may not
    # name; User has no subclasses, so it is TenantUserManager[User].
    objects: ClassVar[TenantUserManager[User]] = TenantUserManager()  # type: ignore[assignment]

    class Meta:
        default_manager_name = "auth_objects"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["org_path"], name="user_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(org__isnull=False),
                name="user_belongs_to_a_node",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.org_path = self.org.path if self.org is not None else ""
        super().save(*args, **kwargs)

    def set_password(self, raw_password: str | None) -> None:
        """Every path that sets a password (services, the change page, admin, changepassword)
        starts its age again; PasswordAgeMiddleware sends it to be changed when it is old."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def needs_two_factor(self) -> bool:
        return needs_two_factor(self.roles)

    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.roles]


class AuditNoteKind(models.TextChoices):
    REFUSED = "refused", _("Authorisation refused")
    RETENTION = "retention", _("Expired personal data anonymised")
    DISCLOSED = "disclosed", _("Full personal data handed out")


# Only insertions are recorded: the notes themselves are append-only (mutualaid/dbguard.py).
@pghistory.track(pghistory.InsertEvent())
class AuditNote(models.Model):
    """What the audit trail must hold that is not a change of a row: an authorisation refused on a
    sensitive action (revealing an ID number, reviewing a claim, approving a payment), what a
    retention run anonymised, and a document with full ID, phone or account numbers handed out
    (mutualaid/reveal.py). Written by mutualaid/audit.py, never changed or deleted."""

    kind = models.CharField(_("kind"), max_length=12, choices=AuditNoteKind.choices)
    # The office the note belongs to (the actor's node, the office a retention run was for, or the
    # owner of the record whose personal data was handed out); the audit page shows it to that
    # office and the offices above it.
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    actor = models.ForeignKey("User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    target = models.CharField(_("record"), max_length=120, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("audit note")
        verbose_name_plural = _("audit notes")
        indexes = [models.Index(fields=["org_path"], name="auditnote_subtree", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.org_path = self.org.path if self.org is not None else ""
        super().save(*args, **kwargs)


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")


@pghistory.track()
class RoleGrant(TenantOwned):
    """A role that approves (claims review, payments, member lists) given to an account. The
    account holds it only once a second person has confirmed the grant: someone who may manage
    accounts in the office above, or a second one in the same office, never the granter and never
    the grantee (mutualaid/services.py). Who granted each approver's role is also what keeps one
    person from standing behind every signature of a payment."""

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    # None: seeded by the operator (the first accounts of an installation, the demo).
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("confirmed or refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # `org` is the grantee's node: the grant is seen by its office and the offices above.

    class Meta(TenantOwned.Meta):
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(status="pending"), name="rolegrant_one_pending_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role}"


# The code itself is never kept, only its keyed digest; the trail records who issued it and when.
@pghistory.track(exclude=["code_digest"])
class EnrolmentCode(TenantOwned):
    """A one-time code without which a new approver cannot enrol an authenticator: issued to a
    second person (never the account's creator, who chose its first password), who hands it to
    the approver in person or by phone. Valid for ENROLMENT_CODE_DAYS, once."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="enrolment_codes")
    code_digest = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")
        # Django allows index names of 30 characters; the base's generated one is longer.
        indexes = [models.Index(fields=["org_path"], name="enrolcode_subtree", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.user} {self.issued_at:%Y-%m-%d}"


class NoticeTemplate(TenantOwned):
    """An office's own wording of one kind of notice (mutualaid/notices.py). An office without
    its own row uses the nearest office above that has one, or the product's default."""

    kind = models.CharField(_("kind of notice"), max_length=40)
    text = models.CharField(_("message text"), max_length=500)
    updated_by = models.ForeignKey("User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta(TenantOwned.Meta):
        constraints = [models.UniqueConstraint(fields=["org", "kind"], name="notice_template_once_per_office")]
        indexes = [models.Index(fields=["org_path"], name="notice_template_subtree", opclasses=["varchar_pattern_ops"])]


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_PHONE = "no_phone", _("No phone number")


class Notice(TenantOwned):
    """One message to one person, as rendered when it was due, and what became of it.

    `org` is the node the message is about (the member's unit, the claim's unit), so that the
    office above reads it in its subtree. The phone number and the text (which names the person)
    are encrypted; the log shows them masked. `key` makes a notice happen once: the same
    enrollment, claim step or unit and period never queues a second one.
    """

    kind = models.CharField(_("kind of notice"), max_length=40)
    key = models.CharField(max_length=120, unique=True)
    reference = models.CharField(_("reference"), max_length=60)
    recipient_masked = models.CharField(_("recipient"), max_length=60)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    phone_cipher = models.BinaryField(null=True)
    text_cipher = models.BinaryField()
    link = models.CharField(max_length=200, blank=True)  # a document that goes with it (a renewal list)
    status = models.CharField(_("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["org_path", "kind", "status"], name="notice_filter"),
        ]


# The trail's rows by their event tables' own columns (the audit page's queryset), registered here.
from mutualaid.auditmodels import AuditEvent  # noqa: E402, F401
