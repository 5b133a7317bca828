"""Business events that a higher app acts on inside the lower app's transaction.

The dependency direction is one way (mutualaid ← enrollment ← claims ← finance ← reporting), yet
issuing a policy must book a receivable and paying a claims batch must book the payment, in the
same transaction, so that neither can happen without the other. The lower app declares each event
it publishes as a frozen dataclass in its own `events.py` (documented fields, typed with its own
models) and publishes an instance at the exact point in its service; a higher app subscribes a
function taking that event when it loads. Subscribers run synchronously, in order of
subscription, inside the caller's transaction and scope; an exception refuses the whole action
(that is how finance refuses to send a claims batch to the bank before its payment is approved).

Who listens to what: `manage.py list_events` prints every event with its fields and subscribers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True)
class Event:
    """Base of every event: a frozen dataclass whose fields are what subscribers receive."""


E = TypeVar("E", bound=Event)
_SUBSCRIBERS: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], subscriber: Callable[[E], None]) -> None:
    if subscriber not in _SUBSCRIBERS[event_type]:
        _SUBSCRIBERS[event_type].append(subscriber)


def publish(event: Event) -> None:
    for subscriber in list(_SUBSCRIBERS[type(event)]):
        subscriber(event)


def subscriptions() -> dict[type[Event], list[Callable[[Any], None]]]:
    """Every event type that has subscribers, with them in the order they run."""
    return {event_type: list(found) for event_type, found in _SUBSCRIBERS.items() if found}
