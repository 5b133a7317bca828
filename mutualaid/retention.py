"""Retention: how long each kind of record keeps its personal data, and the run that anonymises
what has expired.

Each app says what expires in its own `retention.py` (a list `RULES`) and registers it when it
loads (`register_rules`), so this module, the lowest layer, never imports a higher one.
A rule selects the rows of the active scope past their time that still hold personal data, and
anonymises them in place: names become a placeholder, ciphertexts and blind indexes are cleared,
encrypted files are deleted from storage; counts, amounts, dates, sex and birth date stay, so
every report and the ledger read the same figures afterwards. Selecting only what still holds
personal data makes a run idempotent: a second run finds nothing.

The periods (settings, each overridable from the environment) follow Chinese practice:
- enrollment and member personal data: 5 years after the coverage ended (Insurance Law art. 87:
  records of contracts of a year or less are kept at least five years after they end);
- claims (names, diagnosis, bank account, scanned documents): 10 years after payment or
  rejection (art. 87 for longer cover; an office filing claim invoices as accounting vouchers
  sets 30, the period of 会计档案管理办法);
- uploaded member-list workbooks and their staging rows: 90 days after approval or rejection;
- export files and member-card PDFs: 30 days;
- the accounting records (finance ledger, bank statements) are never anonymised here: they are
  kept 30 years (会计档案管理办法);
- the audit trail: at least six calendar months (Cybersecurity Law art. 21 for network logs),
  by default 30 years; nothing here deletes it, and a setting below six months is refused by a
  system check.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mutualaid.models import Organisation, OrgKind

AUDIT_MINIMUM_MONTHS = 6
# Offices a run is started for, one task each (mutualaid/tasks.py); a province's run leaves the
# subtrees of its cities and industries to theirs.
RUN_KINDS = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY)
BATCH = 2000


def placeholder() -> str:
    """What an anonymised name reads, in the product's language whatever the caller's."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_("(anonymised)"))


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def years_before(day: date, years: int) -> date:
    return months_before(day, 12 * years)


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the business time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass(frozen=True)
class Period:
    """The cut-offs of one run: a record whose time ended before its cut-off has expired."""

    today: date

    def years(self, setting: str) -> date:
        return years_before(self.today, int(getattr(settings, setting)))

    def days(self, setting: str) -> datetime:
        return start_of(self.today - timedelta(days=int(getattr(settings, setting))))


@dataclass(frozen=True)
class Rule:
    """One kind of record: which rows of the scope have expired and still hold personal data,
    and how they are anonymised (returns how many rows it anonymised)."""

    kind: str
    label: Any
    expired: Callable[[Period], models.QuerySet[Any]]
    anonymise: Callable[[models.QuerySet[Any]], int]


_RULES: list[Rule] = []


def register_rules(*found: Rule) -> None:
    """Add an app's retention rules (from its AppConfig.ready())."""
    for rule in found:
        if rule not in _RULES:
            _RULES.append(rule)


def rules() -> list[Rule]:
    return list(_RULES)


def in_batches(queryset: models.QuerySet[Any], apply: Callable[[list[int]], int]) -> int:
    """Apply to the matching rows a batch of primary keys at a time, each batch in its own
    transaction, so a first run over years of records holds no lock for long. `apply` must make
    the rows stop matching, or the loop would never end."""
    done = 0
    while True:
        keys = list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not keys:
            return done
        with transaction.atomic():
            done += apply(keys)


def delete_files(storage: Any, names: Iterable[str]) -> None:
    """Delete stored files before the rows that name them are cleared: a failure leaves a row
    still pointing at its file, found again by the next run, never an orphan file."""
    for name in names:
        if name:
            storage.delete(name)


def _own_part(queryset: models.QuerySet[Any], office: Organisation) -> models.QuerySet[Any]:
    """The office's part of the scope: its subtree less the subtrees that have their own run."""
    children = Organisation.objects.filter(parent=office, kind__in=RUN_KINDS).values_list("path", flat=True)
    for path in children:
        queryset = queryset.exclude(org_path__startswith=path)
    return queryset


def retention_apply(*, office: Organisation, today: date | None = None, dry_run: bool = False) -> dict[str, int]:
    """Anonymise what has expired in `office`'s part of the tree, inside its scope; record the
    count per kind in the audit trail. With `dry_run`, only count."""
    from mutualaid.audit import retention_recorded

    period = Period(today=today or timezone.localdate())
    counts: dict[str, int] = {}
    for rule in rules():
        expired = _own_part(rule.expired(period), office)
        counts[rule.kind] = expired.count() if dry_run else rule.anonymise(expired)
    if not dry_run and any(counts.values()):
        retention_recorded(office=office, counts=counts)
    return counts


def run_offices() -> list[int]:
    """The offices a scheduled run starts one task for (read unscoped: ids only)."""
    from mutualaid.tenancy import unscoped

    with unscoped():  # ids of the offices a nightly run starts one scoped task for
        return list(Organisation.objects.filter(kind__in=RUN_KINDS).order_by("path").values_list("pk", flat=True))


def audit_events_past_retention(*, today: date | None = None) -> int:
    """Audit events older than AUDIT retention: what the database owner may archive (nothing in
    the application deletes them; the application's role cannot)."""
    from pghistory.models import Events

    cutoff = start_of(months_before(today or timezone.localdate(), int(settings.RETENTION_AUDIT_MONTHS)))
    return Events.objects.filter(pgh_created_at__lt=cutoff).count()


@register()
def check_retention_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse to start with an audit retention shorter than six calendar months, or with a
    period that is not a positive whole number."""
    errors: list[CheckMessage] = []
    for name in (
        "RETENTION_ENROLLMENT_YEARS",
        "RETENTION_CLAIM_YEARS",
        "RETENTION_MEMBER_LIST_DAYS",
        "RETENTION_EXPORT_DAYS",
        "RETENTION_CARD_DAYS",
        "RETENTION_AUDIT_MONTHS",
    ):
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(Error(f"{name} must be a positive whole number (got {value!r}).", id="mutualaid.E101"))
    audit = getattr(settings, "RETENTION_AUDIT_MONTHS", None)
    if isinstance(audit, int) and 1 <= audit < AUDIT_MINIMUM_MONTHS:
        errors.append(
            Error(
                f"RETENTION_AUDIT_MONTHS is {audit}: audit records are kept at least {AUDIT_MINIMUM_MONTHS} "
                "calendar months (Cybersecurity Law art. 21).",
                hint="Set RETENTION_AUDIT_MONTHS to 6 or more (the default is 360).",
                id="mutualaid.E102",
            )
        )
    return errors


class Pseudonym(models.Func):
    """Replaces a blind index: 'ANON' and the row's own id (12 bytes, never a 16-byte keyed
    hash), so it matches no person, links no two rows, and keeps unique indexes satisfied."""

    template = "decode('414e4f4e' || lpad(to_hex(%(expressions)s), 16, '0'), 'hex')"
    output_field = models.BinaryField()

    def __init__(self) -> None:
        super().__init__(models.F("pk"))
