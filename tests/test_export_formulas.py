"""Every workbook (and csv file) the product hands out, fetched by its owner from a tree in which
every text a person typed is hostile: a name, payee, bank, office, plan, memo or reference
starting with "=", "+", "-", "@", a tab, a carriage return or a full-width sign.

- No cell of any sheet is a formula; every hostile text the export shows comes back verbatim, as a
  text cell with the quote prefix (so it stays text when someone edits it).
- The exports are found from the URL list as the isolation walk finds routes: every route is
  fetched as the office (plain, and with the query parameters that ask for a file); one that
  answers with a workbook or csv file and is not in `EXPORTS` fails the test until it is added,
  with the hostile texts it must show.
- While the exports are made, every value that reaches a cell comes from
  mutualaid/spreadsheets/write.py (tests/test_spreadsheet_writer.py checks the code itself).

The tree is built once for the module through the services, and after each step every text
field a person types (`TYPED`) is overwritten with a hostile string in the database; a text field
the product makes itself is listed in `NOT_TYPED` with its reason, and a new field must be put in
one or the other. See SECURITY.md ("Bad input": exported workbooks).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from mutualaid.spreadsheets import write
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import City
from tests.test_isolation import POLICY_DOCUMENTS, SESSION_ENDERS, _reads, _url, all_routes
from tests.test_spreadsheet_writer import HOSTILE_STARTS, as_read

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "mutualaid" / "spreadsheets" / "write.py"

# Text fields a person types (an office, an agent, a member through their unit, a bank's file).
TYPED: dict[str, tuple[str, ...]] = {
    "mutualaid.Organisation": ("name", "code"),
    "mutualaid.NoticeTemplate": ("text",),
    "enrollment.UnitContact": ("name",),
    "mutualaid.User": ("username", "first_name", "last_name", "email", "display_name"),
    "enrollment.Plan": ("name", "description"),
    "enrollment.Period": ("label",),
    "enrollment.MemberList": ("original_name", "decision_note", "withdrawal_reason"),
    "enrollment.ListRow": ("name", "remarks", "employment_status", "parent_name"),
    "enrollment.Enrollment": ("name", "cancel_reason", "parent_name"),
    "claims.OfficeDay": ("note",),
    "claims.Claim": (
        "name",
        "hospital",
        "member_category",
        "severity",
        "payee_name",
        "bank_name",
        "refused_reason",
        "reason",
        "callback_note",
    ),
    "claims.ClaimInvoice": ("number",),
    "claims.ClaimDocument": ("original_name",),
    "claims.PendingUpload": ("original_name",),
    "claims.ClaimStep": ("note",),
    "finance.JournalEntry": ("memo", "bank_reference"),
    "finance.Remittance": ("bank_reference", "overdraw_reason"),
    "finance.RemittanceSettlement": ("bank_reference", "overdraw_reason"),
    "finance.PaymentRequest": ("payee", "purpose", "meeting", "reason", "bank_reference", "overdraw_reason"),
    "finance.Allocation": ("note", "meeting", "reason", "bank_reference"),
    "finance.IncomeRecord": ("payer", "bank_reference", "note"),
    "enrollment.PeriodSubsidy": ("payer_name",),
    "finance.SubsidyMovement": ("bank_reference", "overdraw_reason"),
    "finance.Deposit": ("institution", "bank_reference", "meeting"),
    "finance.BankStatement": ("original_name",),
    "finance.BankLine": ("reference", "counterparty", "description"),
    "finance.PremiumReceipt": ("bank_reference", "reason"),
    "finance.FundStatement": ("note",),
    "reporting.Snapshot": ("reason",),
    "reporting.Proposal": ("name", "note", "adopted_meeting"),
    "claims.HospitalCheck": ("checker", "place", "findings"),
    "claims.HospitalCheckDocument": ("original_name",),
    "claims.Recheck": ("note",),
    "claims.RecheckItem": ("note",),
    "finance.Recovery": ("reason",),
    "finance.RecoveryRepayment": ("bank_reference",),
    "reporting.AuditFinding": ("title", "detail", "rectification"),
    "reporting.FindingEvidence": ("original_name",),
    "reporting.Correspondence": ("reference", "title", "counterpart", "original_name"),
}
# Overwritten last: the builders derive other values from them (usernames, invoice numbers).
LATE = {("mutualaid.Organisation", "code")}

# Text fields the product fills itself, each with the reason no person types it. Fields with
# choices and the history (event) tables are left out: a choice is the product's own label.
NOT_TYPED: dict[str, str] = {
    "*.org_path": "the owner's materialised path of ids",
    "finance.PremiumReceipt.number": "the office's code, the year and a sequence number",
    "finance.FundStatement.public_token": "a random token the product draws",
    "mutualaid.Organisation.path": "the materialised path of ids",
    "reporting.MonthFigure.parent_path": "the materialised path of the node's parent, copied by the database",
    "mutualaid.Organisation.credit_code": "checked against the national standard's check digit on input",
    "mutualaid.User.password": "a hash",
    "mutualaid.EnrolmentCode.code_digest": "a hash of the one-time enrolment code",
    "mutualaid.AuditNote.action": "the product's name of what was done",
    "mutualaid.AuditNote.target": "the product's reference to a row",
    # The audit page's rows (mutualaid/auditmodels.py): read from the event tables, never written.
    "mutualaid.AuditEvent.pgh_slug": "the event table's name and the event's number",
    "mutualaid.AuditEvent.pgh_model": "the name of an event table of the code",
    "mutualaid.AuditEvent.pgh_obj_model": "the name of a tracked model of the code",
    "mutualaid.AuditEvent.pgh_label": "a tracker's label of the code",
    "mutualaid.AuditEvent.pgh_obj_id": "a row's number",
    "mutualaid.AuditEvent.scope_path": "the record's materialised path of ids",
    "mutualaid.AuditEvent.note_kind": "the kind of an audit note, one of the product's choices",
    "mutualaid.NoticeTemplate.kind": "the code of a kind of notice an app registered",
    "mutualaid.Notice.kind": "the code of a kind of notice an app registered",
    "mutualaid.Notice.key": "the product's key",
    "mutualaid.Notice.reference": "a number the product gave (claim, policy, card)",
    "mutualaid.Notice.recipient_masked": "made from a name: its first character and stars",
    "mutualaid.Notice.phone_masked": "made from a checked phone number",
    "mutualaid.Notice.link": "an address of the product",
    "mutualaid.Notice.last_error": "the provider's message",
    "enrollment.UnitContact.phone_masked": "made from a checked phone number",
    "enrollment.MemberList.file_sha256": "a digest",
    "enrollment.CardPrintJob.selection": "the product's key of what a print job covers",
    "enrollment.ListRow.id_masked": "made from a checked ID number",
    "enrollment.ListRow.gender": "M or F, from the ID number",
    "enrollment.ApprovalWatermark.plan_kind": "the product's plan kind",
    "enrollment.Policy.number": "numbered by the product",
    "enrollment.Endorsement.number": "numbered by the product: the policy's number and a sequence",
    "enrollment.Enrollment.id_masked": "made from a checked ID number",
    "enrollment.Enrollment.gender": "M or F, from the ID number",
    "enrollment.CardPrintJob.error": "the product's message",
    "claims.Claim.number": "numbered by the product",
    "claims.Claim.id_masked": "made from a checked ID number",
    "claims.Claim.account_masked": "made from the account number",
    "claims.ClaimDocument.content_type": "sniffed from the file",
    "claims.ClaimDocument.sha256": "a digest",
    "claims.PendingUpload.content_type": "sniffed from the file",
    "claims.PendingUpload.sha256": "a digest",
    "claims.PaymentBatch.number": "numbered by the product",
    "finance.JournalEntry.number": "numbered by the product",
    "finance.JournalEntry.idempotency_key": "the product's key",
    "finance.PaymentRequest.number": "numbered by the product",
    "finance.PaymentApproval.layer": "the product's name of the approval layer",
    "finance.Allocation.number": "numbered by the product",
    "finance.IncomeRecord.number": "numbered by the product",
    "finance.Deposit.number": "numbered by the product",
    "finance.AllocationApproval.layer": "the product's name of the approval layer",
    "finance.BankStatement.sha256": "a digest",
    "reporting.Snapshot.rules_version": "the product's version of the rules",
    "reporting.Snapshot.checksum": "a digest",
    "reporting.ExportJob.title": "made from names that are checked where they are typed",
    "reporting.ExportJob.filename": "made by the product",
    "reporting.ExportJob.error": "the product's message",
    "reporting.Proposal.subsidy_kind": "one of the product's choices, checked by the service",
    "reporting.SimulationRun.error": "the product's message",
    "claims.HospitalCheckDocument.content_type": "sniffed from the file",
    "claims.HospitalCheckDocument.sha256": "a digest",
    "finance.Recovery.number": "numbered by the product",
    "finance.Recovery.reference": "the product's reference of the finding it comes from",
    "finance.RecoveryRepayment.idempotency_key": "the product's key (a form's or a client's token, never shown)",
    "reporting.FindingEvidence.content_type": "sniffed from the file",
    "reporting.FindingEvidence.sha256": "a digest",
    "reporting.Correspondence.content_type": "sniffed from the file",
    "reporting.Correspondence.sha256": "a digest",
    "reporting.ArchiveVolume.number": "made by the product from an office's code, the year and the plan's id",
    "reporting.ArchiveVolume.title": "made from names that are checked where they are typed",
}
APPS = ("mutualaid", "enrollment", "claims", "finance", "reporting")


def _text_fields() -> list[tuple[str, str]]:
    from django.apps import apps
    from django.db import models
    from pghistory.models import Event

    return [
        (model._meta.label, field.name)
        for model in apps.get_models()
        if model._meta.app_label in APPS and not issubclass(model, Event)
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.choices
    ]


def test_every_text_field_is_either_typed_by_a_person_or_made_by_the_product() -> None:
    """A new text field is made hostile in the walk below, or says why no person types it."""
    unsorted = [
        f"{label}.{name}"
        for label, name in _text_fields()
        if name not in TYPED.get(label, ()) and f"{label}.{name}" not in NOT_TYPED and f"*.{name}" not in NOT_TYPED
    ]
    assert not unsorted, "add each to TYPED or NOT_TYPED (with its reason): " + ", ".join(unsorted)
    known = set(_text_fields())
    assert all((label, name) in known for label, names in TYPED.items() for name in names)


# --- The hostile tree --------------------------------------------------------------------------


class Hostile:
    """Overwrites every typed text field in the database with a hostile string of its own, leaving
    those already hostile as they are, so that what one step copied from another (a claim's
    member name, a snapshot's office names) stays. The newest row of each field (the unit, the
    claim's payee and bank, the plan) starts with "=", the next ones with the other signs."""

    def __init__(self) -> None:
        self.count = 0

    def apply(self, *, late: bool = False) -> None:
        from django.apps import apps
        from django.db import connection

        with unscoped(), connection.cursor() as cursor:
            # The ledger and the history refuse UPDATE through their triggers (mutualaid/dbguard.py);
            # this test writes what a person could have typed into them in the first place.
            cursor.execute("SET session_replication_role = replica")
            try:
                for label, names in TYPED.items():
                    model = apps.get_model(label)
                    for name in names:
                        if (label, name) not in LATE or late:
                            self._field(model, name)
            finally:
                cursor.execute("SET session_replication_role = origin")

    def _field(self, model: Any, name: str) -> None:
        length = model._meta.get_field(name).max_length
        rows = model._default_manager.order_by("-pk").values_list("pk", name)
        for index, (pk, current) in enumerate(rows):
            if not str(current or "").startswith(HOSTILE_STARTS):
                self.count += 1
                value = f"{HOSTILE_STARTS[index % len(HOSTILE_STARTS)]}·{self.count}"
                model._default_manager.filter(pk=pk).update(**{name: value[:length]})


def _refresh(city: City) -> None:
    from django.db import models

    with unscoped():
        for value in vars(city).values():
            if isinstance(value, models.Model):
                value.refresh_from_db()


def _hostile_list(city: City) -> Any:
    """A list the unit uploads with hostile names typed as text, a formula typed as a formula,
    and ID numbers that fail, so that every row comes back to correct."""
    from openpyxl import Workbook

    from enrollment.services.member_lists import member_list_check, member_list_upload
    from enrollment.workbook.columns import COLUMNS

    book = Workbook()
    sheet = book.active
    for column, header in enumerate((c.header for c in COLUMNS), start=1):
        write.cell(sheet, 1, column, header)
    keys = [c.key for c in COLUMNS]
    for row, start in enumerate(HOSTILE_STARTS, start=2):
        values = {"seq": row - 1, "name": f"{start}名{row}", "id_number": f"{start}证{row}", "shares": 1}
        values |= {"gender": "女", "plan": city.plan.name, "basic_insurance": "是", "phone": "13900000000"}
        for key, value in values.items():
            write.cell(sheet, row, keys.index(key) + 1, value, write.COUNT)
    sheet.cell(row=2, column=keys.index("remarks") + 1).value = '=HYPERLINK("http://x","y")'  # a real formula
    agent = city.unit_agent
    with org_scope(agent.org, actor_id=agent.pk):
        member_list, _created = member_list_upload(
            actor=agent, unit=city.unit, period=city.period, data=write.save(book), filename="名单.xlsx"
        )
        return member_list_check(member_list=member_list, viewer=agent.org)


def _renewal(city: City, hostile: Hostile) -> Any:
    """The policy renewed for next year: the renewal workbook is made from the members' names."""
    from enrollment.models import Enrollment
    from enrollment.services.member_lists import renewal_list_create
    from enrollment.services.plans import period_create

    head = city.office_user
    with org_scope(head.org, actor_id=head.pk):
        period = city.period
        later = period_create(
            actor=head,
            plan=city.plan,
            label="2027年度",
            starts_on=period.ends_on + timedelta(days=1),
            ends_on=date(period.ends_on.year + 1, 12, 31),
            premium_per_share=period.premium_per_share,
            max_shares=period.max_shares,
            min_participation=period.min_participation,
        )
    hostile.apply()
    agent = city.unit_agent
    with org_scope(agent.org, actor_id=agent.pk):
        keep = set(Enrollment.objects.filter(policy=city.policy).values_list("pk", flat=True))
        later.refresh_from_db()
        member_list, _created = renewal_list_create(actor=agent, policy=city.policy, period=later, keep=keep)
    return member_list


def _export_jobs(city: City) -> list[Any]:
    """One prepared export of each kind, made from the hostile names."""
    from reporting import jobs
    from reporting.models import ExportKind

    head = city.office_user
    with org_scope(city.city, actor_id=head.pk):
        return [
            jobs.export_job_run(job=jobs.export_job_create(actor=head, kind=kind, params={"plan": city.plan.pk}))
            for kind in ExportKind.values
        ]


@dataclass
class Fixture:
    city: City
    failed_list: Any
    renewal_list: Any
    export_jobs: list[Any]
    token: str


@pytest.fixture(scope="module")
def hostile_tree(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fixture]:
    """City A of the isolation walk, enrolled, with a paid claim, its books and reports, and every
    typed text hostile; built once for the module and rolled back at its end."""
    from django.db import transaction
    from django.test import override_settings

    from config.celery import app
    from mutualaid.models import OrgKind
    from tests.conftest import _city
    from tests.factories import OrganisationFactory

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    hostile = Hostile()
    with media, django_db_blocker.unblock(), transaction.atomic():
        with unscoped():
            province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
            city = _city(province, "XA", "甲XA西安")
        steps: list[Callable[[], Any]] = [
            lambda: city.with_enrollment(100),
            city.with_claim,
            city.with_finance,
            city.with_stewardship,
            city.with_oversight,
        ]
        for step in steps:
            hostile.apply()
            _refresh(city)
            step()
        hostile.apply()
        _refresh(city)
        renewal_list = _renewal(city, hostile)
        failed_list = _hostile_list(city)
        export_jobs = _export_jobs(city)
        hostile.apply(late=True)
        _refresh(city)
        with unscoped():
            token = Token.objects.create(user=city.office_user).key
        app.conf.task_always_eager = eager
        yield Fixture(city, failed_list, renewal_list, export_jobs, token)
        transaction.set_rollback(True)


# --- The exports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetch:
    """One download: its URL, who fetches it, and the hostile texts it must show."""

    url: str
    expects: tuple[str, ...]
    as_unit: bool = False


def _unit_export(fx: Fixture) -> list[Fetch]:
    c = fx.city
    return [Fetch(reverse("unit_export"), (c.unit.name, c.unit.code, c.county.code, c.county.name))]


def _template(fx: Fixture) -> list[Fetch]:
    c = fx.city
    url = reverse("enrollment:template")
    return [Fetch(url, (c.unit.name,), as_unit=True), Fetch(f"{url}?period={c.period.pk}", (c.period.label,), True)]


def _names(policy: Any) -> tuple[str, ...]:
    with unscoped():
        return tuple(policy.enrollments.values_list("name", flat=True))


def _policy_document(fx: Fixture) -> list[Fetch]:
    c = fx.city
    expects = (c.unit.name, c.plan.name, c.period.label, *_names(c.policy))
    return [
        Fetch(reverse("enrollment:policy_document", kwargs={"policy_pk": c.policy.pk, "document": d}), expects)
        for d in POLICY_DOCUMENTS
    ]


def _typed_names() -> tuple[str, ...]:
    return tuple(f"{start}名{row}" for row, start in enumerate(HOSTILE_STARTS, start=2))


def _list_annotated(fx: Fixture) -> list[Fetch]:
    c = fx.city

    def url(member_list: Any) -> str:
        return reverse("enrollment:list_annotated", kwargs={"list_pk": member_list.pk})

    formula_as_typed = '=HYPERLINK("http://x","y")'
    return [
        Fetch(url(fx.failed_list), (*_typed_names(), formula_as_typed), as_unit=True),
        Fetch(url(fx.renewal_list), (*_names(c.policy), c.unit.name, c.plan.name), as_unit=True),
        Fetch(url(c.member_list), (), as_unit=True),
    ]


def _list_failed_rows(fx: Fixture) -> list[Fetch]:
    c = fx.city
    # The list reader trims what surrounds a name (a leading tab or line break).
    names = tuple(name.strip() for name in _typed_names())
    url = reverse("enrollment:list_failed_rows", kwargs={"list_pk": fx.failed_list.pk})
    return [Fetch(url, (*names, c.unit.name, c.period.label, c.plan.name), as_unit=True)]


def _payment_transfer(fx: Fixture) -> list[Fetch]:
    c = fx.city
    from finance.models import PaymentRequest

    with unscoped():
        claim = type(c.claim).objects.get(pk=c.claim.pk)
        payment = PaymentRequest.objects.get(claims_batch=c.batch)
    url = reverse("finance:payment_transfer", kwargs={"payment_pk": payment.pk})
    return [Fetch(url, (claim.payee_name, claim.bank_name, claim.name, c.city.name))]


def _statement(fx: Fixture) -> list[Fetch]:
    c = fx.city
    with unscoped():
        entry = type(c.entry).objects.get(pk=c.entry.pk)
        office = entry.org
    query = f"?office={office.pk}&month={entry.posted_on:%Y-%m}"
    return [
        Fetch(reverse("finance:statement_xlsx") + query, (office.name, entry.memo, entry.bank_reference)),
        Fetch(reverse("finance:statement_xlsx") + query + f"&plan={c.plan.pk}", (office.name, c.plan.name)),
    ]


def _overview(fx: Fixture) -> list[Fetch]:
    c = fx.city
    return [Fetch(reverse("reporting:overview_xlsx") + f"?office={c.city.pk}", (c.city.name, c.county.name))]


def _rankings(fx: Fixture) -> list[Fetch]:
    c = fx.city
    expects = (c.city.name, c.plan.name, c.county.name)
    return [Fetch(reverse("reporting:rankings_xlsx") + f"?office={c.city.pk}&plan={c.plan.pk}", expects)]


def _export_job(fx: Fixture) -> list[Fetch]:
    c = fx.city
    return [
        Fetch(reverse("reporting:export", kwargs={"export_pk": job.pk}) + "?download=1", (c.city.name,))
        for job in fx.export_jobs
    ]


def _api_overview(fx: Fixture) -> list[Fetch]:
    c = fx.city
    url = reverse("api_reporting_overview", kwargs={"version": "v1"})
    return [Fetch(f"{url}?office={c.city.pk}&export=xlsx", (c.city.name, c.county.name))]


def _api_rankings(fx: Fixture) -> list[Fetch]:
    c = fx.city
    url = reverse("api_reporting_rankings", kwargs={"version": "v1"})
    return [Fetch(f"{url}?office={c.city.pk}&plan={c.plan.pk}&export=xlsx", (c.city.name, c.plan.name))]


def _fresh(instance: Any) -> Any:
    with unscoped():
        return type(instance).objects.get(pk=instance.pk)


def _list_page(name: str, *texts: Callable[[Fixture], tuple[str, ...]]) -> Callable[[Fixture], list[Fetch]]:
    """A list page's download of the whole view (mutualaid/listing.py), with the texts it shows."""

    def fetches(fx: Fixture) -> list[Fetch]:
        expects = tuple(text for make in texts for text in make(fx))
        return [Fetch(reverse(name) + "?export=xlsx", expects)]

    return fetches


def _policy_members(fx: Fixture) -> list[Fetch]:
    url = reverse("enrollment:policy_detail", kwargs={"policy_pk": fx.city.policy.pk})
    return [Fetch(url + "?export=xlsx", _member_names(fx))]


def _plan_period(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.plan).name, _fresh(fx.city.period).label)


def _nothing(fx: Fixture) -> tuple[str, ...]:
    """A list whose rows the hostile tree does not make (claims on the clock or flagged): its
    header, and no formula."""
    return ()


def _unit_plan(fx: Fixture) -> tuple[str, ...]:
    c = fx.city
    return (_fresh(c.unit).name, _fresh(c.plan).name)


def _claim_texts(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.claim).name,)


def _period_texts(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.period).label,)


def _member_names(fx: Fixture) -> tuple[str, ...]:
    return _names(fx.city.policy)


def _list_names(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.member_list).original_name,)


def _city_name(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.city).name,)


def _drafter(fx: Fixture) -> tuple[str, ...]:
    """The person who drafted the city's statement to members, by the name the list shows."""
    from finance.models import FundStatement

    with unscoped():
        return tuple(
            str(s.drafted_by) for s in FundStatement.objects.filter(org=fx.city.city).select_related("drafted_by")
        )


def _payee(fx: Fixture) -> tuple[str, ...]:
    from finance.models import PaymentRequest

    with unscoped():
        return tuple(PaymentRequest.objects.filter(org=fx.city.city).values_list("payee", flat=True))


def _allocation_offices(fx: Fixture) -> tuple[str, ...]:
    """The agent point that asked and the city that allocates, as the allocations list shows them."""
    return (_fresh(fx.city.county).name, _fresh(fx.city.city).name)


def _income_payer(fx: Fixture) -> tuple[str, ...]:
    from finance.models import IncomeRecord

    with unscoped():
        return tuple(IncomeRecord.objects.filter(org=fx.city.city).values_list("payer", flat=True))


def _deposit_institution(fx: Fixture) -> tuple[str, ...]:
    from finance.models import Deposit

    with unscoped():
        return tuple(Deposit.objects.filter(org=fx.city.city).values_list("institution", flat=True))


def _incoming(fx: Fixture) -> tuple[str, ...]:
    from finance.models import Remittance

    with unscoped():
        reports = Remittance.objects.filter(to_office=fx.city.city).select_related("org")
        return tuple(text for r in reports for text in (r.org.name, r.bank_reference) if text)


def _receipt_references(fx: Fixture) -> tuple[str, ...]:
    from finance.models import PremiumReceipt

    with unscoped():
        return tuple(PremiumReceipt.objects.filter(policy=fx.city.policy).values_list("bank_reference", flat=True))


def _people(fx: Fixture) -> tuple[str, ...]:
    c = fx.city
    users = [_fresh(u) for u in (c.office_user, c.county_agent, c.unit_agent)]
    return tuple(text for u in users for text in (u.username, u.display_name))


def _nodes(fx: Fixture) -> tuple[str, ...]:
    c = fx.city
    nodes = [_fresh(n) for n in (c.city, c.county, c.unit)]
    return tuple(text for n in nodes for text in (n.name, n.code))


def _recovery_texts(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.claim).name,)


def _finding_texts(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.finding).title,)


def _volume_texts(fx: Fixture) -> tuple[str, ...]:
    return (_fresh(fx.city.volume).title,)


def _letter_texts(fx: Fixture) -> tuple[str, ...]:
    letter = _fresh(fx.city.letter)
    return (letter.reference, letter.title, letter.counterpart)


# Every route that hands out a workbook or csv file, with the downloads that show hostile texts.
EXPORTS: dict[str, Callable[[Fixture], list[Fetch]]] = {
    "unit_export": _unit_export,
    "enrollment:template": _template,
    "enrollment:policy_document": _policy_document,
    "enrollment:list_annotated": _list_annotated,
    "enrollment:list_failed_rows": _list_failed_rows,
    "finance:payment_transfer": _payment_transfer,
    "finance:statement_xlsx": _statement,
    "reporting:overview_xlsx": _overview,
    "reporting:rankings_xlsx": _rankings,
    "reporting:export": _export_job,
    "api_reporting_overview": _api_overview,
    "api_reporting_rankings": _api_rankings,
    "claims:claim_list": _list_page("claims:claim_list", _claim_texts, _unit_plan),
    "claims:batch_list": _list_page("claims:batch_list", _city_name),
    "enrollment:list_list": _list_page("enrollment:list_list", _list_names, _unit_plan, _period_texts),
    "enrollment:policy_list": _list_page("enrollment:policy_list", _unit_plan, _period_texts),
    "enrollment:member_search": _list_page("enrollment:member_search", _member_names, _unit_plan),
    "finance:payment_list": _list_page("finance:payment_list", _city_name, _payee),
    "finance:allocation_list": _list_page("finance:allocation_list", _allocation_offices),
    "finance:income_list": _list_page("finance:income_list", _income_payer),
    "finance:flow_list": _list_page("finance:flow_list", _nothing),
    "finance:deposit_list": _list_page("finance:deposit_list", _deposit_institution),
    "finance:remittance_list": _list_page("finance:remittance_list", _incoming),
    "finance:receipt_list": _list_page("finance:receipt_list", _unit_plan, _receipt_references),
    "user_list": _list_page("user_list", _people),
    # Who acted from which office, named as they are now (the hostile names); each change's values.
    "audit_list": _list_page("audit_list", _city_name),
    "grant_list": _list_page("grant_list"),
    "claims:recheck_list": _list_page("claims:recheck_list"),
    "finance:recovery_list": _list_page("finance:recovery_list", _city_name, _recovery_texts),
    "reporting:finding_list": _list_page("reporting:finding_list", _finding_texts),
    "reporting:archive_list": _list_page("reporting:archive_list", _volume_texts),
    "reporting:letter_list": _list_page("reporting:letter_list", _letter_texts),
    "org_tree": _list_page("org_tree", _nodes),
    "claims:deadlines": _list_page("claims:deadlines", _nothing),
    "claims:risk": _list_page("claims:risk", _nothing),
    "claims:nobody_can_take": _list_page("claims:nobody_can_take", _nothing),
    "claims:schedule_list": _list_page("claims:schedule_list", _plan_period),
    "enrollment:plan_list": _list_page("enrollment:plan_list", _plan_period),
    "enrollment:card_jobs": _list_page("enrollment:card_jobs", _plan_period),
    "enrollment:policy_detail": _policy_members,
    "finance:bank_list": _list_page("finance:bank_list", _nothing),
    "finance:fund_statement_list": _list_page("finance:fund_statement_list", _city_name, _drafter),
    "reporting:exports": _list_page("reporting:exports", _nothing),
    "reporting:snapshots": _list_page("reporting:snapshots", _city_name),
}
# The query parameters that ask a page or an API route for a file instead.
FILE_ASKS = ["export=xlsx", "export=csv", "format=xlsx", "format=csv", "download=1"]
ASK_KEYS = {ask.split("=", 1)[0] for ask in FILE_ASKS}


def _file_queries(fx: Fixture) -> list[str]:
    """A route as it is, and asked for a file with the choices a report needs (office, plan,
    period, policy, year), which the other routes ignore."""
    from mutualaid import dates

    c = fx.city
    year = dates.business_today().year
    choices = f"office={c.city.pk}&plan={c.plan.pk}&period={c.period.pk}&policy={c.policy.pk}&year={year}"
    return ["", f"?{choices}", *(f"?{ask}" for ask in FILE_ASKS), *(f"?{ask}&{choices}" for ask in FILE_ASKS)]


def _clients(fx: Fixture) -> tuple[Client, Client, Client]:
    office = Client(raise_request_exception=False)
    office.force_login(fx.city.office_user)
    unit = Client(raise_request_exception=False)
    unit.force_login(fx.city.unit_agent)
    api = Client(raise_request_exception=False, headers={"Authorization": f"Token {fx.token}"})
    return office, unit, api


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def _is_file(response: Any) -> bool:
    kind = response.get("Content-Type", "")
    disposition = response.get("Content-Disposition", "").lower()
    return (
        "spreadsheetml" in kind
        or "ms-excel" in kind
        or kind.startswith("text/csv")
        or any(suffix in disposition for suffix in (".xlsx", ".xls", ".csv"))
    )


def _workbook_problems(data: bytes, expects: tuple[str, ...]) -> list[str]:
    book = load_workbook(io.BytesIO(data), data_only=False)
    problems: list[str] = []
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate}"
                if cell.data_type == "f":
                    problems.append(f"{where} is a formula: {cell.value!r}")
                if not isinstance(cell.value, str):
                    continue
                texts.append(cell.value)
                if cell.value.startswith(write.RISKY_STARTS) and not cell.quotePrefix:
                    problems.append(f"{where} holds {cell.value!r} without the quote prefix")
                if cell.value.startswith("'") and cell.value[1:].startswith(write.RISKY_STARTS):
                    problems.append(f"{where} holds {cell.value!r}, changed from what was typed")
    missing = [text for text in expects if not any(as_read(text) in shown for shown in texts)]
    problems += [f"{text!r} is not shown verbatim" for text in missing]
    return problems


def _csv_problems(data: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [f"csv field {field!r} would run" for row in rows for field in row if field.startswith(write.RISKY_STARTS)]


@pytest.fixture
def writes_through_the_writer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Where values reach a cell while the test runs, other than through the writer."""
    from openpyxl.cell.cell import Cell

    bind = Cell._bind_value
    elsewhere: list[str] = []

    def watched(cell: Any, value: Any) -> None:
        if isinstance(value, Cell):  # a write-only sheet tries a written cell as a value, then takes the cell
            return bind(cell, value)
        frame = sys._getframe(1)
        while frame is not None and "openpyxl" in frame.f_code.co_filename:
            frame = frame.f_back  # type: ignore[assignment]
        source = Path(frame.f_code.co_filename) if frame is not None else None
        if source is not None and source != WRITER and ROOT in source.parents and ".venv" not in source.parts:
            elsewhere.append(f"{source.relative_to(ROOT)}:{frame.f_lineno}")
        return bind(cell, value)

    monkeypatch.setattr(Cell, "_bind_value", watched)
    return elsewhere


def test_every_export_shows_hostile_text_as_text_and_holds_no_formula(
    hostile_tree: Fixture, db: None, writes_through_the_writer: list[str]
) -> None:
    """As its owner (the office, or the unit for its template and lists), every download of
    `EXPORTS`: a workbook whose cells hold no formula and show each hostile text verbatim with
    the quote prefix (or a csv file whose fields would not run)."""
    fx = hostile_tree
    office, unit, api = _clients(fx)
    failures: list[str] = []
    for name, fetches in EXPORTS.items():
        files = 0
        for fetch in fetches(fx):
            client = api if fetch.url.startswith("/api/") else unit if fetch.as_unit else office
            response = client.get(fetch.url)
            if response.status_code != 200:
                failures.append(f"{name}: {fetch.url} answered {response.status_code}")
                continue
            if not _is_file(response):
                continue  # a PDF of the same route
            files += 1
            data = _content(response)
            kind = response.get("Content-Type", "")
            found = _csv_problems(data) if kind.startswith("text/csv") else _workbook_problems(data, fetch.expects)
            failures += [f"{name}: {fetch.url}: {problem}" for problem in found]
        if not files:
            failures.append(f"{name}: no workbook came back: update its downloads in EXPORTS")
    assert not failures, "\n".join(failures)
    assert not writes_through_the_writer, "cells written outside mutualaid.spreadsheets.write: " + ", ".join(
        sorted(set(writes_through_the_writer))
    )


def test_a_route_that_hands_out_a_workbook_is_in_the_walk(hostile_tree: Fixture, db: None) -> None:
    """Every route of the URL list, fetched as the office and as the unit, plain and with the
    query parameters that ask for a file: one that answers with a workbook or csv file must be
    in `EXPORTS`, so a new export is walked with hostile texts as soon as it exists."""
    fx = hostile_tree
    office, unit, api = _clients(fx)
    found: set[str] = set()
    queries = _file_queries(fx)
    for route in all_routes():
        if route.name in SESSION_ENDERS:
            continue  # login, logout, password change: no file, and they end the session
        urls = [_url(route, fx.city)]
        if route.name == "enrollment:policy_document":
            urls = [
                reverse(route.name, kwargs={"policy_pk": fx.city.policy.pk, "document": d}) for d in POLICY_DOCUMENTS
            ]
        for url in urls:
            clients = [api] if url.startswith("/api/") else [office, unit]
            for client in clients:
                # Plain and with the report's choices, noting which query keys the view reads;
                # then asked for a file only in the ways the view listens to.
                with _reads() as read:
                    for query in queries[:2]:
                        if _is_file(client.get(url + query)):
                            found.add(route.name)
                for query in queries[2:]:
                    asks = {part.split("=", 1)[0] for part in query.lstrip("?").split("&")}
                    if asks & read & ASK_KEYS and _is_file(client.get(url + query)):
                        found.add(route.name)
    unknown = sorted(found - set(EXPORTS))
    assert not unknown, f"these routes hand out workbooks: add them to EXPORTS with what they show: {unknown}"
    assert {"finance:payment_transfer", "enrollment:list_annotated", "reporting:rankings_xlsx"} <= found
