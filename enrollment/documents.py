"""Printed documents of a policy: member cards (保障卡, rendered by `cardrender`), the application
form (投保单) and the member list, as PDF (WeasyPrint) and xlsx (through
`mutualaid.spreadsheets.write`: members' names are text, never formulas)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from enrollment.cardrender import Card, cards_pdf, html_pdf
from enrollment.models import Endorsement, Enrollment, EnrollmentStatus, Policy
from mutualaid.paperwork import report_signatures
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import COUNT, MONEY


def card_number(policy_number: str, member_number: int) -> str:
    """A member card's number: the policy's number and the member's number on it, which is
    theirs alone on the policy and never given again (README, "Member numbers")."""
    return f"{policy_number}-{member_number:05d}"


def cards_for(enrollments: Iterable[Enrollment]) -> Iterator[Card]:
    for e in enrollments:
        yield Card(
            number=card_number(e.policy.number, e.number or 0),
            name=e.name,
            id_masked=e.id_masked,
            plan=e.period.plan.name,
            shares=e.shares,
            period=e.period.label,
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            unit=e.org.name,
        )


# The most members whose cards a policy's page draws while the person waits: drawn in the request
# on one core, a policy of 500 took 4-8 s (the bench's province); a larger unit's cards are printed
# by a card job (enrollment/services/cards.py), both cores, with its progress on the jobs page.
CARDS_IN_PAGE = 300


def policy_cards_pdf(policy: Policy) -> bytes:
    """The cards of the policy's active members, signed by the office that issued it."""
    members = (
        Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE)
        .select_related("policy", "period__plan", "org")
        .order_by("number")
    )
    return cards_pdf(cards_for(members), office=policy.issued_by_office.name)


def application_form_pdf(policy: Policy) -> bytes:
    return html_pdf(
        render_to_string(
            "enrollment/pdf/application_form.html",
            {"policy": policy, "unit": policy.org, "period": policy.period, "printed": timezone.localdate()},
        )
    )


# The most members whose list (一览表) is drawn while the person waits (one core, quiet: 500 rows
# 3.8 s, 1,000 rows 9.6 s, 4,000 rows 33 s). A larger policy's list is a print job
# (enrollment/services/cards.py): a unit of 10,000 would outlast the web server's timeout.
MEMBER_LIST_IN_PAGE = 500


def member_list_pdf(policy: Policy) -> bytes:
    return html_pdf(member_list_html(policy))


def member_list_html(policy: Policy) -> str:
    """一览表 of the policy's members, signed at its foot: filled in by whoever sent the unit's
    first list, reviewed by whoever approved it and issued the policy; the person in charge signs."""
    # Each member with the number of the endorsement it came with (none for the policy's own list).
    endorsed = Endorsement.objects.filter(policy=policy, member_list_id=OuterRef("member_list_id")).values("number")
    members = Enrollment.objects.filter(policy=policy).annotate(endorsement=Subquery(endorsed)).order_by("number")
    first_list = policy.lists.select_related("uploaded_by").order_by("created_at", "pk").first()
    return render_to_string(
        "enrollment/pdf/member_list.html",
        {
            "policy": policy,
            "members": members,
            "printed": timezone.localdate(),
            "signatures": report_signatures(
                filled_by=first_list.uploaded_by if first_list else None, reviewed_by=policy.issued_by
            ),
        },
    )


def member_list_xlsx(policy: Policy) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Members"))
    title = f"{policy.org.name} · {policy.period.plan.name} · {policy.period.label} · {policy.number}"
    sheet.append([write.streamed(sheet, title)])
    headers = [
        _("Member No."),
        _("Full name"),
        _("ID number"),
        _("Gender"),
        _("Shares"),
        _("Premium"),
        _("Coverage"),
        _("Status"),
    ]
    sheet.append([write.streamed(sheet, header) for header in headers])
    formats = (COUNT, None, None, None, COUNT, MONEY, None, None)
    for e in Enrollment.objects.filter(policy=policy).order_by("number").iterator(chunk_size=2000):
        values = (
            e.number,
            e.name,
            e.id_masked,
            _("Male") if e.gender == "M" else _("Female"),
            e.shares,
            e.premium,
            f"{e.starts_on:%Y-%m-%d} — {e.ends_on:%Y-%m-%d}",
            e.get_status_display(),
        )
        sheet.append([write.streamed(sheet, v, f) for v, f in zip(values, formats, strict=True)])
    return write.save(book)
