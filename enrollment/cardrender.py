"""Member cards (保障卡) as PDF, eight to an A4 page, ready to cut.

Many cards are rendered as ONE document: WeasyPrint's cost is per document far more than per
page (1,000 separate card PDFs came to 347 MB, one document of them 1.8 MB), and Chinese text
needs a CJK font (fonts-noto-cjk) and HarfBuzz's subsetter (libharfbuzz-subset0), which the
setup scripts install.

A whole office's cards are drawn by `CARD_RENDER_PROCESSES` renderers side by side (two by
default: both cores of a small server), in documents of at most 192 cards, each in a renderer
of its own that ends with it, because WeasyPrint's memory is only given back when its process
ends. This module writes each document's HTML (Django's templates, in the job's language); the
renderers, forked warm from a fork server that holds WeasyPrint and the fonts and nothing of
Django (`enrollment/carddraw.py`, `enrollment/cardwarm.py`), draw it. The documents are joined
with pypdf, never drawn twice (enrollment/services/cards.py). This module imports no model and
nothing of the app. A large policy's member list (一览表) is drawn by one such renderer too
(`document_pdf`).
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

from enrollment import carddraw
from enrollment.carddraw import Document
from mutualaid import faults

CARDS_PER_PAGE = 8
# The most cards in one document: a renderer's memory grows with its document (RSS 150 MB at 128
# cards, 160 at 192, 170-185 at 256, 200 at 456, 100 of it shared with the fork server), and
# each document costs a little of its own (its fonts subset, 0.1 s).
DOCUMENT_MOST = 192
# Fewer cards than this are not split: a document is cheap, a process a little less so.
DOCUMENT_LEAST = 48


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


def cards_html(cards: Iterable[Card], *, office: str) -> str:
    cards = list(cards)
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return render_to_string("enrollment/pdf/cards.html", {"pages": pages, "office": office})


def cards_pdf(cards: Iterable[Card], *, office: str) -> bytes:
    """All the cards in one PDF, eight to an A4 page, ready to cut."""
    return carddraw.card_pdf(cards_html(cards, office=office))


def document_size(total: int, processes: int, most: int | None = None) -> int:
    """Cards to a document for a job of `total` cards: whole pages (only the job's last page is
    not full), at most `most` cards (DOCUMENT_MOST), and as many documents for each process, all
    of one size, so that every process stays busy to the end."""
    pages = -(-max(total, 1) // CARDS_PER_PAGE)
    most_pages = max((DOCUMENT_MOST if most is None else most) // CARDS_PER_PAGE, 1)
    workers = max(processes, 1)
    rounds = -(-pages // (workers * most_pages))
    per_document = max(-(-pages // (rounds * workers)), min(DOCUMENT_LEAST // CARDS_PER_PAGE, pages))
    return min(per_document, most_pages) * CARDS_PER_PAGE


def cards_pdf_chunks(
    cards: Iterable[Card], *, office: str, chunk: int = DOCUMENT_MOST, processes: int | None = None
) -> Iterator[Document]:
    """For a whole office: the cards in documents of `chunk` cards, in order.

    `processes` (CARD_RENDER_PROCESSES unless given) draw side by side, each document in a
    renderer of its own, while the caller joins the documents already done; 0 draws them here,
    one after the other. If a renderer fails or dies, the others are stopped and the error is
    raised: no document after it is yielded.
    """
    iterator = iter(cards)
    batches = iter(lambda: list(islice(iterator, chunk)), [])
    processes = settings.CARD_RENDER_PROCESSES if processes is None else processes
    if processes < 1:
        for batch in batches:
            yield carddraw.draw(cards_html(batch, office=office))
        return
    pool = _renderers(processes)
    pending: deque[Future[Document]] = deque()
    try:
        for index, batch in enumerate(batches):
            pending.append(pool.submit(carddraw.render, cards_html(batch, office=office), index))
            if len(pending) > processes:  # one waits its turn, so no renderer idles between documents
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BaseException:
        for process in list((pool._processes or {}).values()):  # the others' documents are of no use now
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def document_pdf(html: str) -> bytes:
    """One long document (a large policy's member list) drawn in a renderer of its own, so that
    WeasyPrint's memory for it is given back when the renderer ends; here with no renderers
    (CARD_RENDER_PROCESSES 0)."""
    if settings.CARD_RENDER_PROCESSES < 1:
        return carddraw.draw(html).pdf
    pool = _renderers(1)
    try:
        return pool.submit(carddraw.render, html, 0).result().pdf
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _renderers(processes: int) -> ProcessPoolExecutor:
    """`processes` renderers, each forked warm for one document and ending with it."""
    context = multiprocessing.get_context("forkserver")
    # Read when the server starts, once per process: the caller's main module (so that no renderer
    # imports it again) and the warm-up.
    context.set_forkserver_preload(["__main__", "enrollment.cardwarm"])
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        max_tasks_per_child=1,
        initializer=carddraw.renderer_setup,
        initargs=(faults.passed_on(),),
    )
