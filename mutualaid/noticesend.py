"""Handing notices to the delivery task after the commit, and an office's "send again": apart
from mutualaid/notices.py because they start the task, which calls back into it."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mutualaid.models import Notice, NoticeStatus, User
from mutualaid.notices import DELIVERY_CHUNK
from mutualaid.roles import require_permission
from mutualaid.tasks import deliver_notices


def deliver_after_commit(*, office_id: int, notice_ids: Sequence[int], actor_id: int | None = None) -> None:
    """Hand the notices to delivery tasks once the transaction that made them has committed, in
    chunks, so that a failing provider can never undo the action and a large list is many small
    tasks. Robust: a broker that cannot be reached is logged, and the action that committed is not
    answered with an error (its notices wait in the log, to be sent again from there)."""
    ids = list(notice_ids)
    for start in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[start : start + DELIVERY_CHUNK]
        transaction.on_commit(
            lambda chunk=chunk: deliver_notices.delay(org_id=office_id, notice_ids=chunk, actor_id=actor_id),  # type: ignore[misc]
            robust=True,
        )


@transaction.atomic
def notice_retry(*, actor: User, notice: Notice) -> Notice:
    """Send a notice that failed, or still waits (its task was lost), now; a sent one is refused."""
    require_permission(actor, "notices.manage")
    if actor.org is None:
        raise PermissionDenied(_("Your roles do not allow this."))
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if locked.status not in (NoticeStatus.FAILED, NoticeStatus.PENDING):
        raise ValidationError(
            _("Notice %(reference)s is “%(status)s”: only a notice that failed or still waits can be sent again.")
            % {"reference": locked.reference, "status": locked.get_status_display()}
        )
    deliver_after_commit(office_id=actor.org.pk, notice_ids=[locked.pk], actor_id=actor.pk)
    return locked
