"""Business events that a higher app acts on inside the lower app's transaction.

The dependency direction is one way (mutualaid ← enrollment ← claims ← finance), yet issuing a
policy must book a receivable and paying a claims batch must book the payment, in the same
transaction, so that neither can happen without the other. The lower app publishes a named
event at the exact point in its service; the higher app subscribes when it loads. Subscribers
run synchronously, in order, inside the caller's transaction and scope; an exception refuses
the whole action (that is how finance refuses to send a claims batch to the bank before its
payment is approved).

Events in use:
- "policy_issued" (policy, actor): enrollment, when an office approves a member list.
- "claims_batch_export" (batch, actor): claims, before the transfer workbook is produced.
- "claims_batch_paid" (batch, actor): claims, when the bank confirmed a batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Subscriber = Callable[..., None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)


def subscribe(event: str, subscriber: Subscriber) -> None:
    if subscriber not in _SUBSCRIBERS[event]:
        _SUBSCRIBERS[event].append(subscriber)


def publish(event: str, **data: Any) -> None:
    for subscriber in list(_SUBSCRIBERS[event]):
        subscriber(**data)
