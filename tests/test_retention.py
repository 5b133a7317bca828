"""Retention: what has passed its period is anonymised in place, once, office by office; what has
not is left alone; the ledger and every report read the same figures afterwards."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Events

from claims.models import Claim, ClaimDocument
from enrollment.models import CardPrintJob, Enrollment, ListRow, MemberList
from finance.models import JournalEntry, JournalLine
from mutualaid import pii
from mutualaid.models import AuditNote, AuditNoteKind
from mutualaid.retention import check_retention_settings, months_before, retention_apply
from mutualaid.tasks import retention_all, retention_office
from mutualaid.tenancy import ScopeError, org_scope, unscoped
from reporting.models import ExportJob
from reporting.overview import overview
from tests.conftest import City, Tree

TODAY = date(2026, 11, 28)
ACCOUNT = "6222020200112233445"


@pytest.fixture
def expired(enrolled_tree: Tree) -> Tree:
    """In each city: the first member's coverage ended six years ago, the claim was paid eleven
    years ago, the list was approved four months ago, the export and the cards are six weeks old.
    A checked row of the list was left behind. The second member is still covered."""
    long_ago = timezone.now() - timedelta(days=120)
    with unscoped():
        for city in (enrolled_tree.a, enrolled_tree.b):
            Enrollment.objects.filter(pk=city.enrollment.pk).update(ends_on=date(2020, 6, 30))
            Claim.objects.filter(pk=city.claim.pk).update(paid_on=date(2015, 3, 1))
            MemberList.objects.filter(pk=city.member_list.pk).update(decided_at=long_ago)
            ExportJob.objects.filter(pk=city.export_job.pk).update(finished_at=timezone.now() - timedelta(days=42))
            CardPrintJob.objects.filter(pk=city.card_job.pk).update(created_at=timezone.now() - timedelta(days=42))
            # Decisions delete a list's checked rows; one left behind (a decision cut off half-way)
            # is deleted by retention.
            member = city.members[0]
            ListRow.objects.create(
                org=city.unit,
                member_list=city.member_list,
                row_number=99,
                ok=True,
                name=member["name"],
                id_cipher=pii.encrypt(member["id_number"]),
                id_hash=pii.blind_index(member["id_number"]),
            )
    return enrolled_tree


def _run(city: City, **kwargs: Any) -> dict[str, int]:
    with org_scope(city.city):
        return retention_apply(office=city.city, today=TODAY, **kwargs)


def _files(city: City) -> list[str]:
    with unscoped():
        return [
            *ClaimDocument.objects.filter(claim=city.claim).values_list("file", flat=True),
            MemberList.objects.get(pk=city.member_list.pk).file.name,
            ExportJob.objects.get(pk=city.export_job.pk).file.name,
            CardPrintJob.objects.get(pk=city.card_job.pk).file.name,
        ]


def _raw(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _ledger() -> list[tuple[Any, ...]]:
    with unscoped():
        entries = list(JournalEntry.objects.order_by("pk").values_list())
        lines = list(JournalLine.objects.order_by("pk").values_list())
    return entries + lines


def test_expired_personal_data_is_anonymised_and_the_rest_is_untouched(expired: Tree) -> None:
    a = expired.a
    gone, kept = a.members[0], a.members[1]
    with unscoped():
        second = a.policy.enrollments.order_by("number")[1]
        second_before = Enrollment.objects.filter(pk=second.pk).values().get()

    counts = _run(a)

    assert counts == {
        "enrollments": 1,
        "member_list_files": 1,
        "member_list_rows": 1,
        "card_files": 1,
        "claims": 1,
        "claim_documents": counts["claim_documents"],
        "export_files": 1,
        "claim_pending_scans": 0,
        "hospital_check_scans": 0,
        "hospital_check_findings": 0,
        "notices": 0,  # the notices of this tree were sent today
    }
    assert counts["claim_documents"] >= 1
    with unscoped():
        first = Enrollment.objects.get(pk=a.enrollment.pk)
        claim = Claim.objects.get(pk=a.claim.pk)
        assert Enrollment.objects.filter(pk=second.pk).values().get() == second_before
        assert not ListRow.objects.filter(member_list=a.member_list).exists()
    assert first.name == claim.name == claim.payee_name == "（已匿名）"
    assert bytes(first.id_cipher) == b"" and first.phone_cipher is None and first.id_masked == ""
    assert bytes(first.id_hash) != pii.blind_index(gone["id_number"])
    assert (first.gender, first.birth_date, first.premium, first.shares) != ("", None, None, None)
    assert bytes(claim.diagnosis_cipher) == b"" and bytes(claim.account_cipher) == b"" and claim.account_masked == ""
    assert claim.payout > 0 and claim.paid_on == date(2015, 3, 1)
    assert kept["name"] in second_before["name"]


def test_the_raw_columns_hold_no_plaintext_afterwards(expired: Tree) -> None:
    a = expired.a
    member = a.members[0]
    _run(a)
    enrollment_row = _raw("enrollment_enrollment", a.enrollment.pk)
    claim_row = _raw("claims_claim", a.claim.pk)
    for secret in (member["name"], member["id_number"], member["id_number"][-8:], member["phone"]):
        assert secret not in enrollment_row
        assert secret not in claim_row
    for secret in ("肺炎", ACCOUNT, ACCOUNT[-4:], "收款人"):
        assert secret not in claim_row


def test_the_encrypted_files_are_deleted_from_storage(expired: Tree) -> None:
    before = [name for name in _files(expired.a) if name]
    assert len(before) >= 4 and all(default_storage.exists(name) for name in before)
    _run(expired.a)
    assert not any(default_storage.exists(name) for name in before)
    assert _files(expired.a) == [""] * len(before)


def test_the_ledger_and_the_overview_read_the_same_afterwards(expired: Tree) -> None:
    a = expired.a
    months = [date(2026, 11, 1), date(2015, 3, 1), timezone.localdate().replace(day=1)]
    with org_scope(expired.province):
        figures_before = [overview(node=node, month=m) for node in (expired.province, a.city) for m in months]
    ledger_before = _ledger()
    assert ledger_before

    _run(a)

    with org_scope(expired.province):
        assert [overview(node=node, month=m) for node in (expired.province, a.city) for m in months] == figures_before
    assert _ledger() == ledger_before


def test_a_second_run_changes_nothing(expired: Tree) -> None:
    a = expired.a
    first = _run(a)
    with unscoped():
        events, notes = Events.objects.count(), AuditNote.objects.count()
        enrollments = list(Enrollment.objects.order_by("pk").values_list())
        claims = list(Claim.objects.order_by("pk").values_list())

    assert _run(a) == dict.fromkeys(first, 0)

    with unscoped():
        assert (Events.objects.count(), AuditNote.objects.count()) == (events, notes)
        assert list(Enrollment.objects.order_by("pk").values_list()) == enrollments
        assert list(Claim.objects.order_by("pk").values_list()) == claims


def test_the_run_is_recorded_with_its_counts_in_the_audit_trail(expired: Tree) -> None:
    counts = _run(expired.a)
    with unscoped():
        note = AuditNote.objects.get(kind=AuditNoteKind.RETENTION)
    assert note.org == expired.a.city and note.detail == {"counts": counts}
    with org_scope(expired.a.city):
        from mutualaid.audit import audit_event_list

        assert any(row.model == "审计记录" and row.object_label == "" for row in audit_event_list())


def test_a_dry_run_counts_and_changes_nothing(expired: Tree) -> None:
    counts = _run(expired.a, dry_run=True)
    assert counts["enrollments"] == 1 and counts["claims"] == 1
    with unscoped():
        assert Enrollment.objects.get(pk=expired.a.enrollment.pk).name == expired.a.members[0]["name"]
        assert not AuditNote.objects.filter(kind=AuditNoteKind.RETENTION).exists()


def test_nothing_expires_before_its_time(enrolled_tree: Tree) -> None:
    assert set(_run(enrolled_tree.a).values()) == {0}


def test_each_office_runs_in_its_own_scope_and_leaves_the_others(expired: Tree) -> None:
    retention_office(org_id=expired.a.city.pk)
    with unscoped():
        assert Enrollment.objects.get(pk=expired.a.enrollment.pk).name == "（已匿名）"
        assert Enrollment.objects.get(pk=expired.b.enrollment.pk).name == expired.b.members[0]["name"]
    # The province's own run leaves its cities' subtrees to their runs.
    with org_scope(expired.province):
        assert set(retention_apply(office=expired.province, today=TODAY).values()) == {0}
    with pytest.raises(ScopeError):
        retention_office()


def test_the_nightly_job_starts_one_run_per_office(expired: Tree) -> None:
    assert retention_all() == 3
    with unscoped():
        names = set(
            Enrollment.objects.filter(pk__in=[expired.a.enrollment.pk, expired.b.enrollment.pk]).values_list(
                "name", flat=True
            )
        )
    assert names == {"（已匿名）"}


def test_the_command_shows_counts_on_a_dry_run(expired: Tree) -> None:
    out = StringIO()
    call_command("apply_retention", "--dry-run", "--today", TODAY.isoformat(), stdout=out)
    assert "enrollments\texpired\t2" in out.getvalue()
    with unscoped():
        assert Enrollment.objects.get(pk=expired.a.enrollment.pk).name == expired.a.members[0]["name"]


@pytest.mark.parametrize(("months", "refused"), [(5, True), (1, True), (6, False), (360, False)])
def test_an_audit_retention_below_six_months_is_refused(months: int, refused: bool) -> None:
    with override_settings(RETENTION_AUDIT_MONTHS=months):
        errors = check_retention_settings()
    assert ("mutualaid.E102" in [e.id for e in errors]) is refused


def test_a_period_that_is_not_a_positive_number_is_refused() -> None:
    with override_settings(RETENTION_CLAIM_YEARS=0):
        assert [e.id for e in check_retention_settings()] == ["mutualaid.E101"]


def test_months_are_calendar_months() -> None:
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_the_job_is_scheduled_every_night(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == "mutualaid.retention_all"
    assert entry["schedule"].hour == {3}


def test_the_pages_of_anonymised_records_still_open(expired: Tree, client: Client) -> None:
    a = expired.a
    _run(a)
    client.force_login(a.office_user)
    claim = client.get(reverse("claims:claim_detail", kwargs={"claim_pk": a.claim.pk}))
    member = client.get(reverse("enrollment:member", kwargs={"enrollment_pk": a.enrollment.pk}))
    assert claim.status_code == member.status_code == 200
    assert "（已匿名）" in claim.content.decode() and "（已匿名）" in member.content.decode()
    scan = reverse("claims:claim_document", kwargs={"claim_pk": a.claim.pk, "document_pk": a.document.pk})
    assert client.get(scan).status_code == 404


def test_a_notice_keeps_its_log_row_but_not_its_phone_and_text_after_six_months(expired: Tree) -> None:
    from claims.notices import notice_claim_decided, notice_claims_paid
    from mutualaid.models import Notice, NoticeStatus

    a = expired.a
    with unscoped():
        claim = Claim.objects.select_related("enrollment").get(pk=a.claim.pk)
        [sent] = notice_claims_paid(claims=[claim])
        Notice.objects.filter(pk=sent).update(status=NoticeStatus.SENT)
        [pending] = notice_claim_decided(claim=claim, action="return")
        old, waiting = Notice.objects.get(pk=sent), Notice.objects.get(pk=pending)
        Notice.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
        Notice.objects.filter(pk=waiting.pk).update(
            created_at=timezone.now() - timedelta(days=400), status=NoticeStatus.PENDING
        )
    assert _run(a)["notices"] == 1
    with unscoped():
        old = Notice.objects.get(pk=old.pk)
        waiting = Notice.objects.get(pk=waiting.pk)
    assert bytes(old.text_cipher) == b"" and old.phone_cipher is None
    assert old.recipient_masked and old.reference and old.status != NoticeStatus.PENDING  # the log row stays
    assert bytes(waiting.text_cipher) != b""  # a notice still to be sent keeps what it needs
    assert _run(a)["notices"] == 0  # and a second run finds nothing
