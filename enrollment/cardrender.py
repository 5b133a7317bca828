"""Member cards (保障卡) as PDF, eight to an A4 page, ready to cut.

Many cards are rendered as ONE document: WeasyPrint's cost is per document far more than per
page (1,000 separate card PDFs came to 347 MB, one document of them 1.8 MB), and Chinese text
needs a CJK font (fonts-noto-cjk) and HarfBuzz's subsetter (libharfbuzz-subset0), which the
setup scripts install. A whole city's cards are rendered in short-lived child processes, which
import this module before Django is set up: it imports no model, and nothing of the app.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

CARDS_PER_PAGE = 8


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


def html_pdf(html: str) -> bytes:
    from weasyprint import HTML  # loaded on first use: it takes a second and much memory

    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


def cards_pdf(cards: Iterable[Card], *, office: str) -> bytes:
    """All the cards in one PDF, eight to an A4 page, ready to cut."""
    cards = list(cards)
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return html_pdf(render_to_string("enrollment/pdf/cards.html", {"pages": pages, "office": office}))


def cards_pdf_chunks(cards: Iterable[Card], *, office: str, chunk: int = 500) -> Iterator[bytes]:
    """For a whole city: the cards in documents of `chunk` cards, in order.

    Each document is rendered in a short-lived child process (one document each, while the next
    is prepared): WeasyPrint's memory is only really given back when its process ends, so a job
    of tens of thousands of cards stays flat in memory.
    """
    iterator = iter(cards)
    batches = iter(lambda: list(islice(iterator, chunk)), [])
    processes = settings.CARD_RENDER_PROCESSES
    if processes < 1:
        for batch in batches:
            yield cards_pdf(batch, office=office)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        max_tasks_per_child=1,
        initializer=_child_setup,
        initargs=(translation.get_language(),),
    ) as pool:
        pending: deque[Future[bytes]] = deque()
        for batch in batches:
            pending.append(pool.submit(_render_batch, batch, office))
            if len(pending) > processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _child_setup(language: str) -> None:
    import django

    django.setup()
    translation.activate(language)


def _render_batch(batch: list[Card], office: str) -> bytes:
    return cards_pdf(batch, office=office)
