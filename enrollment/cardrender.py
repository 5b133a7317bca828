"""What a card-rendering child process needs, importable before Django is set up (the child
is spawned fresh, so it imports this module before it can load the apps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Card:
    number: str
    name: str
    id_masked: str
    plan: str
    shares: int
    period: str
    starts_on: date
    ends_on: date
    unit: str


def child_setup(language: str) -> None:
    import django
    from django.utils import translation

    django.setup()
    translation.activate(language)


def render_cards(batch: list[Card], office: str) -> bytes:
    from enrollment.documents import cards_pdf

    return cards_pdf(batch, office=office)
