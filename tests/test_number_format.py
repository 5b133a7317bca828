"""One number format wherever a person reads a figure: a template never prints a raw amount, share
or date; the overview's page, PDF and workbook agree (89.5%, 2,500.00); a calculation line says
its amounts as its line amounts are shown."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from django.template import Context, Template
from openpyxl import load_workbook

from claims.benefits import explain
from reporting import exports

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for pattern in ("*/templates/**/*.html", "templates/**/*.html")
    for path in ROOT.glob(pattern)
    if ".venv" not in path.parts and "node_modules" not in path.parts
)
MONEY_FIELDS = {
    "amount", "premium", "payout", "unit_part", "union_part", "member_part", "premium_per_share",
    "subsidy_amount", "amount_due", "amount_remitted", "outstanding", "debit", "credit", "opening",
    "closing", "actual", "issue_premium", "insurance_paid", "deductible_part", "self_paid", "budget",
    "difference", "large_claim_amount", "premium_year", "paid_year", "premium_all", "paid_all",
}  # fmt: skip
SHARE_FIELDS = {"loss_ratio", "completion_people", "completion_premium", "coverage", "growth", "renewal"}
# Figures a view has already put in the one format (reporting/views/dashboard.py formats its rows
# with mutualaid.numbers, so the dashboard prints text, not numbers).
FORMATTED_IN_THE_VIEW = {"reporting/dashboard.html"}
# A target's coverage rate is typed in percent ("85.5") and shown as typed, with its % sign.
AS_TYPED = {("reporting/targets.html", "row.coverage")}
BLOCK = re.compile(r"(\{% blocktranslate[^%]*%\})(.*?)(\{% endblocktranslate %\})", re.S)
OUTPUT = re.compile(r"\{\{\s*([\w.]+)\s*((?:\|[^}]*)?)\}\}|\bwith\b([^%]*)%\}")
WITH_ARG = re.compile(r"(\w+)=([\w.]+)((?:\|[\w:\"']+)*)")


def _in_attribute(text: str, at: int) -> bool:
    """Inside an HTML attribute's value (value="{{ x }}", href="...?month={{ m }}"): a machine reads it."""
    line_start = text.rfind("\n", 0, at) + 1
    before = text[line_start:at]
    return bool(re.search(r'(?:value|href|max|min|data-[\w-]+|action)="[^"]*$', before))


def _outputs(text: str) -> list[tuple[int, str, str]]:
    """Each figure a template prints: `{{ x|filters }}` and `{% blocktranslate with y=x|filters %}`
    (the placeholders inside a blocktranslate are the `with` values, checked there)."""
    text = BLOCK.sub(lambda m: m.group(1) + " " * len(m.group(2)) + m.group(3), text)
    found = []
    for match in OUTPUT.finditer(text):
        if match.group(1):
            found.append((match.start(), match.group(1), match.group(2)))
        else:
            for arg in WITH_ARG.finditer(match.group(3)):
                found.append((match.start(), arg.group(2), arg.group(3)))
    return found


def test_no_template_prints_a_raw_amount_share_or_date() -> None:
    problems = []
    for path in TEMPLATES:
        text = path.read_text()
        name = str(path.relative_to(ROOT)).split("/templates/", 1)[-1]
        if "¥{{" in text:
            problems.append(f"{name}: ¥ before a figure; money reads 2,500.00 (the header says 元)")
        for at, expr, filters in _outputs(text):
            line = text.count("\n", 0, at) + 1
            last = expr.rsplit(".", 1)[-1]
            if _in_attribute(text, at):
                continue
            if re.search(r"\|date:[\"']Y-m", filters):
                problems.append(f"{name}:{line}: {expr}{filters}: a date a person reads is |cn_date, |cn_month")
            if name in FORMATTED_IN_THE_VIEW or (name, expr) in AS_TYPED or expr.startswith("form."):
                continue
            if last in MONEY_FIELDS and "|money" not in filters and "|capitals" not in filters:
                problems.append(f"{name}:{line}: {expr} is money: {{{{ {expr}|money }}}}")
            if last in SHARE_FIELDS and "|percent" not in filters:
                problems.append(f"{name}:{line}: {expr} is a share: {{{{ {expr}|percent }}}}")
    assert not problems, "\n".join(problems)


def test_the_check_finds_what_it_is_for() -> None:
    """The scan above flags a raw amount, a share and a date, and lets machine values through."""
    text = (
        "<td>{{ claim.payout }}</td>{% blocktranslate with m=row.loss_ratio %}{{ m }}{% endblocktranslate %}"
        '<input value="{{ a.amount }}">'
    )
    found = {(expr, filters) for at, expr, filters in _outputs(text) if not _in_attribute(text, at)}
    assert found == {("claim.payout", ""), ("row.loss_ratio", "")}


def test_filters_and_helpers_give_the_same_text() -> None:
    template = Template(
        "{% load numbers %}{{ a|money }} {{ s|percent }} {{ d|cn_date }} {{ m|cn_month }} {{ n|count }}"
    )
    from datetime import date

    context = Context({"a": Decimal("2500"), "s": "1.8951", "d": date(2026, 12, 6), "m": "2026-11", "n": 12345})
    assert template.render(context) == "2,500.00 189.5% 2026年12月6日 2026年11月 12,345"


def _figures() -> dict[str, object]:
    row = {
        "office_name": "甲县",
        "plan_name": "住院互助",
        "remittance": None,
        "people_all": 1200,
        "people_year": 1000,
        "shares_all": 1300,
        "shares_year": 1100,
        "premium_all": "3000.00",
        "premium_year": "2500.00",
        "target_people": 1100,
        "completion_people": "0.9091",
        "claims_all": 12,
        "paid_all": "4737.75",
        "claims_year": 10,
        "paid_year": "4737.75",
        "loss_ratio": "1.8951",
    }
    return {"office": {"id": 1, "name": "甲市"}, "month": "2026-11", "rows": [row], "totals": []}


def test_the_overview_workbook_holds_numbers_in_the_product_formats_and_the_pdf_prints_them_alike() -> None:
    figures = _figures()
    sheet = load_workbook(io.BytesIO(exports.overview_workbook(figures))).active
    assert sheet is not None
    headers = {cell.value: cell.column for cell in sheet[3]}
    loss = sheet.cell(row=4, column=headers["赔付率"])
    premium = sheet.cell(row=4, column=headers["本年保费"])
    people = sheet.cell(row=4, column=headers["本年参保人数"])
    assert (Decimal(str(loss.value)), loss.number_format) == (Decimal("1.8951"), "0.0%")
    assert (Decimal(str(premium.value)), premium.number_format) == (Decimal("2500.00"), "#,##0.00")
    assert (people.value, people.number_format) == (1000, "#,##0")
    # The 历年份数 column of the seeds' 一览表 (seed 000): shares over all years.
    shares = sheet.cell(row=4, column=headers["历年份数"])
    assert (shares.value, shares.number_format) == (1300, "#,##0")
    assert "2026年11月" in str(sheet.cell(row=1, column=1).value)
    assert exports.display("1.8951", "0.0%") == "189.5%"
    assert exports.display("2500.00", "#,##0.00") == "2,500.00"
    assert exports.display(None, "#,##0") == "—"


def test_a_calculation_line_says_amounts_as_the_line_amounts_are_shown() -> None:
    label = explain.segment(Decimal("0"), Decimal("5000"), Decimal("0.8"))
    assert "0.00" in label and "5,000.00" in label and "80.0%" in label
    assert "1,830.392" in explain.rounded("x", Decimal("1830.392"), "yuan_down")  # the exact figure stays exact
