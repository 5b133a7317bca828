from __future__ import annotations

from claims.services import claims_notify_paid
from mutualaid.celery import ScopedTask, app


@app.task(base=ScopedTask, name="claims.notify_paid", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_paid(*, org_id: int, claim_ids: list[int], actor_id: int | None = None) -> int:
    """Tell the members of a paid batch; a member already told is not told again, so a retry
    after a provider's failure sends only what is still due."""
    return claims_notify_paid(claim_ids=claim_ids)
