"""What expires in claims (mutualaid/retention.py): a claim's personal data (names, diagnosis,
bank account) and its scanned documents, some years after it was paid or rejected. Amounts,
dates, hospital and the review steps stay: they are what the reports and the ledger are made of."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from claims.models import (
    Claim,
    ClaimDocument,
    ClaimStatus,
    ClaimStep,
    HospitalCheck,
    HospitalCheckDocument,
    PendingUpload,
)
from mutualaid.retention import Period, Pseudonym, Rule, delete_files, in_batches, placeholder, start_of


def _closed_before(period: Period) -> QuerySet[Claim]:
    """Paid before the cut-off, or rejected with nothing done to the claim since the cut-off."""
    cutoff = period.years("RETENTION_CLAIM_YEARS")
    later_steps = ClaimStep.objects.filter(claim=OuterRef("pk"), at__gte=start_of(cutoff))
    return Claim.objects.filter(
        Q(status=ClaimStatus.PAID, paid_on__lt=cutoff) | Q(Q(status=ClaimStatus.REJECTED) & ~Exists(later_steps))
    )


def _claims(period: Period) -> QuerySet[Claim]:
    return _closed_before(period).exclude(diagnosis_cipher=b"")


def _anonymise_claims(queryset: QuerySet[Claim]) -> int:
    name = placeholder()

    def apply(keys: list[int]) -> int:
        return Claim.objects.filter(pk__in=keys).update(
            name=name,
            payee_name=name,
            id_hash=Pseudonym(),
            id_masked="",
            diagnosis_cipher=b"",
            account_cipher=b"",
            account_masked="",
            callback_note="",
        )

    return in_batches(queryset, apply)


def _documents(period: Period) -> QuerySet[ClaimDocument]:
    return ClaimDocument.objects.filter(claim__in=_closed_before(period).values("pk")).exclude(file="")


def _delete_documents(queryset: QuerySet[ClaimDocument]) -> int:
    name = placeholder()

    def apply(keys: list[int]) -> int:
        documents = ClaimDocument.objects.filter(pk__in=keys)
        delete_files(ClaimDocument.file.field.storage, documents.values_list("file", flat=True))
        # A scan's file name often is the member's name ("张三身份证.jpg").
        return documents.update(file="", original_name=name)

    return in_batches(queryset, apply)


def _check_scans(period: Period) -> QuerySet[HospitalCheckDocument]:
    return HospitalCheckDocument.objects.filter(hospital_check__claim__in=_closed_before(period).values("pk")).exclude(
        file=""
    )


def _delete_check_scans(queryset: QuerySet[HospitalCheckDocument]) -> int:
    name = placeholder()

    def apply(keys: list[int]) -> int:
        documents = HospitalCheckDocument.objects.filter(pk__in=keys)
        delete_files(HospitalCheckDocument.file.field.storage, documents.values_list("file", flat=True))
        return documents.update(file="", original_name=name)

    return in_batches(queryset, apply)


def _check_findings(period: Period) -> QuerySet[HospitalCheck]:
    """A visit's findings speak of the patient's illness: cleared with the claim's personal data."""
    return HospitalCheck.objects.filter(claim__in=_closed_before(period).values("pk")).exclude(findings="")


def _clear_check_findings(queryset: QuerySet[HospitalCheck]) -> int:
    return in_batches(queryset, lambda keys: HospitalCheck.objects.filter(pk__in=keys).update(findings=""))


def _pending(period: Period) -> QuerySet[PendingUpload]:
    """Scans kept for a refused registration form that nobody sent again since the day before."""
    return PendingUpload.objects.filter(uploaded_at__lt=start_of(period.today - timedelta(days=1)))


def _delete_pending(queryset: QuerySet[PendingUpload]) -> int:
    def apply(keys: list[int]) -> int:
        rows = PendingUpload.objects.filter(pk__in=keys)
        delete_files(PendingUpload.file.field.storage, rows.values_list("file", flat=True))
        return rows.delete()[0]

    return in_batches(queryset, apply)


RULES = [
    Rule("claims", _("Claims' names, diagnoses and bank accounts"), _claims, _anonymise_claims),
    Rule("claim_documents", _("Claims' scanned documents"), _documents, _delete_documents),
    Rule("hospital_check_scans", _("Hospital checks' scans"), _check_scans, _delete_check_scans),
    Rule("hospital_check_findings", _("Hospital checks' findings"), _check_findings, _clear_check_findings),
    Rule("claim_pending_scans", _("Scans left on a refused claim registration form"), _pending, _delete_pending),
]
