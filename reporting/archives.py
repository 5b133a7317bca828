"""Filing (立卷归档, seed 000: 对保单材料、给付资料和往来文件…按年份、险种、代办点分别立卷、编码、归档)
and the register of documents exchanged with other offices (往来文件).

A year's papers of the actor's tree are filed in volumes: the policies issued and the claims paid
per agent point (the office right above the unit) and plan, and the documents exchanged per
office. Each volume gets an archive number `<office code>-<year>-<kind>-<plan>` (BD policies, LP
claims, WL documents exchanged; plan 000 for none), a list of what it holds in filing order, and
a cover sheet. Filing again while the year runs brings the volumes up to date; once the year is
over a filed volume stays as it was filed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus
from claims.services.documents import Upload
from enrollment.models import Plan, Policy
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission
from reporting.models import ArchiveCategory, ArchiveVolume, Correspondence, LetterDirection
from reporting.rectification import encrypted_file_save

CODES = {ArchiveCategory.POLICIES: "BD", ArchiveCategory.CLAIMS: "LP", ArchiveCategory.CORRESPONDENCE: "WL"}
# Years a volume is kept (0: permanently): the papers behind the money for 30 years, letters 10.
KEEP_YEARS = {ArchiveCategory.POLICIES: 30, ArchiveCategory.CLAIMS: 30, ArchiveCategory.CORRESPONDENCE: 10}
Key = tuple[int, str, int | None]  # office, category, plan


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _collect(root: Organisation, year: int) -> dict[Key, list[dict[str, str]]]:
    """What the year holds in the tree, by archiving office, kind and plan, in filing order."""
    first, last = _year_bounds(year)
    groups: dict[Key, list[dict[str, str]]] = defaultdict(list)
    policies = (
        Policy.objects.filter(org_path__startswith=root.path, issued_at__date__gte=first, issued_at__date__lte=last)
        .select_related("org", "period")
        .order_by("issued_at", "number")
    )
    for policy in policies:
        office = policy.org.parent_id or policy.org_id
        groups[(office, ArchiveCategory.POLICIES, policy.period.plan_id)].append(
            {"number": policy.number, "date": f"{timezone.localdate(policy.issued_at)}", "title": policy.org.name}
        )
    claims = (
        Claim.objects.filter(
            org_path__startswith=root.path, status=ClaimStatus.PAID, paid_on__gte=first, paid_on__lte=last
        )
        .select_related("org", "period")
        .order_by("paid_on", "number")
    )
    for claim in claims:
        office = claim.org.parent_id or claim.org_id
        groups[(office, ArchiveCategory.CLAIMS, claim.period.plan_id)].append(
            {"number": claim.number, "date": f"{claim.paid_on}", "title": claim.org.name}
        )
    letters = Correspondence.objects.filter(org_path__startswith=root.path, dated__gte=first, dated__lte=last)
    for letter in letters.order_by("dated", "pk"):
        groups[(letter.org_id, ArchiveCategory.CORRESPONDENCE, None)].append(
            {"number": letter.reference, "date": f"{letter.dated}", "title": letter.title}
        )
    return groups


def _title(office: Organisation, year: int, category: str, plan: Plan | None) -> str:
    label = ArchiveCategory(category).label
    if plan is None:
        return _("%(office)s %(year)s %(kind)s") % {"office": office.name, "year": year, "kind": label}
    return _("%(office)s %(year)s %(plan)s %(kind)s") % {
        "office": office.name,
        "year": year,
        "plan": plan.name,
        "kind": label,
    }


@transaction.atomic
def archive_compile(*, actor: User, year: int) -> list[ArchiveVolume]:
    """File the year's papers of the actor's tree into numbered volumes (see the module)."""
    require_permission(actor, "archives.manage")
    root = actor.org
    today = dates.business_today()
    if root is None:
        raise ValidationError(_("Your account is not attached to an office."))
    if not 2000 <= year <= today.year:
        raise ValidationError({"year": _("Choose a year from 2000 to %(year)s.") % {"year": today.year}})
    with connection.cursor() as cursor:  # one filing of a tree and year at a time
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"archives:{root.path}:{year}"])
    groups = _collect(root, year)
    offices = Organisation.objects.in_bulk({office for office, _c, _p in groups})
    plans = Plan.objects.in_bulk({plan for _o, _c, plan in groups if plan is not None})
    filed = []
    for (office_id, category, plan_id), items in sorted(groups.items(), key=lambda pair: str(pair[0])):
        office = offices.get(office_id)
        if office is None:  # the office above a unit, outside the actor's tree: filed by that office
            continue
        plan = plans.get(plan_id) if plan_id is not None else None
        volume = (
            ArchiveVolume.objects.select_for_update()
            .filter(org=office, year=year, category=category, plan=plan)
            .first()
        )
        if volume is not None and year < today.year:
            filed.append(volume)
            continue
        volume = volume or ArchiveVolume(org=office, year=year, category=category, plan=plan, compiled_by=actor)
        volume.number = f"{office.code}-{year}-{CODES[ArchiveCategory(category)]}-{plan_id or 0:03d}"
        volume.title = _title(office, year, category, plan)[:200]
        volume.items = items
        volume.item_count = len(items)
        volume.first_on = date.fromisoformat(items[0]["date"])
        volume.last_on = date.fromisoformat(items[-1]["date"])
        volume.keep_years = KEEP_YEARS[ArchiveCategory(category)]
        volume.compiled_by = actor
        volume.save()
        filed.append(volume)
    if not filed:
        raise ValidationError(
            {"year": _("Nothing was issued, paid or exchanged in %(year)s in your tree.") % {"year": year}}
        )
    return filed


def archive_list() -> QuerySet[ArchiveVolume]:
    return ArchiveVolume.objects.select_related("org", "plan", "compiled_by")


# Documents exchanged ----------------------------------------------------------------------------


@transaction.atomic
def letter_register(
    *,
    actor: User,
    direction: str,
    reference: str,
    title: str,
    counterpart: str,
    dated: date,
    scans: Sequence[Upload] = (),
) -> Correspondence:
    """Register a document received from or sent to another office, with its scan if there is one."""
    require_permission(actor, "archives.manage")
    office = actor.org
    errors: dict[str, str] = {}
    if office is None:
        raise ValidationError(_("Your account is not attached to an office."))
    if direction not in LetterDirection.values:
        errors["direction"] = _("Choose whether it was received or sent.")
    if not reference.strip():
        errors["reference"] = _("Enter the document number (文号).")
    if not title.strip():
        errors["title"] = _("Enter the title.")
    if not counterpart.strip():
        errors["counterpart"] = _("Name the office it came from or went to.")
    if dated > dates.business_today():
        errors["dated"] = _("The date cannot be in the future.")
    if len(scans) > 1:
        errors["scan"] = _("Attach one scan of the document.")
    if (
        not errors
        and Correspondence.objects.filter(org=office, direction=direction, reference=reference.strip()).exists()
    ):
        errors["reference"] = _("Document %(reference)s is already registered.") % {"reference": reference.strip()}
    if errors:
        raise ValidationError(errors)
    letter = Correspondence(
        org=office,
        direction=direction,
        reference=reference.strip()[:60],
        title=title.strip()[:200],
        counterpart=counterpart.strip()[:100],
        dated=dated,
        registered_by=actor,
    )
    if scans:
        encrypted_file_save(letter, upload=scans[0], stem=f"letter-{office.pk}-{letter.reference}")
    else:
        letter.save()
    return letter


def letter_list() -> QuerySet[Correspondence]:
    return Correspondence.objects.select_related("org", "registered_by")


def cover_context(volume: ArchiveVolume) -> dict[str, Any]:
    """The volume and its items, each item's day a date (the volume keeps it as YYYY-MM-DD) for
    the sheet to write as a person reads it."""
    items = [{**item, "date": date.fromisoformat(item["date"])} for item in volume.items]
    return {"volume": volume, "items": items}


def cover_pdf(volume: ArchiveVolume) -> bytes:
    """A volume's cover sheet (案卷封面) and the list of what it holds (卷内目录), as a PDF: the
    page's download and the API's give the same file."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    context = {**cover_context(volume), "printed": timezone.localdate()}
    data: bytes = HTML(string=render_to_string("reporting/pdf/archive_cover.html", context), base_url=None).write_pdf()
    return data
