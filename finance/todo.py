"""What waits in finance for the person on the home page (registered with mutualaid.todo)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from finance.models import (
    APPROVAL_LAYERS,
    Remittance,
    RemittanceStatus,
)
from finance.rules import MONEY_OFFICES, own_remittance_due_date
from finance.selectors.allocations import allocation_queue
from finance.selectors.deposits import deposit_due_list
from finance.selectors.payments import payment_queue_mine
from finance.selectors.remittances import remittance_premium_due, remittance_warning_list
from mutualaid import dates
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.numbers import date_text, month_text
from mutualaid.todo import Todo


def payments_todo(user: User) -> list[Todo]:
    """The office's pending payments whose next layer is one the user signs, that the user
    neither prepared nor signed already (as finance.services.payments.payment_approve checks).
    The layers are signed in order, so a payment with n signatures waits for layer n. One query."""
    if user.org_id is None or not any(user.has_perm(perm) for _name, perm in APPROVAL_LAYERS):
        return []
    count = payment_queue_mine(actor=user).count()
    url = reverse("finance:payment_list") + "?" + urlencode({"queue": "mine"})
    return [Todo("money", _("Payments waiting for your approval"), count, url)]


def remittances_todo(user: User) -> list[Todo]:
    """The office's own premium remittance for last month while it is not sent (due by the 25th,
    late after): its report to draft (none yet, while the month has premium to remit) or its
    drafted report to remit, each counting what the part of the page it opens shows; the reports
    from below to confirm as received, and the offices below that hold premium back (missing,
    late or short reports: remittance_warning_list, three queries)."""
    office = user.org
    if office is None or office.kind not in MONEY_OFFICES or not user.has_perm("finance.view"):
        return []
    url = reverse("finance:remittance_list")
    found = []
    if user.has_perm("finance.remit") and office.parent_id is not None:
        found += _own_remittance_todo(office, url)
    if user.has_perm("finance.post"):
        incoming = Remittance.objects.filter(to_office=office, status=RemittanceStatus.REMITTED).count()
        found.append(
            Todo(
                "money",
                _("Remittances from below to confirm as received"),
                incoming,
                f"{url}?{urlencode({'status': RemittanceStatus.REMITTED})}",
            )
        )
    if office.kind != OrgKind.COUNTY:  # a county has no money-holding office below
        # Money booked below since a report is news, not a report missing, late or short: left out.
        late_below = len(remittance_warning_list(office=office, levels_since=False))
        found.append(
            Todo(
                "money",
                _("Remittances missing, late or short below you"),
                late_below,
                f"{url}#remittance-warnings",
                urgent=True,
            )
        )
    return found


def _own_remittance_todo(office: Organisation, url: str) -> list[Todo]:
    """Last month's own report: to draft (the list page shows the month and its button) while
    there is none, to remit while it is drafted; two queries at most."""
    month = dates.last_month()
    due_on = own_remittance_due_date(month, office=office)
    report = Remittance.objects.filter(org=office, month=month).only("status").first()
    to_draft = report is None and remittance_premium_due(office=office, month=month) > 0
    to_send = report is not None and report.status == RemittanceStatus.DRAFT
    late = (to_draft or to_send) and dates.business_today() > due_on
    note = _("%(month)s, due by %(day)s") % {"month": month_text(month), "day": date_text(due_on)}
    return [
        Todo("money", _("Remittance report to draft"), int(to_draft), f"{url}#own-report", urgent=late, note=note),
        Todo(
            "money",
            _("Your premium remittance to send"),
            int(to_send),
            f"{url}#own-reports",
            urgent=late,
            note=note,
        ),
    ]


def allocations_todo(user: User) -> list[Todo]:
    """Allocations asked of the user's office whose next layer the user signs (not asked for by
    the user, not signed by them already), approved ones to transfer, and transferred ones the
    user's office is to confirm as received; each opens the list filtered to exactly those."""
    if user.org_id is None or not user.has_perm("finance.view"):
        return []
    url = reverse("finance:allocation_list")
    found = []
    if any(user.has_perm(perm) for _name, perm in APPROVAL_LAYERS):
        waiting = allocation_queue(user=user, queue="sign").count()
        found.append(Todo("money", _("Allocations waiting for your approval"), waiting, url + "?queue=sign"))
    if user.has_perm("finance.post"):
        to_send = allocation_queue(user=user, queue="send").count()
        found.append(Todo("money", _("Approved allocations to transfer"), to_send, url + "?queue=send"))
    if user.has_perm("finance.remit"):
        to_receive = allocation_queue(user=user, queue="receive").count()
        found.append(
            Todo("money", _("Allocations in transit to confirm as received"), to_receive, url + "?queue=receive")
        )
    return found


def deposits_todo(user: User) -> list[Todo]:
    """The office's deposits and bonds maturing within a month, urgent once one has matured and
    its money is not yet booked back (one query)."""
    office = user.org
    if office is None or office.kind not in MONEY_OFFICES or not user.has_perm("finance.post"):
        return []
    due = list(deposit_due_list(office=office).values_list("matures_on", flat=True))
    today = dates.business_today()
    return [
        Todo(
            "money",
            _("Deposits and bonds maturing within a month"),
            len(due),
            reverse("finance:deposit_list") + "?" + urlencode({"due": "soon"}),
            urgent=any(day <= today for day in due),
        )
    ]
