"""Enrollment's notices: the confirmation each member receives once their list is approved, and
the renewal notice (续保通知) a unit's contact receives N days before its period ends, with the
PDF of the members to renew. Their kinds are registered with the core (enrollment/apps.py); the
core keeps the wording, the log and the retries (mutualaid/notices.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.cardrender import html_pdf
from enrollment.documents import card_number
from enrollment.models import Enrollment, EnrollmentStatus, MemberList, Policy, RenewalSettings, UnitContact
from mutualaid import idcheck, notices, noticesend, pii
from mutualaid.models import Notice, Organisation, OrgKind, User
from mutualaid.notices import Draft, NoticeKind, Placeholder
from mutualaid.numbers import date_text
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission

CHUNK = 1000  # members rendered and logged at a time: a list of 100,000 never sits in memory whole

KINDS = (
    NoticeKind(
        code="enrollment_confirmed",
        label=gettext_lazy("Enrollment confirmed"),
        recipient=gettext_lazy("the member"),
        default=gettext_lazy(
            "[Workers' mutual aid] {name}, you are covered by {plan} through {unit}, {shares} share(s), "
            "from {starts_on} to {ends_on}. Card number {card}."
        ),
        placeholders=(
            Placeholder("name", gettext_lazy("the member's name"), "张三"),
            Placeholder("unit", gettext_lazy("the unit"), "西安机械厂工会"),
            Placeholder("plan", gettext_lazy("the plan"), "职工住院互助保障"),
            Placeholder("shares", gettext_lazy("the shares"), "2"),
            Placeholder("starts_on", gettext_lazy("covered from"), "2026年1月1日"),
            Placeholder("ends_on", gettext_lazy("covered until"), "2026年12月31日"),
            Placeholder("card", gettext_lazy("the member card number"), "XA2026000001-00001"),
        ),
        order=20,
    ),
    NoticeKind(
        code="renewal_notice",
        label=gettext_lazy("Renewal notice"),
        recipient=gettext_lazy("the unit's contact"),
        default=gettext_lazy(
            "[Workers' mutual aid] {unit}: policy {policy} ({plan}) ends on {ends_on}, in {days} days. "
            "{count} members are to renew; the list is ready for your agent to download from {office}."
        ),
        placeholders=(
            Placeholder("unit", gettext_lazy("the unit"), "西安机械厂工会"),
            Placeholder("policy", gettext_lazy("the policy number"), "XA2026000001"),
            Placeholder("plan", gettext_lazy("the plan"), "职工住院互助保障"),
            Placeholder("ends_on", gettext_lazy("the last day of cover"), "2026年12月31日"),
            Placeholder("days", gettext_lazy("days left"), "30"),
            Placeholder("count", gettext_lazy("members to renew"), "24"),
            Placeholder("office", gettext_lazy("the office that sends it"), "西安市代办处"),
        ),
        order=21,
    ),
)


def _confirmation(e: Enrollment) -> Draft:
    return Draft(
        kind="enrollment_confirmed",
        key=f"enrollment_confirmed:{e.pk}",
        org=e.org,
        reference=card_number(e.policy.number, e.number or 0),
        name=e.name,
        phone_cipher=bytes(e.phone_cipher) if e.phone_cipher else None,
        values={
            "name": e.name,
            "unit": e.org.name,
            "plan": e.period.plan.name,
            "shares": e.shares,
            "starts_on": date_text(e.starts_on),  # as a person reads a date: 2026年1月1日
            "ends_on": date_text(e.ends_on),
            "card": card_number(e.policy.number, e.number or 0),
        },
    )


def list_notify_enrolled(*, member_list: MemberList, office: Organisation) -> int:
    """Confirm their cover to the members an approved list stored: logged a thousand at a time,
    sent by delivery tasks of a few hundred each. Run again (a retry, the event seen twice), it
    logs and sends nothing twice. Returns how many were logged to send."""
    rows = (
        Enrollment.objects.filter(member_list=member_list, status=EnrollmentStatus.ACTIVE)
        .select_related("org", "policy", "period__plan")
        .order_by("pk")
    )
    queued = 0
    batch: list[Draft] = []
    for enrollment in rows.iterator(chunk_size=CHUNK):
        batch.append(_confirmation(enrollment))
        if len(batch) == CHUNK:
            queued += _queue(batch, office)
            batch = []
    return queued + _queue(batch, office)


def _queue(drafts: list[Draft], office: Organisation) -> int:
    ids = notices.notices_prepare(drafts)
    noticesend.deliver_after_commit(office_id=office.pk, notice_ids=ids)
    return len(ids)


# --- renewal ---------------------------------------------------------------------------------


def renewal_members(*, policy: Policy) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE)
        .select_related("policy")
        .order_by("number")
    )


def renewal_pdf(*, policy: Policy) -> bytes:
    """The renewal notice on paper: the unit, the policy and its end, and the members to renew."""
    members = renewal_members(policy=policy)
    return html_pdf(
        render_to_string(
            "enrollment/pdf/renewal_notice.html",
            {
                "policy": policy,
                "members": [(card_number(policy.number, m.number or 0), m) for m in members],
                "office": policy.issued_by_office,
                "printed": timezone.localdate(),
            },
        )
    )


def renewal_due(*, office: Organisation, today: date) -> list[Policy]:
    """The office's policies whose period ends within its notice days from today, but for units
    that have already renewed (a policy of the same plan starting after this one)."""
    days = office_settings(RenewalSettings, office).days_before
    renewed = Policy.objects.filter(
        org=OuterRef("org"), period__plan=OuterRef("period__plan"), starts_on__gt=OuterRef("starts_on")
    )
    return list(
        Policy.objects.filter(issued_by_office=office, ends_on__gte=today, ends_on__lte=today + timedelta(days=days))
        .exclude(Exists(renewed))
        .select_related("org", "period__plan", "issued_by_office")
        .order_by("ends_on", "number")
    )


def renewal_notices_send(*, office: Organisation, today: date) -> int:
    """Send each unit whose period ends within the office's notice days its renewal notice, once
    per unit and period (the notice's key): beat runs this daily, and a second run the same day,
    or the next days, sends nothing again. Returns how many notices were logged to send."""
    drafts = []
    for policy in renewal_due(office=office, today=today):
        contact = UnitContact.objects.filter(org=policy.org).first()
        drafts.append(
            Draft(
                kind="renewal_notice",
                key=f"renewal_notice:{policy.org_id}:{policy.period_id}",
                org=policy.org,
                reference=policy.number,
                name=contact.name if contact else policy.org.name,
                phone_cipher=bytes(contact.phone_cipher) if contact else None,
                link=reverse("enrollment:policy_document", kwargs={"policy_pk": policy.pk, "document": "renewal.pdf"}),
                values={
                    "unit": policy.org.name,
                    "policy": policy.number,
                    "plan": policy.period.plan.name,
                    "ends_on": date_text(policy.ends_on),
                    "days": (policy.ends_on - today).days,
                    "count": Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE).count(),
                    "office": office.name,
                },
            )
        )
    return _queue(drafts, office)


@transaction.atomic
def renewal_settings_save(*, actor: User, days_before: int) -> RenewalSettings:
    require_permission(actor, "notices.manage")
    office = actor.org
    if office is None or not office.is_office:
        raise ValidationError(_("Only an office keeps renewal notice settings."))
    row = RenewalSettings.objects.filter(org=office).first() or RenewalSettings(org=office)
    row.days_before = days_before
    row.full_clean(exclude=["org"])
    row.save()
    return row


@transaction.atomic
def unit_contact_save(*, actor: User, unit: Organisation, name: str, phone: str) -> UnitContact:
    """Who at a unit receives its notices; the phone is checked and kept encrypted."""
    require_permission(actor, "notices.manage")
    if actor.org is None or not unit.path.startswith(actor.org.path):
        raise PermissionDenied(_("%(name)s is not in your office's tree.") % {"name": unit.name})
    if unit.kind != OrgKind.UNIT:
        raise ValidationError(_("%(name)s is not a unit: contacts are kept for units.") % {"name": unit.name})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Write the contact person's name for %(unit)s.") % {"unit": unit.name}})
    try:
        number = idcheck.normalise_phone(phone)
    except idcheck.IdError as error:
        raise ValidationError(
            {"phone": _("Phone of %(unit)s: %(problem)s") % {"unit": unit.name, "problem": error.message}}
        ) from error
    row = UnitContact.objects.filter(org=unit).first() or UnitContact(org=unit)
    row.name, row.phone_cipher, row.phone_masked, row.updated_by = (
        name[:50],
        pii.encrypt(number),
        pii.mask_phone(number),
        actor,
    )
    row.save()
    return row


def renewal_phones(waiting: Sequence[Notice]) -> dict[int, tuple[str, bytes]]:
    """Renewal notices that found no contact: the unit's contact, where one has been added since
    (on the unit's page or the renewal notices page)."""
    contacts = {c.org_id: c for c in UnitContact.objects.filter(org_id__in={n.org_id for n in waiting})}
    return {
        n.pk: (contacts[n.org_id].name, bytes(contacts[n.org_id].phone_cipher)) for n in waiting if n.org_id in contacts
    }


def enrolled_phones(waiting: Sequence[Notice]) -> dict[int, tuple[str, bytes]]:
    """Enrollment confirmations that found no phone number: the member's, where it has one now."""
    ids = {int(n.key.rsplit(":", 1)[1]): n.pk for n in waiting if n.key.rsplit(":", 1)[-1].isdigit()}
    members = Enrollment.objects.filter(pk__in=ids, phone_cipher__isnull=False).values_list(
        "pk", "name", "phone_cipher"
    )
    return {ids[pk]: (name, bytes(cipher)) for pk, name, cipher in members if cipher is not None}
