"""Messages to members (payout confirmations today; renewal notices later).

Offices send these by SMS through a provider of their choosing, so sending is an interface:
`send()` hands the message to the backend named by the NOTIFICATION_BACKEND setting. The default
backend writes the message to the `mutualaid.notify` log with the phone number masked, which is
enough to run the product and to check what would have been sent; a provider's backend is a class
with the same `send` method, named in the setting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from mutualaid import pii

logger = logging.getLogger("mutualaid.notify")


@dataclass(frozen=True)
class Message:
    phone: str
    text: str
    reference: str  # what the message is about (a claim number), for the provider's receipts


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


class LogBackend:
    """Writes each message to the log instead of sending it; the phone number is masked."""

    def send(self, message: Message) -> None:
        logger.info("notify %s %s: %s", message.reference, pii.mask_phone(message.phone), message.text)


def send(*, phone: str, text: str, reference: str) -> bool:
    """Send one message; False when there is no phone number to send to."""
    if not phone:
        logger.info("notify %s: no phone number on file, nothing sent", reference)
        return False
    backend: Backend = import_string(settings.NOTIFICATION_BACKEND)()
    backend.send(Message(phone=phone, text=text, reference=reference))
    return True
