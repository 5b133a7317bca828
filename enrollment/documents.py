"""Printed documents of a policy: member cards (保障卡), the application form (投保单) and the
member list, as PDF (WeasyPrint) and xlsx.

Many cards are rendered as ONE document: WeasyPrint's cost is per document far more than per
page (1,000 separate card PDFs came to 347 MB, one document of them 1.8 MB), and Chinese text
needs a CJK font (fonts-noto-cjk) and HarfBuzz's subsetter (libharfbuzz-subset0), which the
setup scripts install.
"""

from __future__ import annotations

import io
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from enrollment import cardrender
from enrollment.cardrender import Card
from enrollment.models import Enrollment, Policy

CARDS_PER_PAGE = 8


def card_number(policy_number: str, row_number: int) -> str:
    return f"{policy_number}-{row_number:05d}"


def cards_for(enrollments: Iterable[Enrollment]) -> Iterator[Card]:
    for e in enrollments:
        yield Card(
            number=card_number(e.policy.number, e.row_number),
            name=e.name,
            id_masked=e.id_masked,
            plan=e.period.plan.name,
            shares=e.shares,
            period=e.period.label,
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            unit=e.org.name,
        )


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()


def cards_pdf(cards: Iterable[Card], *, office: str) -> bytes:
    """All the cards in one PDF, eight to an A4 page, ready to cut."""
    cards = list(cards)
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return _pdf(render_to_string("enrollment/pdf/cards.html", {"pages": pages, "office": office}))


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
        initializer=cardrender.child_setup,
        initargs=(translation.get_language(),),
    ) as pool:
        pending: deque[Future[bytes]] = deque()
        for batch in batches:
            pending.append(pool.submit(cardrender.render_cards, batch, office))
            if len(pending) > processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def application_form_pdf(policy: Policy) -> bytes:
    return _pdf(
        render_to_string(
            "enrollment/pdf/application_form.html",
            {"policy": policy, "unit": policy.org, "period": policy.period, "printed": timezone.localdate()},
        )
    )


def member_list_pdf(policy: Policy) -> bytes:
    members = Enrollment.objects.filter(policy=policy).order_by("row_number")
    return _pdf(
        render_to_string(
            "enrollment/pdf/member_list.html",
            {"policy": policy, "members": members, "printed": timezone.localdate()},
        )
    )


def member_list_xlsx(policy: Policy) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Members"))
    sheet.append([f"{policy.org.name} · {policy.period.plan.name} · {policy.period.label} · {policy.number}"])
    headers = [
        _("Row"),
        _("Full name"),
        _("ID number"),
        _("Gender"),
        _("Shares"),
        _("Premium"),
        _("Coverage"),
        _("Status"),
    ]
    sheet.append(headers)
    for e in Enrollment.objects.filter(policy=policy).order_by("row_number").iterator(chunk_size=2000):
        sheet.append(
            [
                e.row_number,
                e.name,
                e.id_masked,
                _("Male") if e.gender == "M" else _("Female"),
                e.shares,
                e.premium,
                f"{e.starts_on:%Y-%m-%d} — {e.ends_on:%Y-%m-%d}",
                e.get_status_display(),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
