"""Benchmark: member cards into one PDF.

    .venv/bin/python bench/cards_bench.py [--cards 10000]

Prints, from the same run: cards per second rendering 1,000 cards as one document (ours) and as
separate one-card documents (what printing card by card would cost), the sizes of both, and the
peak memory of a whole-office job of `--cards` cards (500 to a document, each rendered by a
short-lived process, joined into one PDF), sampled over the job's whole process tree.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MUTUALAID_TESTING", "1")
    os.environ.setdefault("DATABASE_URL", "postgres://unused@localhost/unused")  # no query is made
    import django

    django.setup()


def _cards(n: int):  # type: ignore[no-untyped-def]
    from enrollment.cardrender import Card

    for i in range(n):
        yield Card(
            number=f"6101-2026-000001-{i:05d}",
            name=f"职工{i}",
            id_masked="6101**********123X",
            plan="职工住院医疗互助保障",
            shares=1,
            period="2026年度",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            unit="西安秦川机械有限公司工会",
        )


def whole_office_job(count: int) -> dict[str, float]:
    """What the print job does: 500 cards a document, each rendered by a short-lived process,
    joined into one PDF."""
    from pypdf import PdfWriter

    from enrollment.cardrender import cards_pdf_chunks

    started = time.perf_counter()
    writer = PdfWriter()
    for chunk in cards_pdf_chunks(_cards(count), office="西安市职工互助保障代办处"):
        writer.append(io.BytesIO(chunk))
    buffer = io.BytesIO()
    writer.write(buffer)
    return {"seconds": time.perf_counter() - started, "mb": len(buffer.getvalue()) / 1e6}


def _sampled_job(count: int) -> dict[str, float]:
    """Run the job in a child process and sample the memory of its whole process tree (the job
    and its renderers) every 50 ms: the peak is what the machine had to hold at once."""
    import psutil

    child = subprocess.Popen(
        [sys.executable, __file__, "--job", "--cards", str(count)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    tree = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, sum(p.memory_info().rss for p in [tree, *tree.children(recursive=True)]))
        time.sleep(0.05)
    result = json.loads(child.stdout.read().decode().strip().splitlines()[-1])  # type: ignore[union-attr]
    result["peak_mb"] = peak / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _setup()
    if args.job:
        print(json.dumps(whole_office_job(args.cards)))
        return

    from enrollment.cardrender import cards_pdf

    office = "西安市职工互助保障代办处"
    cards_pdf(list(_cards(8)), office=office)  # fonts loaded once, as in a running server
    started = time.perf_counter()
    one = cards_pdf(list(_cards(1000)), office=office)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    separate = [cards_pdf([card], office=office) for card in _cards(100)]
    theirs = (time.perf_counter() - started) / 100 * 1000  # per 1,000 cards
    separate_mb = sum(len(d) for d in separate) / 100 * 1000 / 1e6

    job = _sampled_job(args.cards)

    print(
        f"1,000 cards as one document:      {ours:6.1f} s  {1000 / ours:6.0f} cards/s  {len(one) / 1e6:5.1f} MB  (goal >= 50/s)"
    )
    print(
        f"1,000 cards one document each:    {theirs:6.1f} s  {1000 / theirs:6.0f} cards/s  {separate_mb:5.1f} MB  (from 100)"
    )
    print(
        f"{args.cards:,} cards in one job:         {job['seconds']:6.1f} s  {args.cards / job['seconds']:6.0f} cards/s  "
        f"{job['mb']:5.1f} MB, peak memory {job['peak_mb']:.0f} MB (goal < 1 GB)"
    )
    print(f"one document / card by card: {theirs / ours:.1f}x faster")


if __name__ == "__main__":
    main()
