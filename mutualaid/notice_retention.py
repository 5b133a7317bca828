"""What expires of the notices sent (mutualaid/retention.py): the phone number and the message text
(which names the person and their claim) some days after the notice was made. The log row stays,
with its kind, reference, masked recipient, status and times, so the office still sees that a
notice went out; a notice still waiting to be sent keeps what it needs."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mutualaid.models import Notice, NoticeStatus
from mutualaid.retention import Period, Rule, in_batches


def _notices(period: Period) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(created_at__lt=period.days("RETENTION_NOTICE_DAYS"))
        .exclude(status=NoticeStatus.PENDING)
        .exclude(text_cipher=b"")
    )


def _anonymise_notices(queryset: QuerySet[Notice]) -> int:
    def apply(keys: list[int]) -> int:
        return Notice.objects.filter(pk__in=keys).update(phone_cipher=None, text_cipher=b"")

    return in_batches(queryset, apply)


RULES = [Rule("notices", _("Phone numbers and texts of the notices sent"), _notices, _anonymise_notices)]
