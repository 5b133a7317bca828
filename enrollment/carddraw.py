"""The drawing half of the member cards: their HTML (enrollment/cardrender.py writes it) in, PDF
out, with WeasyPrint and nothing of Django or of the app.

A whole office's cards are drawn by renderer processes forked from a fork server that has
imported this module and drawn a few words in the cards' fonts (`enrollment/cardwarm.py`): each
renderer starts warm in milliseconds, holding only WeasyPrint and the fonts, shared with the
server until it writes to them, and ends with its document, which gives WeasyPrint's memory back.
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from mutualaid import faults

# The cards' fonts (templates/enrollment/pdf/base.html), regular and bold, in a few words.
WARM_HTML = (
    "<html lang=\"zh-hans\"><body style=\"font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; "
    'font-size: 9pt">互助保障卡 姓名 <b>代办处 保障卡</b> <span style="font-size: 12pt">0123456789 ·—</span>'
    "</body></html>"
)


@dataclass(frozen=True)
class Document:
    """One drawn document of cards, with the process that drew it, when (monotonic seconds, the
    same clock in every process of the machine) and the processor time it took."""

    pdf: bytes
    process: int
    started: float
    ended: float
    cpu: float


# Set in the fork server by `warm()` and inherited by every renderer forked from it: the fonts
# found and opened once (Pango's font map keeps them), not once per document.
_fonts: Any = None


def card_pdf(html: str, font_config: Any = None) -> bytes:
    pdf: bytes = _card_html()(string=html, base_url=None).write_pdf(font_config=font_config)
    return pdf


@cache
def _card_html() -> Any:
    """WeasyPrint's HTML with its user-agent stylesheet less the rules of list markers and
    footnotes, which match every element: drawn the same, a card's 14 elements no longer carry
    the styles of 84 pseudo-elements (an eighth of the drawing's time)."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    rules = "\n".join(line for line in UA.splitlines() if not line.startswith("::"))
    sheet = CSS(string=rules, counter_style=CounterStyle())

    class CardHTML(HTML):  # type: ignore[misc] # WeasyPrint ships no types
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet]

    return CardHTML


def draw(html: str) -> Document:
    started, cpu = time.monotonic(), time.process_time()
    pdf = card_pdf(html, _fonts)
    return Document(pdf, os.getpid(), started, time.monotonic(), time.process_time() - cpu)


def warm() -> None:
    """In the fork server: WeasyPrint's first document drawn, its font configuration kept, and
    everything there is now set aside from the garbage collector, so that the renderers do not
    copy the server's memory by scanning it."""
    global _fonts
    from weasyprint.text.fonts import FontConfiguration

    _fonts = FontConfiguration()
    card_pdf(WARM_HTML, _fonts)
    gc.collect()
    gc.freeze()


def renderer_setup(fault_environment: dict[str, str]) -> None:
    """A renderer starts: no garbage collection (it lives for one document, and the cycles it
    leaves are a few megabytes, given back when it ends: a tenth faster), and the fault settings
    of its parent's tests (a fork server has the environment of the moment it started)."""
    gc.disable()
    faults.take_on(fault_environment)


def render(html: str, index: int) -> Document:
    """In a renderer: the job's document number `index` (from 0; the fault tests can make the
    renderer of the n-th die)."""
    faults.crash_point(f"enrollment.cards.document-{index + 1}")
    return draw(html)
