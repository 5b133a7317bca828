"""Notices to members and units: the kinds the apps register, the wording each office keeps, and
the log of every message with what became of it.

Each app declares its kinds of notice (`register_notice_kinds`, from its AppConfig.ready()): a
code, who receives it, the product's default text and the placeholders it may use, each with a
sample for the preview. An office may write its own text of a kind; an office that has not uses
the nearest office above it that has, or the default. A message is *prepared* (rendered,
encrypted, logged as waiting, once per `key`) where it becomes due, usually inside the
transaction of what made it due, and *delivered* by a task after the commit
(`mutualaid.tasks.deliver_notices`), through the backend of mutualaid/notify.py. A backend's
failure marks the notice failed and raises, so the task retries with a growing pause; the office
can also send a failed one again from its log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from mutualaid import notify, pii
from mutualaid.models import Notice, NoticeStatus, NoticeTemplate, Organisation, User
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped

MAX_TEXT = 500
DELIVERY_CHUNK = 500  # notices per delivery task: a list of 100,000 members is 200 tasks
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Placeholder:
    name: str  # written {name} in the text
    label: str | Promise  # what it stands for, shown beside the editor
    sample: str  # its value in the preview


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str | Promise
    recipient: str | Promise  # who receives it ("the member", "the unit's contact")
    default: str | Promise  # the product's text, with {placeholders}
    placeholders: tuple[Placeholder, ...]
    order: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.placeholders)

    def sample(self) -> dict[str, str]:
        return {p.name: p.sample for p in self.placeholders}


KINDS: dict[str, NoticeKind] = {}


def register_notice_kinds(*kinds: NoticeKind) -> None:
    """Add an app's kinds of notice; loading an app twice adds nothing twice."""
    for kind in kinds:
        KINDS[kind.code] = kind


def notice_kinds() -> list[NoticeKind]:
    return sorted(KINDS.values(), key=lambda kind: kind.order)


def notice_kind(code: str) -> NoticeKind:
    """The kind of that code, or 404: the code comes from a page's address or form."""
    found = KINDS.get(code)
    if found is None:
        raise Http404(_("There is no such kind of notice."))
    return found


# --- wording ---------------------------------------------------------------------------------


def template_check(*, kind: NoticeKind, text: str) -> str:
    """The text as it will be kept, or a ValidationError that names what to change."""
    text = text.strip()
    if not text:
        raise ValidationError(
            _("Write the message text; to go back to the inherited text, use “Use the inherited text”.")
        )
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("The message has %(count)d characters; at most %(max)d fit. Shorten it.")
            % {"count": len(text), "max": MAX_TEXT}
        )
    known = "、".join("{" + name + "}" for name in kind.names)
    for name in _PLACEHOLDER.findall(text):
        if name not in kind.names:
            raise ValidationError(
                _("The placeholder {%(name)s} is not known in “%(kind)s” messages. Use one of: %(known)s.")
                % {"name": name, "kind": kind.label, "known": known}
            )
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise ValidationError(
            _("A brace { or } has no partner: write each placeholder as {name}, one of: %(known)s.") % {"known": known}
        )
    return text


def render(text: str, values: Mapping[str, object]) -> str:
    """The text with each placeholder replaced by its value (the text was checked on save)."""
    return _PLACEHOLDER.sub(lambda found: str(values.get(found.group(1), found.group(0))), text)


@dataclass(frozen=True)
class Wording:
    text: str
    source: Organisation | None  # the office whose text it is; None: the product's default


def template_effective(*, kind: NoticeKind, office: Organisation) -> Wording:
    """The text `office` sends of `kind`: its own, the nearest office's above, or the default."""
    with unscoped():  # the offices above the sender keep texts it inherits, outside its subtree
        rows = list(
            NoticeTemplate.objects.filter(kind=kind.code, org_id__in=office.ancestor_ids()).select_related("org")
        )
    if not rows:
        return Wording(text=str(kind.default), source=None)
    nearest = max(rows, key=lambda row: row.org.depth)
    return Wording(text=nearest.text, source=nearest.org)


def template_own(*, kind: NoticeKind, office: Organisation) -> NoticeTemplate | None:
    return NoticeTemplate.objects.filter(kind=kind.code, org=office).first()


def _check_editor(actor: User, office: Organisation) -> None:
    require_permission(actor, "notices.manage")
    if actor.org_id != office.pk:
        raise Http404(_("An office edits its own notices only."))


@transaction.atomic
def template_save(*, actor: User, office: Organisation, kind: NoticeKind, text: str) -> NoticeTemplate:
    """Keep the office's own text of a kind, checked first: a refused text changes nothing."""
    _check_editor(actor, office)
    text = template_check(kind=kind, text=text)
    row = template_own(kind=kind, office=office) or NoticeTemplate(org=office, kind=kind.code)
    row.text, row.updated_by = text, actor
    row.save()
    return row


@transaction.atomic
def template_reset(*, actor: User, office: Organisation, kind: NoticeKind) -> None:
    """Drop the office's own text: it inherits again from above, or the default."""
    _check_editor(actor, office)
    NoticeTemplate.objects.filter(kind=kind.code, org=office).delete()


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A message that has become due, before its wording is applied."""

    kind: str
    key: str  # the same key never makes a second notice
    org: Organisation  # the node it is about (the member's or claim's unit)
    reference: str  # a claim number, a policy number
    name: str  # the recipient, shown masked in the log
    phone_cipher: bytes | None  # as stored on the member (encrypted), or None
    values: Mapping[str, object]
    link: str = ""


def mask_name(name: str) -> str:
    """张三丰 → 张**: the family name, enough to tell rows apart in a log."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "—"


def notices_prepare(drafts: Sequence[Draft]) -> list[int]:
    """Log the drafts as notices waiting to be sent (or with no phone number) and return the ids
    of those newly logged that wait. A draft whose key is already logged adds nothing: preparing
    twice (a task run again, an event seen twice) sends nothing twice."""
    if not drafts:
        return []
    with unscoped():  # keys are unique across offices: a key logged anywhere is not logged again
        logged = set(Notice.objects.filter(key__in=[d.key for d in drafts]).values_list("key", flat=True))
    wordings: dict[tuple[str, int], str] = {}
    rows = []
    now = timezone.now()
    for draft in drafts:
        if draft.key in logged:
            continue
        kind = KINDS[draft.kind]
        if (draft.kind, draft.org.pk) not in wordings:
            with translation.override(settings.LANGUAGE_CODE):  # members read the product's language
                wordings[draft.kind, draft.org.pk] = template_effective(kind=kind, office=draft.org).text
        phone = pii.decrypt(draft.phone_cipher) if draft.phone_cipher else ""
        rows.append(
            Notice(
                org=draft.org,
                org_path=draft.org.path,
                kind=draft.kind,
                key=draft.key,
                reference=draft.reference[:60],
                recipient_masked=mask_name(draft.name),
                phone_masked=pii.mask_phone(phone) if phone else "",
                phone_cipher=draft.phone_cipher if phone else None,
                text_cipher=pii.encrypt(render(wordings[draft.kind, draft.org.pk], draft.values)),
                link=draft.link,
                status=NoticeStatus.PENDING if phone else NoticeStatus.NO_PHONE,
                created_at=now,
            )
        )
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    fresh = [row.key for row in rows if row.key not in logged]
    return list(Notice.objects.filter(key__in=fresh, status=NoticeStatus.PENDING).values_list("pk", flat=True))


class NoticeSendError(OSError):
    """The backend refused at least one message; those are marked failed for the retry."""


def notices_deliver(*, notice_ids: Iterable[int]) -> int:
    """Send the notices of these ids that wait or failed; returns how many went out.

    Each is taken by a conditional update of its attempt count, so two runs at once (a retry
    and a person's "send again") never both send it. A failing backend marks it failed and, once
    the others have been tried, raises, for the task's retry."""
    sent, failure = 0, None
    due = Notice.objects.filter(pk__in=list(notice_ids), status__in=[NoticeStatus.PENDING, NoticeStatus.FAILED])
    for notice in due.order_by("pk"):
        taken = Notice.objects.filter(pk=notice.pk, status=notice.status, attempts=notice.attempts)
        if not taken.update(attempts=F("attempts") + 1):
            continue  # another run has it
        try:
            notify.send(
                phone=pii.decrypt(notice.phone_cipher) if notice.phone_cipher else "",
                text=pii.decrypt(notice.text_cipher),
                reference=notice.reference,
            )
        except Exception as error:  # a provider's failure of any kind: kept for the retry
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED, last_error=str(error)[:200])
            failure = failure or error
            continue
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, sent_at=timezone.now(), last_error="")
        sent += 1
    if failure is not None:
        if isinstance(failure, OSError):
            raise failure
        raise NoticeSendError(str(failure)) from failure
    return sent


def notice_text(*, notice: Notice) -> str:
    return pii.decrypt(notice.text_cipher)


def notice_list(*, kind: str = "", status: str = "", since: Any = None, until: Any = None) -> QuerySet[Notice]:
    """The log of the caller's subtree, newest first, filtered."""
    rows = Notice.objects.select_related("org").order_by("-created_at", "-pk")
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(created_at__date__gte=since)
    if until:
        rows = rows.filter(created_at__date__lte=until)
    return rows


# --- Sent again by themselves --------------------------------------------------------------------
# A notice that failed after its delivery task gave up, one whose task was lost, and one that
# waited for a phone number the member or unit has since been given, are tried again by the
# hourly beat (`mutualaid.resend_notices_all`), each up to NOTICE_RESEND_ATTEMPTS attempts in all
# and for NOTICE_RESEND_DAYS days after it became due; the log shows how many attempts it had.

# Where a notice of a kind finds its recipient's phone number now: the app that owns the kind
# registers a source (from its AppConfig.ready()) that maps notice ids to (name, phone cipher).
PhoneSource = Any  # Callable[[Sequence[Notice]], dict[int, tuple[str, bytes]]]
_PHONE_SOURCES: dict[str, PhoneSource] = {}
# A notice still waiting this long after it was logged has lost its delivery task.
LOST_AFTER = timedelta(minutes=15)


def register_phone_source(kind: str, source: PhoneSource) -> None:
    _PHONE_SOURCES[kind] = source


def resend_limit() -> int:
    return int(settings.NOTICE_RESEND_ATTEMPTS)


def notices_phone_found(*, since: datetime) -> int:
    """Notices of the caller's scope that waited for a phone number and whose recipient has one
    now wait to be sent, to that number. Returns how many."""
    found = 0
    waiting = list(Notice.objects.filter(status=NoticeStatus.NO_PHONE, created_at__gte=since).order_by("pk"))
    for kind in sorted({n.kind for n in waiting}):
        source = _PHONE_SOURCES.get(kind)
        if source is None:
            continue
        for pk, (name, cipher) in source([n for n in waiting if n.kind == kind]).items():
            phone = pii.decrypt(cipher) if cipher else ""
            if not phone:
                continue
            found += Notice.objects.filter(pk=pk, status=NoticeStatus.NO_PHONE).update(
                status=NoticeStatus.PENDING,
                phone_cipher=cipher,
                phone_masked=pii.mask_phone(phone),
                recipient_masked=mask_name(name),
                last_error="",
            )
    return found


def notices_resend_due(*, now: datetime) -> list[int]:
    """The notices of the caller's scope to try again now: failed ones under the attempt limit,
    and waiting ones whose task was lost (or that have just found a phone number)."""
    since = now - timedelta(days=int(settings.NOTICE_RESEND_DAYS))
    notices_phone_found(since=since)
    failed = Q(status=NoticeStatus.FAILED)
    lost = Q(status=NoticeStatus.PENDING) & (Q(created_at__lte=now - LOST_AFTER) | Q(attempts=0))
    return list(
        Notice.objects.filter(failed | lost, created_at__gte=since, attempts__lt=resend_limit())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def notices_resend(*, now: datetime) -> int:
    """Try again what is due (`notices_resend_due`); a provider that still fails leaves them
    failed, with one attempt more, for the next hour. Returns how many went out."""
    ids = notices_resend_due(now=now)
    sent = 0
    for start in range(0, len(ids), DELIVERY_CHUNK):
        try:
            sent += notices_deliver(notice_ids=ids[start : start + DELIVERY_CHUNK])
        except OSError:
            continue  # recorded on each notice; the next run tries again, up to the limit
    return sent
