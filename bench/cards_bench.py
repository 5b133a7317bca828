"""Benchmark: member cards into one PDF (README, Speed, "Member cards"; issue 20's goal: at
least 200 cards/s using both cores, 10,000 cards under 600 MB for the whole process tree).

    .venv/bin/python bench/cards_bench.py [--cards 10000] [--processes N] [--document-cards N]

Prints, from one run, with the machine's load average before and after:

- ours: 1,000 cards and `--cards` cards (10,000) into one PDF as the print job makes them
  (enrollment/services/cards.py, `_one_pdf`, without the database): documents of up to 192 cards
  drawn side by side by `--processes` renderers (CARD_RENDER_PROCESSES: 2 on two cores), each
  forked warm from a fork server and ending with its document, joined in order with pypdf.
  Each job runs in a fresh process standing for a worker, after a first job of 8 cards that
  starts the worker's fork server (its time is printed too). The memory of the whole process
  tree (the job, the fork server and its resource tracker, the renderers) is sampled every 50 ms:
  the peak of the sum of their PSS (what the machine holds: a page shared by the fork server and
  its renderers counted once) and of their RSS (each shared page counted once per process).
- the same 1,000 cards with one renderer: what the second core brings.
- the alternative, card by card: one document per card (timed on 100, per 1,000).
- the floor: WeasyPrint's own drawing of the 1,000 cards as one document in a warm process,
  divided by the renderers: perfect use of the cores, no process to start, nothing to join.
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
OFFICE = "西安市职工互助保障代办处"


def _setup() -> None:
    os.chdir(ROOT)  # the renderers' fork server imports the app from the working directory
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


def whole_office_job(count: int, processes: int, most: int | None) -> dict[str, float]:
    """What the print job does (enrollment/services/cards.py, `_one_pdf`), without the database:
    documents drawn side by side, joined in order into one PDF as each is done."""
    from pypdf import PdfReader, PdfWriter

    from enrollment.cardrender import cards_pdf_chunks, document_size

    started = time.perf_counter()
    writer = PdfWriter()
    size = document_size(count, processes, most)
    busy = cpu = 0.0
    renderers = set()
    for document in cards_pdf_chunks(_cards(count), office=OFFICE, chunk=size, processes=processes):
        writer.append(io.BytesIO(document.pdf))
        busy += document.ended - document.started
        cpu += document.cpu
        renderers.add(document.process)
    buffer = io.BytesIO()
    writer.write(buffer)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "mb": len(buffer.getvalue()) / 1e6,
        "pages": len(PdfReader(buffer).pages),
        "documents": len(renderers),
        "document_cards": size,
        "busy": busy / (max(processes, 1) * seconds),  # the renderers' share of the wall time
        "cpu_ms": 1000 * cpu / count,  # the renderers' processor time per card
        "job_cpu_ms": 1000 * time.process_time() / count,  # the job's own (joining), per card
    }


def _sampled_job(count: int, processes: int, most: int | None) -> dict[str, float]:
    """Run the job in a fresh process and sample the memory of its whole process tree every 50 ms."""
    import psutil

    child = subprocess.Popen(
        [sys.executable, __file__, "--job", "--cards", str(count), "--processes", str(processes)]
        + (["--document-cards", str(most)] if most else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    tree = psutil.Process(child.pid)
    rss = pss = 0
    samples = 0
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            members = [tree, *tree.children(recursive=True)]
            rss = max(rss, sum(_quietly(lambda p: p.memory_info().rss, members)))
            if samples % 4 == 0:  # PSS reads /proc/<pid>/smaps_rollup: every 200 ms
                pss = max(pss, sum(_quietly(lambda p: p.memory_full_info().pss, members)))
        samples += 1
        time.sleep(0.05)
    result = json.loads(child.stdout.read().decode().strip().splitlines()[-1])  # type: ignore[union-attr]
    result.update(rss_mb=rss / 2**20, pss_mb=pss / 2**20)
    return result


def _quietly(read, processes):  # type: ignore[no-untyped-def]
    """The reading of each process still there (a renderer may end between two lines)."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            yield read(process)


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _job_lines(label: str, count: int, job: dict[str, float], goal: str) -> str:
    return (
        f"{label:<34} {job['seconds']:6.1f} s {count / job['seconds']:6.0f} cards/s  {goal}\n"
        f"{'':<34} {job['pages']:.0f} pages in one PDF of {job['mb']:.1f} MB, {job['documents']:.0f} documents of "
        f"{job['document_cards']:.0f} cards; renderers busy {100 * job['busy']:.0f}% of the time, "
        f"{job['cpu_ms']:.1f} ms of processor a card\n"
        f"{'':<34} peak memory of the process tree {job['pss_mb']:.0f} MB (PSS), {job['rss_mb']:.0f} MB (RSS summed); "
        f"the worker's first job, which starts the fork server, {job['first_job']:.1f} s for 8 cards"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=10_000, help="cards of the large job (default 10,000)")
    parser.add_argument(
        "--processes", type=int, default=None, help="renderers side by side (default: CARD_RENDER_PROCESSES, 2)"
    )
    parser.add_argument(
        "--document-cards", type=int, default=None, help="most cards to a document (default: the job's, 192)"
    )
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _setup()
    from django.conf import settings

    processes = settings.CARD_RENDER_PROCESSES if args.processes is None else args.processes
    most = args.document_cards
    if args.job:  # a worker process: its first job starts the fork server, the next ones find it
        first = whole_office_job(8, processes, most)["seconds"]
        print(json.dumps({**whole_office_job(args.cards, processes, most), "first_job": first}))
        return

    print(f"before: {_load()}; {os.cpu_count()} cores", flush=True)
    small = _sampled_job(1000, processes, most)
    large = _sampled_job(args.cards, processes, most)
    single = _sampled_job(1000, 1, most)

    import gc

    from enrollment import carddraw
    from enrollment.cardrender import cards_html, cards_pdf

    carddraw.warm()  # as in a renderer: fonts open, no garbage collection
    html = cards_html(list(_cards(1000)), office=OFFICE)
    gc.disable()
    floor = carddraw.draw(html)
    gc.enable()
    floor_seconds = (floor.ended - floor.started) / max(processes, 1)

    started = time.perf_counter()
    separate = [cards_pdf([card], office=OFFICE) for card in _cards(100)]
    theirs = (time.perf_counter() - started) / 100 * 1000  # per 1,000 cards
    separate_mb = sum(len(d) for d in separate) / 100 * 1000 / 1e6

    print(_job_lines(f"ours, 1,000 cards, {processes} renderers", 1000, small, "(goal >= 200/s)"))
    print(
        _job_lines(f"ours, {args.cards:,} cards, {processes} renderers", args.cards, large, "(goal >= 200/s, < 600 MB)")
    )
    print(_job_lines("ours, 1,000 cards, 1 renderer", 1000, single, ""))
    print(
        f"{'card by card, one document each':<34} {theirs:6.1f} s {1000 / theirs:6.0f} cards/s  ({separate_mb:.1f} MB, from 100)"
    )
    print(
        f"{f'floor, WeasyPrint alone / {processes}':<34} {floor_seconds:6.1f} s {1000 / floor_seconds:6.0f} cards/s  "
        f"(1,000 cards as one document in a warm process, {1000 * floor.cpu / 1000:.1f} ms of processor a card)"
    )
    print(
        f"1,000 cards: {theirs / small['seconds']:.1f}x faster than card by card, "
        f"{single['seconds'] / small['seconds']:.2f}x one renderer, {small['seconds'] / floor_seconds:.2f}x the floor"
    )
    print(f"after: {_load()}")


if __name__ == "__main__":
    main()
