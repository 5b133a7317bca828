"""What expires in enrollment (mutualaid/retention.py): members' personal data some years after
their coverage ended, uploaded member-list workbooks and their staging rows some days after the
list was decided, and member-card PDFs some days after they were printed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from enrollment.models import CardPrintJob, Enrollment, ListRow, ListStatus, MemberList
from mutualaid.retention import Period, Pseudonym, Rule, delete_files, in_batches, placeholder

DECIDED = [ListStatus.APPROVED, ListStatus.REJECTED]


def _enrollments(period: Period) -> QuerySet[Enrollment]:
    """Coverage ended (on its last day, or when cancelled) before the cut-off; not yet anonymised."""
    cutoff = period.years("RETENTION_ENROLLMENT_YEARS")
    return (
        Enrollment.objects.annotate(covered_until=Coalesce("cancelled_on", "ends_on"))
        .filter(covered_until__lt=cutoff)
        .exclude(id_cipher=b"")
    )


def _anonymise_enrollments(queryset: QuerySet[Enrollment]) -> int:
    name = placeholder()

    def apply(keys: list[int]) -> int:
        return Enrollment.objects.filter(pk__in=keys).update(
            name=name, id_cipher=b"", id_hash=Pseudonym(), id_masked="", phone_cipher=None, phone_tail_hash=None
        )

    return in_batches(queryset, apply)


def _lists(period: Period) -> QuerySet[MemberList]:
    """Lists decided before the cut-off (or that could not be read) whose workbook is still stored."""
    cutoff = period.days("RETENTION_MEMBER_LIST_DAYS")
    return MemberList.objects.filter(
        Q(status__in=DECIDED, decided_at__lt=cutoff) | Q(status=ListStatus.FAILED, created_at__lt=cutoff)
    ).exclude(file="")


def _delete_workbooks(queryset: QuerySet[MemberList]) -> int:
    def apply(keys: list[int]) -> int:
        lists = MemberList.objects.filter(pk__in=keys)
        delete_files(MemberList.file.field.storage, lists.values_list("file", flat=True))
        # The problems quote cells (names, ID numbers); their count stays in error_row_count.
        return lists.update(file="", cell_problems=[])

    return in_batches(queryset, apply)


def _rows(period: Period) -> QuerySet[ListRow]:
    cutoff = period.days("RETENTION_MEMBER_LIST_DAYS")
    decided = MemberList.objects.filter(
        Q(status__in=DECIDED, decided_at__lt=cutoff) | Q(status=ListStatus.FAILED, created_at__lt=cutoff)
    )
    return ListRow.objects.filter(member_list__in=decided.values("pk"))


def _delete_rows(queryset: QuerySet[ListRow]) -> int:
    def apply(keys: list[int]) -> int:
        return ListRow.objects.filter(pk__in=keys).delete()[0]

    return in_batches(queryset, apply)


def _cards(period: Period) -> QuerySet[CardPrintJob]:
    return CardPrintJob.objects.filter(created_at__lt=period.days("RETENTION_CARD_DAYS")).exclude(file="")


def _delete_cards(queryset: QuerySet[Any]) -> int:
    def apply(keys: list[int]) -> int:
        jobs = CardPrintJob.objects.filter(pk__in=keys)
        delete_files(CardPrintJob.file.field.storage, jobs.values_list("file", flat=True))
        return jobs.update(file="")

    return in_batches(queryset, apply)


RULES = [
    Rule("enrollments", _("Members' personal data"), _enrollments, _anonymise_enrollments),
    Rule("member_list_files", _("Uploaded member-list workbooks"), _lists, _delete_workbooks),
    Rule("member_list_rows", _("Checked rows of decided member lists"), _rows, _delete_rows),
    Rule("card_files", _("Member-card PDFs"), _cards, _delete_cards),
]
