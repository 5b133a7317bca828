"""Bank reconciliation: reading the statements banks export, importing them all or nothing,
matching their lines with the books' bank account, and the pages, kept to the office's own."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from finance.bankstatement import StatementError, StatementRow, parse
from finance.models import Account, BankLine, BankStatement, EntryKind, JournalLine
from finance.selectors import bank as bank_reads
from finance.services import reconciliation
from finance.services.ledger import credit, debit, entry_post
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.translations import ROOT, catalogue, chinese_of, msgids_of

TODAY = dates.business_today()
DAY = TODAY - timedelta(days=20)  # the statements' day: in the past, whatever day the tests run
D = Decimal
HEADER = ["交易日期", "收入金额", "支出金额", "对方户名", "摘要", "流水号"]


def _csv(rows: list[list[object]], *, header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([["中国工商银行 账户明细"], ["账号：6222000000000001"], header])
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]], *, above: int = 2, skip_columns: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    for number in range(above):
        sheet.cell(row=number + 1, column=skip_columns + 1, value=f"账户明细 {number}")
    for r, row in enumerate(rows, start=above + 1):
        for c, value in enumerate(row, start=skip_columns + 1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _message(data: bytes, filename: str = "statement.csv") -> str:
    with translation.override("en"), pytest.raises(StatementError) as caught:
        parse(data, filename)
    return caught.value.message


# Reading the layouts banks export -----------------------------------------------------------------


def test_a_two_column_csv_is_read_with_signs_references_and_row_numbers() -> None:
    data = _csv(
        [
            ["2026-03-05", "1,000.00", "", "甲机械厂工会", "保费", "R001"],
            ["2026/3/6", "0.00", "250.5", "乙人民医院", "理赔款", "R002"],
            ["", "", "", "", "", ""],  # blank lines, totals and notes under the lines are skipped
            ["合计", "1000.00", "250.50", "", "", ""],
            ["打印日期：2026-03-08", "", "", "", "", ""],
        ]
    )
    assert parse(data, "工行.CSV") == [
        StatementRow(4, date(2026, 3, 5), D("1000.00"), "R001", "甲机械厂工会", "保费"),
        StatementRow(5, date(2026, 3, 6), D("-250.50"), "R002", "乙人民医院", "理赔款"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_in_utf8_with_or_without_bom_or_in_gb18030_reads_the_same(encoding: str) -> None:
    rows = parse(_csv([["20260305", "12.30", "", "甲工会", "保费", "R1"]], encoding=encoding), "s.csv")
    assert [(r.booked_on, r.amount, r.counterparty) for r in rows] == [(date(2026, 3, 5), D("12.30"), "甲工会")]


def test_a_csv_with_tabs_and_excel_text_cells_is_read() -> None:
    text = '交易日期\t交易金额\t交易流水号\n2026-03-05 10:22:01\t-88.00\t="00012345"\n'
    rows = parse(text.encode("gb18030"), "s.csv")
    assert [(r.booked_on, r.amount, r.reference) for r in rows] == [(date(2026, 3, 5), D("-88.00"), "00012345")]


NAIVE_CELL = datetime(2026, 3, 5, 9, 30)  # noqa: DTZ001 (a spreadsheet cell has no time zone)


def test_an_xlsx_with_one_signed_column_keeps_exact_money_from_number_cells() -> None:
    header = ["记账日期", "交易金额(元)", "对方账户名称", "用途", "交易流水号", "余额"]
    data = _xlsx(
        [
            header,
            [NAIVE_CELL, 0.1 + 0.2, "甲工会", "保费", "T1", 100],
            [date(2026, 3, 6), -1234.56, "乙医院", "理赔", "T2", 0],
            ["2026-03-07", "-1,000.10", "丙", "手续费", "T3", 0],
            [20260308, 7, "丁", "", "T4", 0],
        ],
        above=3,
    )
    rows = parse(data, "建行.xlsx")
    assert [(r.row_number, r.booked_on, r.amount, r.reference) for r in rows] == [
        (5, date(2026, 3, 5), D("0.30"), "T1"),
        (6, date(2026, 3, 6), D("-1234.56"), "T2"),
        (7, date(2026, 3, 7), D("-1000.10"), "T3"),
        (8, date(2026, 3, 8), D("7.00"), "T4"),
    ]
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert rows[0].counterparty == "甲工会" and rows[0].description == "保费"


def test_an_xlsx_with_debit_and_credit_columns_and_a_direction_flag_is_read() -> None:
    two = _xlsx(
        [
            ["交易日期", "借方发生额", "贷方发生额", "摘要"],
            ["2026-03-05", "", 500, "保费"],
            ["2026-03-06", 20, "", "费"],
        ]
    )
    assert [r.amount for r in parse(two, "a.xlsx")] == [D("500.00"), D("-20.00")]
    flagged = _xlsx([["交易日期", "交易金额", "借贷标志"], ["2026-03-05", 500, "贷"], ["2026-03-06", 20, "借"]])
    assert [r.amount for r in parse(flagged, "b.xlsx")] == [D("500.00"), D("-20.00")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.decimals(min_value=D("-99999999999.99"), max_value=D("99999999999.99"), places=2), min_size=1))
def test_amounts_come_back_exactly_from_csv_text_and_from_workbook_number_cells(amounts: list[Decimal]) -> None:
    """A workbook keeps numbers as binary floats: the reader must still give back the fen exactly."""
    amounts = [amount for amount in amounts if amount] or [D("0.01")]
    rows = [["2026-03-05", amount, f"R{n}"] for n, amount in enumerate(amounts)]
    as_text = _csv([[day, str(amount), ref] for day, amount, ref in rows], header=["交易日期", "交易金额", "流水号"])
    as_numbers = _xlsx([["交易日期", "交易金额", "流水号"], *[[day, float(a), ref] for day, a, ref in rows]])
    assert [row.amount for row in parse(as_text, "s.csv")] == amounts
    assert [row.amount for row in parse(as_numbers, "s.xlsx")] == amounts


# Every way a statement is refused names the row and the column --------------------------------------


def test_an_unknown_file_type_is_refused_with_what_to_upload() -> None:
    message = _message(b"%PDF-1.7", "statement.pdf")
    assert "statement.pdf" in message and ".xlsx" in message and ".csv" in message
    assert ".xls" in _message(b"\xd0\xcf\x11\xe0", "old.xls")


@pytest.mark.parametrize(("data", "name"), [(b"not a zip at all", "s.xlsx"), (b"PK\x03\x04broken", "s.xlsx")])
def test_a_damaged_workbook_is_refused_as_unreadable(data: bytes, name: str) -> None:
    assert "cannot be read" in _message(data, name)


def test_a_csv_in_no_known_encoding_is_refused_as_unreadable() -> None:
    assert "cannot be read" in _message(b"\xff\xfe\x80\x80,\x81", "s.csv")


def test_a_file_without_a_header_row_lists_the_headers_expected() -> None:
    message = _message("日期说明\n2026-03-05,100\n".encode(), "s.csv")
    assert "first 10 rows" in message
    assert all(header in message for header in ("交易日期", "收入金额", "支出金额", "交易金额", "对方户名"))


def test_a_missing_money_column_is_named_with_the_header_row() -> None:
    message = _message(_csv([["2026-03-05", "1"]], header=["交易日期", "收入金额"]))
    assert "row 3" in message and "支出金额" in message


def test_a_missing_date_column_is_named() -> None:
    message = _message(_csv([["1", "2"]], header=["收入金额", "支出金额"]))
    assert "row 3" in message and "交易日期" in message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("2026-13-05", "“2026-13-05” is not a date"), ("昨天", "“昨天” is not a date"), ("", "has no date")],
)
def test_a_bad_date_names_the_row_and_the_column(cell: str, expected: str) -> None:
    message = _message(_csv([["2026-03-05", "1", "", "", "", "A"], [cell, "2", "", "", "", "B"]]))
    assert expected in message and "Row 5, column A “交易日期”" in message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12元5角", "“12元5角” is not an amount"),
        ("12.345", "12.345 has more than two decimals"),
        ("-5", "-5.00 is negative"),
        ("99999999999999", "too large"),
    ],
)
def test_a_bad_amount_names_the_row_and_the_column(cell: str, expected: str) -> None:
    message = _message(_csv([["2026-03-05", cell, "", "", "", "A"]]))
    assert expected in message and "Row 4, column B “收入金额”" in message


def test_a_workbook_figure_with_a_third_decimal_is_refused_not_rounded() -> None:
    data = _xlsx([["交易日期", "交易金额"], ["2026-03-05", 12.345]], skip_columns=1)
    assert "Row 4, column C “交易金额”: 12.345 has more than two decimals" in _message(data, "s.xlsx")


def test_a_reference_stored_as_a_number_that_lost_digits_is_refused() -> None:
    data = _xlsx([["交易日期", "交易金额", "流水号"], ["2026-03-05", 1, 20260305123456789012]])
    assert "Row 4, column C “流水号”: the reference is stored as a number" in _message(data, "s.xlsx")


def test_a_row_with_both_income_and_expense_is_refused() -> None:
    message = _message(_csv([["2026-03-05", "10", "20", "", "", "A"]]))
    assert "Row 4 has both money in (10.00 in column B “收入金额”)" in message
    assert "(20.00 in column C “支出金额”)" in message


def test_a_dated_row_without_an_amount_and_a_zero_amount_are_refused() -> None:
    assert "Row 4 has a date but no amount" in _message(_csv([["2026-03-05", "", "", "甲", "", "A"]]))
    assert "Row 4: the amount in B “收入金额”, C “支出金额” is 0" in _message(_csv([["2026-03-05", "0", "0.00"]]))


def test_an_unknown_direction_flag_is_refused() -> None:
    data = _xlsx([["交易日期", "交易金额", "借贷标志"], ["2026-03-05", 500, "?"]])
    assert "Row 4, column C “借贷标志”: “?” does not say" in _message(data, "s.xlsx")


def test_an_empty_statement_is_refused() -> None:
    assert "no lines under its header row (row 3)" in _message(_csv([]))


def test_the_same_line_twice_in_a_file_is_refused_naming_both_rows() -> None:
    line = ["2026-03-05", "100", "", "甲", "保费", "R1"]
    message = _message(_csv([line, ["2026-03-05", "5", "", "", "", "R2"], line]))
    assert "Rows 4 and 6 are the same line twice" in message and "R1" in message


def test_lines_without_a_reference_may_repeat() -> None:
    """Two members paying the same premium on the same day are two lines, not a duplicate."""
    line = ["2026-03-05", "100", "", "甲", "保费", ""]
    assert len(parse(_csv([line, line]), "s.csv")) == 2


# Importing --------------------------------------------------------------------------------------------


@pytest.fixture
def bank(tree: Tree) -> Tree:
    """City A runs the plan, so it keeps books for it."""
    tree.a.with_enrollment(100)
    return tree


def _book(
    tree: Tree, key: str, amount: str, on: date, reference: str = "", office: Organisation | None = None
) -> JournalLine:
    """A posting that moves money through the office's bank account: in when positive."""
    value = D(amount)
    if value > 0:
        kind, legs = EntryKind.PREMIUM_RECEIVED, [debit(Account.BANK, value), credit(Account.PREMIUM_RECEIVABLE, value)]
    else:
        kind, legs = EntryKind.CLAIMS_PAID, [debit(Account.CLAIMS_PAID, -value), credit(Account.BANK, -value)]
    office = office or tree.a.city
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        entry = entry_post(
            actor=tree.a.office_user,
            office=office,
            plan=tree.a.plan,
            kind=kind,
            posted_on=on,
            memo=f"测试 {key}",
            legs=legs,
            key=f"bank-test:{key}",
            bank_reference=reference,
        )
        return entry.lines.get(account=Account.BANK)


def _line(day: date, amount: str, reference: str = "", counterparty: str = "甲工会") -> list[object]:
    value = D(amount)
    return [day.isoformat(), value if value > 0 else "", -value if value < 0 else "", counterparty, "摘要", reference]


def _import(tree: Tree, data: bytes, filename: str = "statement.csv", user: User | None = None) -> BankStatement:
    user = user or tree.a.office_user
    with org_scope(user.org, actor_id=user.pk):
        return reconciliation.statement_import(actor=user, data=data, filename=filename)


def _counts() -> tuple[int, int]:
    with unscoped():
        return BankStatement.objects.count(), BankLine.objects.count()


def _matched(tree: Tree) -> dict[int, int | None]:
    with unscoped():
        return dict(BankLine.objects.filter(org=tree.a.city).values_list("row_number", "matched_id"))


def test_an_import_stores_the_statement_and_its_lines_in_the_office(bank: Tree) -> None:
    statement = _import(bank, _csv([_line(DAY, "100.00", "R1"), _line(DAY, "-30.25", "R2")]), "三月.csv")
    with unscoped():
        lines = list(BankLine.objects.filter(statement=statement).order_by("row_number"))
        statement.refresh_from_db()
    assert statement.org == bank.a.city and statement.line_count == 2 and statement.original_name == "三月.csv"
    assert statement.imported_by == bank.a.office_user and len(statement.sha256) == 64
    assert [(x.row_number, x.amount, x.reference, x.org_id, x.org_path) for x in lines] == [
        (4, D("100.00"), "R1", bank.a.city.pk, bank.a.city.path),
        (5, D("-30.25"), "R2", bank.a.city.pk, bank.a.city.path),
    ]


def test_a_refused_file_stores_nothing(bank: Tree) -> None:
    line = _line(DAY, "100.00", "R1")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _import(bank, _csv([line, _line(DAY, "5.00", "R2"), line]))
    assert "Rows 4 and 6" in caught.value.messages[0]
    assert _counts() == (0, 0)


def test_the_same_file_twice_is_refused(bank: Tree) -> None:
    data = _csv([_line(DAY, "100.00", "R1")])
    _import(bank, data, "第一次.csv")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _import(bank, data, "第二次.csv")
    assert "already imported" in caught.value.messages[0] and "第一次.csv" in caught.value.messages[0]
    assert _counts() == (1, 1)


def test_a_line_already_imported_with_another_statement_is_refused(bank: Tree) -> None:
    _import(bank, _csv([_line(DAY, "100.00", "R1")]), "三月.csv")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _import(bank, _csv([_line(DAY, "7.00", "R9"), _line(DAY, "100.00", "R1")]), "一季度.csv")
    assert "Row 5" in caught.value.messages[0] and "三月.csv" in caught.value.messages[0]
    assert _counts() == (1, 1)


def test_only_finance_staff_import_and_only_into_their_own_office(bank: Tree) -> None:
    agent = bank.a.county_agent  # reads the books of the agent point, posts nothing
    with pytest.raises(PermissionDenied):
        _import(bank, _csv([_line(DAY, "100.00", "R1")]), user=agent)
    statement = _import(bank, _csv([_line(DAY, "100.00", "R1")]), user=bank.b.office_user)
    assert statement.org == bank.b.city
    with org_scope(bank.a.city):
        assert not BankStatement.objects.filter(org=bank.a.city).exists()


# Matching ---------------------------------------------------------------------------------------------


def test_a_line_is_matched_by_its_reference_and_amount_whatever_the_date(bank: Tree) -> None:
    by_reference = _book(bank, "ref", "100.00", DAY - timedelta(days=10), reference="R1")
    _book(bank, "closer", "100.00", DAY)  # same amount, same day, no reference: not preferred
    _import(bank, _csv([_line(DAY, "100.00", "R1")]))
    assert _matched(bank) == {4: by_reference.pk}


def test_a_reference_with_another_amount_does_not_match(bank: Tree) -> None:
    _book(bank, "ref", "99.00", DAY, reference="R1")
    _import(bank, _csv([_line(DAY, "100.00", "R1")]))
    assert _matched(bank) == {4: None}


def test_lines_are_matched_by_amount_within_three_days_and_not_beyond(bank: Tree) -> None:
    three_before = _book(bank, "a", "50.00", DAY - timedelta(days=3))
    _book(bank, "b", "60.00", DAY - timedelta(days=4))
    three_after = _book(bank, "c", "-70.00", DAY + timedelta(days=3))
    _book(bank, "d", "80.00", DAY + timedelta(days=4))
    _book(bank, "e", "90.00", DAY)  # money in; the bank shows money out
    statement = _csv(
        [_line(DAY, "50.00"), _line(DAY, "60.00"), _line(DAY, "-70.00"), _line(DAY, "80.00"), _line(DAY, "-90.00")]
    )
    _import(bank, statement)
    assert _matched(bank) == {4: three_before.pk, 5: None, 6: three_after.pk, 7: None, 8: None}


def test_a_ledger_line_is_matched_once_to_the_closest_line_then_the_lowest_id(bank: Tree) -> None:
    first = _book(bank, "first", "100.00", DAY + timedelta(days=1))
    second = _book(bank, "second", "100.00", DAY - timedelta(days=1))
    third = _book(bank, "third", "100.00", DAY + timedelta(days=2))
    _import(
        bank,
        _csv(
            [_line(DAY, "100.00", "X1"), _line(DAY, "100.00", "X2"), _line(DAY, "100.00", "X3"), _line(DAY, "100.00")]
        ),
    )
    matched = _matched(bank)
    assert matched == {4: first.pk, 5: second.pk, 6: third.pk, 7: None}
    assert len({v for v in matched.values() if v}) == 3


def test_matching_again_matches_what_was_posted_since_and_nothing_twice(bank: Tree) -> None:
    _import(bank, _csv([_line(DAY, "100.00", "R1"), _line(DAY, "-20.00", "R2")]))
    assert _matched(bank) == {4: None, 5: None}
    later = _book(bank, "later", "-20.00", DAY + timedelta(days=1))
    with org_scope(bank.a.city, actor_id=bank.a.office_user.pk):
        assert reconciliation.bank_lines_rematch(actor=bank.a.office_user) == 1
        assert reconciliation.bank_lines_match(office=bank.a.city) == 0
    assert _matched(bank) == {4: None, 5: later.pk}


def test_the_unmatched_lists_show_both_sides_within_the_statements_period(bank: Tree) -> None:
    matched = _book(bank, "m", "100.00", DAY)
    books_only = _book(bank, "books-only", "-45.00", DAY + timedelta(days=2))
    _book(bank, "before", "300.00", DAY - timedelta(days=30))  # before the statements: not a difference
    _book(bank, "after", "400.00", DAY + timedelta(days=10))  # after them: not yet a difference
    _import(bank, _csv([_line(DAY, "100.00"), _line(DAY, "12.34", "BANK-ONLY"), _line(DAY + timedelta(days=5), "1")]))
    with org_scope(bank.a.city):
        bank_only = list(bank_reads.bank_line_unmatched_list(office=bank.a.city))
        ledger_only = list(bank_reads.ledger_line_unmatched_list(office=bank.a.city))
        summary = bank_reads.reconciliation_get(office=bank.a.city)
    assert [(x.reference, x.amount) for x in bank_only] == [("BANK-ONLY", D("12.34")), ("", D("1.00"))]
    assert [x.pk for x in ledger_only] == [books_only.pk] and matched.pk not in [x.pk for x in ledger_only]
    assert (summary.in_bank_only.count, summary.in_bank_only.total) == (2, D("13.34"))
    assert (summary.in_books_only.count, summary.in_books_only.total) == (1, D("-45.00"))


def test_a_wrong_match_is_undone_and_the_line_matched_by_hand(bank: Tree) -> None:
    wrong = _book(bank, "wrong", "100.00", DAY)
    right = _book(bank, "right", "100.00", DAY - timedelta(days=9), reference="其他")
    _import(bank, _csv([_line(DAY, "100.00")]))
    user = bank.a.office_user
    with org_scope(bank.a.city, actor_id=user.pk):
        line = BankLine.objects.get(org=bank.a.city)
        assert line.matched_id == wrong.pk
        reconciliation.bank_line_unmatch(actor=user, bank_line=line)
        line.refresh_from_db()
        assert line.matched_id is None
        reconciliation.bank_line_match(actor=user, bank_line=line, ledger_line=right)
        line.refresh_from_db()
        assert line.matched_id == right.pk


def test_a_match_by_hand_refuses_another_amount_another_office_and_a_line_taken(bank: Tree) -> None:
    taken = _book(bank, "taken", "5.00", DAY)
    other_amount = _book(bank, "other", "99.00", DAY - timedelta(days=20))
    agent_point = _book(bank, "county", "100.00", DAY, office=bank.a.county)
    _import(bank, _csv([_line(DAY, "100.00"), _line(DAY, "5.00")]))
    user = bank.a.office_user
    with org_scope(bank.a.city, actor_id=user.pk), translation.override("en"):
        line = BankLine.objects.get(org=bank.a.city, row_number=4)
        with pytest.raises(ValidationError, match="amounts differ"):
            reconciliation.bank_line_match(actor=user, bank_line=line, ledger_line=other_amount)
        with pytest.raises(PermissionDenied):
            reconciliation.bank_line_match(actor=user, bank_line=line, ledger_line=agent_point)
        with pytest.raises(PermissionDenied):
            reconciliation.bank_line_match(actor=bank.a.county_agent, bank_line=line, ledger_line=agent_point)
        other_line = BankLine.objects.get(org=bank.a.city, row_number=5)
        assert other_line.matched_id == taken.pk
        other_line.matched = None
        with pytest.raises(ValidationError, match="already matched"):
            reconciliation.bank_line_match(actor=user, bank_line=other_line, ledger_line=taken)
        assert BankLine.objects.get(pk=line.pk).matched_id is None


def test_the_database_refuses_a_ledger_line_matched_twice(bank: Tree) -> None:
    taken = _book(bank, "taken", "5.00", DAY)
    _import(bank, _csv([_line(DAY, "5.00", "A"), _line(DAY, "5.00", "B")]))
    with unscoped(), pytest.raises(IntegrityError), transaction.atomic():
        BankLine.objects.filter(matched__isnull=True).update(matched=taken)


# Pages ------------------------------------------------------------------------------------------------


def _in_chinese(msgid: str) -> str:
    """What the catalogue gives: the Chinese of the .po once `compilemessages` has run, the
    English msgid before."""
    with translation.override("zh-hans"):
        found = translation.gettext(msgid)
    assert found in (msgid, catalogue()[msgid])
    return found


def _upload(client: Client, data: bytes, name: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("finance:bank_list"), {"file": upload})


def test_an_upload_shows_the_unmatched_tables_in_chinese(bank: Tree) -> None:
    _book(bank, "books-only", "-45.00", DAY)
    client = Client()
    client.force_login(bank.a.office_user)
    response = _upload(client, _csv([_line(DAY, "12.34", "BANK-ONLY")]), "三月对账单.csv")
    with unscoped():
        statement = BankStatement.objects.get(org=bank.a.city)
    assert response.status_code == 302 and response["Location"] == reverse(
        "finance:bank_detail", kwargs={"statement_pk": statement.pk}
    )
    detail = client.get(response["Location"]).content.decode()
    assert "三月对账单.csv" in detail and "BANK-ONLY" in detail
    page = client.get(reverse("finance:bank_list")).content.decode()
    assert 'lang="zh-hans"' in page and "金额（元）" in page
    assert _in_chinese("In the bank, not in the books") in page
    assert _in_chinese("In the books, not in the bank") in page
    bank_side = page.split('data-testid="in-bank-only"')[1].split("</table>")[0]
    books_side = page.split('data-testid="in-books-only"')[1].split("</table>")[0]
    assert "BANK-ONLY" in bank_side and "12.34" in bank_side
    assert "-45.00" in books_side and "BANK-ONLY" not in books_side


def test_a_refused_upload_shows_the_reason_on_the_page_and_saves_nothing(bank: Tree) -> None:
    client = Client()
    client.force_login(bank.a.office_user)
    client.post(reverse("set_language"), {"language": "en"})
    response = _upload(client, _csv([_line(DAY, "100.00", "R1"), _line(DAY, "100.00", "R1")]), "bad.csv")
    assert response.status_code == 200
    assert "Rows 4 and 5 are the same line twice" in response.content.decode()
    assert _counts() == (0, 0)


def test_lines_are_matched_and_unmatched_by_hand_on_the_statement_page(bank: Tree) -> None:
    ledger = _book(bank, "far", "100.00", DAY - timedelta(days=15))
    statement = _import(bank, _csv([_line(DAY, "100.00")]))
    with unscoped():
        line = BankLine.objects.get(statement=statement)
    client = Client()
    client.force_login(bank.a.office_user)
    url = reverse("finance:bank_detail", kwargs={"statement_pk": statement.pk})
    assert f'<option value="{ledger.pk}">' in client.get(url).content.decode()
    client.post(url, {"action": "match", "bank_line": line.pk, "ledger_line": ledger.pk})
    line.refresh_from_db()
    assert line.matched_id == ledger.pk
    assert reverse("finance:entry", kwargs={"entry_pk": ledger.entry_id}) in client.get(url).content.decode()
    client.post(url, {"action": "unmatch", "bank_line": line.pk})
    line.refresh_from_db()
    assert line.matched_id is None


def test_the_reconciliation_page_takes_the_same_queries_for_more_lines(
    bank: Tree, django_assert_num_queries: Any
) -> None:
    client = Client()
    client.force_login(bank.a.office_user)
    url = reverse("finance:bank_list")
    _import(bank, _csv([_line(DAY, "1.00", "A")]), "one.csv")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        _book(bank, f"n{n}", f"-{n + 2}.00", DAY)
    _import(bank, _csv([_line(DAY, f"{n + 10}.00", f"B{n}") for n in range(5)]), "five.csv")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_sibling_office_neither_sees_nor_changes_our_statements(bank: Tree) -> None:
    ledger = _book(bank, "ours", "100.00", DAY - timedelta(days=15))
    statement = _import(bank, _csv([_line(DAY, "100.00", "甲XA-SECRET-REF")]), "甲XA对账单.csv")
    with unscoped():
        line = BankLine.objects.get(statement=statement)
    stranger = Client()
    stranger.force_login(bank.b.office_user)
    url = reverse("finance:bank_detail", kwargs={"statement_pk": statement.pk})
    assert stranger.get(url).status_code == 404
    for action in ("match", "unmatch"):
        response = stranger.post(url, {"action": action, "bank_line": line.pk, "ledger_line": ledger.pk})
        assert response.status_code == 404
    listing = stranger.get(reverse("finance:bank_list")).content.decode()
    assert "甲XA-SECRET-REF" not in listing and "甲XA对账单.csv" not in listing
    response = _upload(stranger, _csv([_line(DAY, "100.00", "B1")]), "乙.csv")
    assert response.status_code == 302
    with unscoped():
        assert BankStatement.objects.get(original_name="乙.csv").org == bank.b.city
        assert list(BankStatement.objects.filter(org=bank.a.city)) == [statement]
        line.refresh_from_db()
    assert line.matched_id is None


# Translations -----------------------------------------------------------------------------------------

SOURCES = (
    "finance/bankstatement.py",
    "finance/services/reconciliation.py",
    "finance/selectors/bank.py",
    "finance/views/bank.py",
    "finance/views/base.py",
)
TEMPLATES = ("finance/templates/finance/bank_list.html", "finance/templates/finance/bank_detail.html")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _template_msgids(path: str) -> set[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    found = set(re.findall(r'{% translate "([^"]+)" %}', text))
    found |= set(re.findall(r"{% translate '([^']+)' %}", text))
    for block in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.DOTALL):
        for part in block.split("{% plural %}"):
            found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", part))
    return found


def test_every_message_of_bank_reconciliation_has_chinese_with_the_same_placeholders() -> None:
    msgids: set[str] = set()
    for source in SOURCES:
        msgids |= set(msgids_of(source, frozenset({"_", "gettext_lazy"}), strict=True))
    for template in TEMPLATES:
        msgids |= _template_msgids(template)
    table = chinese_of(msgids)
    assert msgids <= set(table), sorted(msgids - set(table))
    for msgid in msgids:
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(table[msgid])), msgid
        assert "%" not in PLACEHOLDER.sub("", table[msgid]), msgid


def test_messages_come_out_in_chinese_when_the_catalogue_has_them() -> None:
    with translation.override("zh-hans"), pytest.raises(StatementError) as caught:
        parse(b"x", "a.pdf")
    english = catalogue()
    key = next(k for k in english if k.startswith("“%(name)s” is not a statement"))
    assert caught.value.message in (english[key] % {"name": "a.pdf"}, key % {"name": "a.pdf"})
