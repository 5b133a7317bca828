"""Statements (page, xlsx, PDF), budgets against actuals, and the finance API.

City A's agent point (its county) books each policy's premium as receivable when the policy is
issued; the tests add entries of their own through finance.services.ledger.entry_post, so every figure the
statements and budgets show can be worked out by hand here.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.authtoken.models import Token

from finance.models import Account, Budget, EntryKind, JournalEntry, PaymentKind
from finance.selectors.budgets import budget_execution_list
from finance.services.budgets import budget_set
from finance.services.ledger import credit, debit, entry_post
from finance.services.payments import payment_approve, payment_prepare
from mutualaid import dates
from mutualaid.numbers import month_text
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import City, Tree
from tests.factories import UserFactory
from tests.translations import ROOT, catalogue, chinese_of, msgids_of

D = Decimal
ZH = catalogue()
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _chinese_or_not_yet_compiled(text: str, msgid: str) -> bool:
    """Before `compilemessages` has run, the catalogue falls back to English."""
    return text in (ZH[msgid], msgid)


def _post(city: City, office, on: date, legs, memo: str = "测试凭证", kind: str = EntryKind.PREMIUM_RECEIVED):  # type: ignore[no-untyped-def]
    with org_scope(city.city, actor_id=city.office_user.pk):
        return entry_post(
            actor=city.office_user,
            office=office,
            plan=city.plan,
            kind=kind,
            posted_on=on,
            memo=memo,
            legs=legs,
            key=f"test:{office.pk}:{on}:{memo}",
        )


def _this_month() -> date:
    return dates.month_start(dates.business_today())


def _policy_entry(city: City) -> JournalEntry:
    with unscoped():
        return JournalEntry.objects.get(idempotency_key=f"policy:{city.policy.pk}")


@pytest.fixture
def books(tree: Tree) -> Tree:
    """City A's county books: the policy's premium receivable (this month), 1,234.56 received
    into the bank last month and 40.00 of this month's premium received this month."""
    tree.a.with_enrollment(100)
    last_month = _this_month() - timedelta(days=1)
    _post(
        tree.a,
        tree.a.county,
        last_month,
        [debit(Account.BANK, D("1234.56")), credit(Account.DUE_TO_ABOVE, D("1234.56"))],
        "上月到账",
    )
    _post(
        tree.a,
        tree.a.county,
        dates.business_today(),
        [debit(Account.BANK, D("40.00")), credit(Account.PREMIUM_RECEIVABLE, D("40.00"))],
        "本月到账",
    )
    return tree


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _token_client(user) -> Client:  # type: ignore[no-untyped-def]
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _total_row(sheet):  # type: ignore[no-untyped-def]
    return next(r for r in sheet.iter_rows(min_row=4) if r[0].value in ("合计", "Total"))


def _figures(cells) -> list[Decimal]:  # type: ignore[no-untyped-def]
    """Money cells as read back (openpyxl gives floats), as Decimals of cents."""
    return [D(str(c.value or 0)).quantize(D("0.01")) for c in cells]


def _query(city: City, **extra: object) -> dict[str, object]:
    return {"office": city.county.pk, "month": f"{_this_month():%Y-%m}", **extra}


# --- Statement: xlsx ----------------------------------------------------------------------------


def test_the_statement_workbook_has_its_title_chinese_headers_each_entry_line_and_totals_that_add_up(
    books: Tree,
) -> None:
    city = books.a
    entry = _policy_entry(city)
    premium = city.policy.premium
    response = _client(city.office_user).get(reverse("finance:statement_xlsx"), _query(city))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    balances, entries, kinds = book.worksheets
    assert kinds.title in {"按类别的收支", "Payments and income by kind"}

    title = balances["A1"].value
    # The month as a person reads it (2026年12月), as on every page; the file's name keeps YYYY-MM.
    assert city.county.name in title and month_text(_this_month()) in title
    assert ZH["All plans"] in title or "All plans" in title
    headers = [c.value for c in balances[3]]
    msgids = [
        "Account code",
        "Account",
        "Opening debit",
        "Opening credit",
        "Debits of the month",
        "Credits of the month",
        "Closing debit",
        "Closing credit",
    ]
    assert all(_chinese_or_not_yet_compiled(h, m) for h, m in zip(headers, msgids, strict=True)), headers

    rows = {r[0].value: r for r in balances.iter_rows(min_row=4) if r[0].value and r[0].value[0].isdigit()}
    bank = rows[Account.BANK]
    zero = D("0.00")
    assert _figures(bank[2:]) == [D("1234.56"), zero, D("40.00"), zero, D("1274.56"), zero]
    receivable = rows[Account.PREMIUM_RECEIVABLE]
    assert _figures(receivable[2:]) == [zero, zero, premium, D("40.00"), premium - D("40.00"), zero]
    due = rows[Account.DUE_TO_ABOVE]
    assert _figures(due[2:]) == [zero, D("1234.56"), zero, premium, zero, D("1234.56") + premium]
    assert bank[2].number_format == "#,##0.00" and bank[0].number_format == "@"
    total = _total_row(balances)
    totals = _figures(total[2:])
    assert totals == [sum(column, zero) for column in zip(*(_figures(r[2:]) for r in rows.values()), strict=True)]
    assert totals[0] == totals[1] and totals[2] == totals[3] and totals[4] == totals[5]  # the books balance

    assert city.county.name in entries["A1"].value
    lines = [r for r in entries.iter_rows(min_row=4) if r[0].value == entry.number]
    assert [(r[5].value, *_figures(r[7:9])) for r in lines] == [
        (Account.PREMIUM_RECEIVABLE, premium, zero),
        (Account.DUE_TO_ABOVE, zero, premium),
    ]
    assert lines[0][0].data_type == "s" and lines[0][0].number_format == "@"
    assert lines[0][7].number_format == "#,##0.00"
    entry_total = _total_row(entries)
    body = [r for r in entries.iter_rows(min_row=4) if r[0].value and r[0].value.startswith("JZ")]
    debits, credits = _figures(entry_total[7:9])
    assert debits == sum((_figures(r[7:8])[0] for r in body), zero) == premium + D("40.00") == credits


def test_a_plan_filter_and_a_month_without_entries_still_give_a_balanced_statement(books: Tree) -> None:
    city = books.a
    response = _client(city.office_user).get(
        reverse("finance:statement_xlsx"),
        _query(city, plan=city.plan.pk, month=f"{_this_month() + timedelta(days=40):%Y-%m}"),
    )
    balances, entries, _kinds = load_workbook(io.BytesIO(response.content)).worksheets
    assert city.plan.name in balances["A1"].value
    total = _total_row(balances)
    # Next month: no entry, every balance carried over as opening and closing.
    assert total[4].value == total[5].value == 0
    assert total[2].value == total[3].value == total[6].value == total[7].value
    assert not [r for r in entries.iter_rows(min_row=4) if r[0].value and str(r[0].value).startswith("JZ")]


# --- Statement: PDF and page -----------------------------------------------------------------


def test_the_statement_pdf_names_the_office_and_month_and_shows_each_entry_number(books: Tree) -> None:
    city = books.a
    entry = _policy_entry(city)
    response = _client(city.office_user).get(reverse("finance:statement_pdf"), _query(city))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert city.county.name in text and month_text(_this_month()) in text
    assert "保障项目：" in text and "保障项目:" not in text  # a full-width colon in Chinese
    assert entry.number in text and "1,234.56" in text
    box = reader.pages[0].mediabox
    assert box.width > box.height  # A4 landscape
    assert "1 / " in text  # page numbers


def test_the_statement_page_shows_the_figures_and_links_both_downloads_in_few_queries(
    books: Tree, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    city = books.a
    for n in range(5):  # more entries must not mean more queries
        _post(
            city,
            city.county,
            dates.business_today(),
            [debit(Account.BANK, D("1.00")), credit(Account.PREMIUM_RECEIVABLE, D("1.00"))],
            f"批量{n}",
        )
    client = _client(city.office_user)
    # session, user, authenticator (two-factor), office, offices, plans, two balance sums, entries,
    # their lines; the session middleware's first write (three); the kinds' totals (one): 14
    # whatever the number of entries.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("finance:statement"), _query(city))
    body = response.content.decode()
    assert response.status_code == 200
    assert _policy_entry(city).number in body and "1,274.56" not in body and "1,279.56" in body
    assert f"{reverse('finance:statement_xlsx')}?office={city.county.pk}&amp;plan=&amp;month=" in body
    assert reverse("finance:statement_pdf") in body
    heading = body.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert month_text(_this_month()) in heading and f"{_this_month():%Y-%m}" not in heading
    assert "保障项目：" in body and "保障项目:" not in body


@pytest.mark.parametrize("name", ["finance:statement", "finance:statement_xlsx", "finance:statement_pdf"])
def test_an_office_or_plan_outside_the_callers_books_is_not_found(books: Tree, name: str) -> None:
    tree = books
    stranger = _client(tree.b.office_user)
    assert stranger.get(reverse(name), {"office": tree.a.county.pk}).status_code == 404
    owner = _client(tree.a.office_user)
    assert owner.get(reverse(name), {"office": tree.b.county.pk}).status_code == 404
    assert owner.get(reverse(name), {"office": tree.a.county.pk, "plan": 999999}).status_code == 404
    # What cannot be an office or a month is refused as such (mutualaid/badinput.py).
    assert owner.get(reverse(name), {"office": "x"}).status_code == 400
    assert owner.get(reverse(name), {"month": "2026-13"}).status_code == 400
    assert _client(tree.a.unit_agent).get(reverse(name)).status_code == 403


# --- Budgets -----------------------------------------------------------------------------------


@pytest.fixture
def city_books(tree: Tree) -> Tree:
    """City A's own books for its plan this year: 600.00 premium income, 100.00 of it refunded,
    250.50 claims paid; and 9,999.00 of income last year, which this year's actual leaves out."""
    city = tree.a.with_enrollment(100)
    today = dates.business_today()
    _post(
        city,
        city.city,
        today,
        [debit(Account.BANK, D("600.00")), credit(Account.PREMIUM_INCOME, D("600.00"))],
        "保费收入",
    )
    _post(
        city, city.city, today, [debit(Account.PREMIUM_INCOME, D("100.00")), credit(Account.BANK, D("100.00"))], "退保"
    )
    _post(city, city.city, today, [debit(Account.CLAIMS_PAID, D("250.50")), credit(Account.BANK, D("250.50"))], "赔付")
    last_year = date(today.year - 1, 12, 31)
    _post(
        city,
        city.city,
        last_year,
        [debit(Account.BANK, D("9999.00")), credit(Account.PREMIUM_INCOME, D("9999.00"))],
        "去年",
    )
    return tree


def test_budget_against_actual_is_the_years_postings_on_each_accounts_normal_side(city_books: Tree) -> None:
    city = city_books.a
    year = dates.business_today().year
    with org_scope(city.city, actor_id=city.office_user.pk):
        budget_set(
            actor=city.office_user, plan=city.plan, year=year, account=Account.PREMIUM_INCOME, amount=D("1000.00")
        )
        budget_set(actor=city.office_user, plan=city.plan, year=year, account=Account.CLAIMS_PAID, amount=D("300"))
        # Setting it again changes the one row.
        budget_set(actor=city.office_user, plan=city.plan, year=year, account=Account.CLAIMS_PAID, amount=D("200.00"))
        rows = {r.account: r for r in budget_execution_list(office=city.city, plan=city.plan, year=year)}
        assert Budget.objects.filter(org=city.city, account=Account.CLAIMS_PAID).count() == 1

    income = rows[Account.PREMIUM_INCOME]
    assert (income.budget, income.actual, income.difference, income.percent_used) == (
        D("1000.00"),
        D("500.00"),
        D("500.00"),
        D("50.0"),
    )
    claims = rows[Account.CLAIMS_PAID]
    # 250.50 / 200.00 = 125.25 percent, rounded half up to one decimal.
    assert (claims.budget, claims.actual, claims.difference, claims.percent_used) == (
        D("200.00"),
        D("250.50"),
        D("-50.50"),
        D("125.3"),
    )
    bank = rows[Account.BANK]  # no budget: the actual alone, 600 − 100 − 250.50
    assert (bank.budget, bank.actual, bank.difference, bank.percent_used) == (None, D("249.50"), None, None)
    assert list(rows) == [Account.BANK, Account.PREMIUM_INCOME, Account.CLAIMS_PAID]


def test_the_budget_page_shows_the_table_and_sets_a_budget_for_the_office_and_finance_heads(city_books: Tree) -> None:
    city = city_books.a
    year = dates.business_today().year
    client = _client(city.office_user)
    url = reverse("finance:budget")
    response = client.post(
        f"{url}?plan={city.plan.pk}&year={year}",
        {"plan": city.plan.pk, "year": year, "account": Account.PREMIUM_INCOME, "amount": "1,000.00"},
    )
    assert response.status_code == 302
    with unscoped():
        assert Budget.objects.get(org=city.city, plan=city.plan, year=year, account=Account.PREMIUM_INCOME).amount == D(
            "1000.00"
        )
    body = client.get(response["Location"]).content.decode()
    assert "1000.00" in body and "500.00" in body and "50.0%" in body
    assert 'name="amount"' in body


BAD_AMOUNTS = ["-1", "1.005", "abc", "", "NaN", "1000000000000"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_bad_budget_amount_is_refused_with_a_message_and_nothing_is_saved(city_books: Tree, amount: str) -> None:
    city = city_books.a
    year = dates.business_today().year
    url = f"{reverse('finance:budget')}?plan={city.plan.pk}&year={year}"
    response = _client(city.office_user).post(
        url, {"plan": city.plan.pk, "year": year, "account": Account.BANK, "amount": amount}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    if amount:
        msgid = "Enter the budget in yuan: a number of 0 or more with at most two decimals."
        assert ZH[msgid] in body or msgid in body
    with unscoped():
        assert not Budget.objects.exists()


def test_the_service_refuses_bad_input_as_a_whole_and_another_offices_plan(city_books: Tree) -> None:
    tree = city_books
    city = tree.a
    tree.b.with_enrollment(200)
    with org_scope(city.city, actor_id=city.office_user.pk):
        with pytest.raises(ValidationError) as refused:
            budget_set(actor=city.office_user, plan=tree.b.plan, year=1999, account="9999", amount=D("-3"))
        assert set(refused.value.message_dict) == {"plan", "year", "account", "amount"}
        with pytest.raises(ValidationError):
            budget_set(actor=city.office_user, plan=city.plan, year=2026, account=Account.BANK, amount=D("1.001"))
        with pytest.raises(PermissionDenied):
            budget_set(actor=city.county_agent, plan=city.plan, year=2026, account=Account.BANK, amount=D("1.00"))
    response = _client(city.county_agent).post(
        reverse("finance:budget"), {"plan": city.plan.pk, "year": 2026, "account": Account.BANK, "amount": "1.00"}
    )
    assert response.status_code == 403
    with unscoped():
        assert not Budget.objects.exists()


def test_a_stranger_cannot_set_a_budget_on_our_plan(city_books: Tree) -> None:
    tree = city_books
    tree.b.with_enrollment(200)
    response = _client(tree.b.office_user).post(
        reverse("finance:budget"), {"plan": tree.a.plan.pk, "year": 2026, "account": Account.BANK, "amount": "1.00"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body
    assert not [secret for secret in tree.a.secrets() if secret in body]
    assert _client(tree.b.office_user).get(reverse("finance:budget"), {"plan": tree.a.plan.pk}).status_code == 404
    with unscoped():
        assert not Budget.objects.exists()


# --- API ---------------------------------------------------------------------------------------


def _api(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"version": "v1", **kwargs})


def test_the_entries_api_gives_each_entry_with_its_lines_filtered_and_in_few_queries(
    books: Tree, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    city = books.a
    for n in range(5):
        _post(
            city,
            city.county,
            dates.business_today(),
            [debit(Account.BANK, D("1.00")), credit(Account.PREMIUM_RECEIVABLE, D("1.00"))],
            f"批量{n}",
        )
    entry = _policy_entry(city)
    client = _token_client(city.office_user)
    with django_assert_max_num_queries(5):  # token and user, office, count, page, lines
        response = client.get(
            _api("api_finance_entries"), {"office": city.county.pk, "month": f"{_this_month():%Y-%m}"}
        )
    data = response.json()
    assert response.status_code == 200 and data["count"] == 7
    found = next(e for e in data["results"] if e["number"] == entry.number)
    assert found["office_name"] == city.county.name and found["kind"] == EntryKind.POLICY_ISSUED
    assert [(line["account"], line["debit"], line["credit"]) for line in found["lines"]] == [
        (Account.PREMIUM_RECEIVABLE, str(city.policy.premium), "0.00"),
        (Account.DUE_TO_ABOVE, "0.00", str(city.policy.premium)),
    ]
    last_month = f"{_this_month() - timedelta(days=1):%Y-%m}"
    assert client.get(_api("api_finance_entries"), {"month": last_month}).json()["count"] == 1
    assert client.get(_api("api_finance_entries"), {"month": "May"}).status_code == 400
    detail = client.get(_api("api_finance_entry", entry_pk=entry.pk)).json()
    assert detail["number"] == entry.number and len(detail["lines"]) == 2


def test_the_balances_api_gives_the_account_rows_of_an_office_in_the_tree(books: Tree) -> None:
    city = books.a
    data = _token_client(city.office_user).get(_api("api_finance_balances"), _query(city)).json()
    rows = {r["account"]: r for r in data["rows"]}
    assert data["office_name"] == city.county.name and data["month"] == f"{_this_month():%Y-%m}"
    assert rows[Account.BANK] | {"label": ""} == {
        "account": Account.BANK,
        "label": "",
        "opening": "1234.56",
        "debit": "40.00",
        "credit": "0.00",
        "closing": "1274.56",
        "overdrawn": False,
    }


def test_the_remittances_and_payments_apis_give_the_callers_tree_with_the_approvals(books: Tree) -> None:
    city = books.a
    head = UserFactory(username="xa_head2", display_name="甲XA审批人", org=city.city, roles=[Role.OFFICE_HEAD])
    # A management fee within the cap (5 percent of this year's premium), approved by one layer.
    with org_scope(city.city, actor_id=city.office_user.pk):
        payment = payment_prepare(
            actor=city.office_user,
            plan=city.plan,
            kind=PaymentKind.MANAGEMENT_FEE,
            amount=D("1.00"),
            payee="某公司",
            purpose="办公",
        )
        payment_approve(actor=head, payment=payment, version=payment.version)
    from tests import finkit

    report = finkit.last_month_report(city)
    client = _token_client(city.office_user)

    remittances = client.get(_api("api_finance_remittances")).json()["results"]
    assert [(r["id"], r["office_name"], r["status"]) for r in remittances] == [(report.pk, city.county.name, "draft")]
    assert remittances[0]["lines"][0]["plan"] == city.plan.pk
    payments = client.get(_api("api_finance_payments")).json()["results"]
    assert [(p["number"], p["amount"], p["status"]) for p in payments] == [(payment.number, "1.00", "pending")]
    assert [(a["layer"], a["approver"]) for a in payments[0]["approvals"]] == [("office_head", "甲XA审批人")]


def test_a_sibling_offices_token_gets_nothing_of_ours_from_the_finance_api(books: Tree) -> None:
    tree = books
    tree.b.with_enrollment(200)
    from tests import finkit

    finkit.last_month_report(tree.a)
    ours = _policy_entry(tree.a)
    stranger = _token_client(tree.b.office_user)

    entries = stranger.get(_api("api_finance_entries")).json()["results"]
    assert entries and ours.number not in {e["number"] for e in entries}
    assert not stranger.get(_api("api_finance_entries"), {"office": tree.a.county.pk}).json()["results"]
    assert stranger.get(_api("api_finance_entry", entry_pk=ours.pk)).status_code == 404
    assert stranger.get(_api("api_finance_balances"), {"office": tree.a.county.pk}).status_code == 404
    remittances = stranger.get(_api("api_finance_remittances")).json()["results"]
    assert all(r["office"] != tree.a.county.pk for r in remittances)
    body = "".join(
        stranger.get(_api(name)).content.decode()
        for name in ("api_finance_entries", "api_finance_balances", "api_finance_remittances", "api_finance_payments")
    )
    assert not [secret for secret in tree.a.secrets() if secret in body]


def test_the_finance_api_needs_the_finance_view_role(books: Tree) -> None:
    assert _token_client(books.a.unit_agent).get(_api("api_finance_entries")).status_code == 403


# --- Translations ------------------------------------------------------------------------------

SOURCES = [
    "finance/exports.py",
    "finance/services/budgets.py",
    "finance/selectors/budgets.py",
    "finance/views/statements.py",
    "finance/views/budgets.py",
    "finance/apis.py",
]
TEMPLATES = [
    "finance/templates/finance/statement.html",
    "finance/templates/finance/budget.html",
    "finance/templates/finance/pdf/statement.html",
]


def _template_msgids(path: str) -> set[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    found = set(re.findall(r'{% translate "([^"]+)" %}', text)) | set(re.findall(r"{% translate '([^']+)' %}", text))
    for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% (?:plural|endblocktranslate) %}", text):
        found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
    return found


def test_every_message_of_the_statements_and_budgets_has_chinese_with_the_same_placeholders() -> None:
    msgids = set()
    for source in SOURCES:
        msgids |= set(msgids_of(source, frozenset({"_", "gettext_lazy"}), strict=True))
    for template in TEMPLATES:
        msgids |= _template_msgids(template)
    msgids.add("%(count)s entry")  # the one ngettext of exports.py; Chinese has a single form
    assert msgids <= set(ZH), sorted(msgids - set(ZH))
    for msgid, text in chinese_of(msgids).items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        assert "%" not in PLACEHOLDER.sub("", msgid) + PLACEHOLDER.sub("", text), msgid
