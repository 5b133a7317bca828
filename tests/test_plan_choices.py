"""The plans a page offers to choose from, and the one it starts on: a unit's agent and an office
are offered the plans that apply to them, and a page that picks a default picks one with data
for them (issue 16: the demo's regional examples, plans of the province, came first everywhere).

The tree: city A runs 职工住院医疗互助保障 and its unit holds a policy in it; the province runs
"A·示例" (a name that sorts before it) with a period of the same year and no policy anywhere, and
an inactive example ("B·外地示例") no office keeps books or policies for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from enrollment import selectors
from enrollment.models import CardPrintJob, Plan, PlanKind
from enrollment.services.plans import period_create, plan_create
from finance.selectors.books import book_plan_list
from mutualaid.tenancy import org_scope
from reporting.rankings import ranking_plan_list
from tests.conftest import City, Tree
from tests.lists import PERIOD_END, PERIOD_START


def _offer(tree: Tree, name: str, *, is_active: bool) -> Plan:
    head = tree.province_user
    with org_scope(head.org, actor_id=head.pk):
        plan = plan_create(actor=head, name=name, kind=PlanKind.INPATIENT, is_active=is_active)
        period_create(
            actor=head,
            plan=plan,
            label="2026年度",
            starts_on=PERIOD_START,
            ends_on=PERIOD_END,
            premium_per_share=Decimal("10.00"),
            max_shares=1,
            min_participation=Decimal("0.000"),
        )
    return plan


@pytest.fixture
def offered(tree: Tree) -> Iterator[tuple[City, Plan, Plan]]:
    city = tree.a.with_enrollment(100)
    example = _offer(tree, "A·示例", is_active=True)
    elsewhere = _offer(tree, "B·外地示例", is_active=False)
    yield city, example, elsewhere


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _options(body: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', body, re.S)
    assert select, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_card_printing_offers_a_unit_s_agent_only_the_periods_its_unit_holds_policies_in(
    offered: tuple[City, Plan, Plan],
) -> None:
    city, _example, elsewhere = offered
    body = _client(city.unit_agent).get(reverse("enrollment:card_jobs")).content.decode()
    assert _options(body, "card-period") == [f"{city.plan.name} · 2026年度"]
    assert elsewhere.name not in body  # not offered at all (the list's plan filter names the others)
    with org_scope(city.unit, actor_id=city.unit_agent.pk):
        assert [p.pk for p in selectors.period_list_held(org=city.unit)] == [city.period.pk]


def test_card_printing_refuses_a_period_the_tree_holds_no_policy_in(offered: tuple[City, Plan, Plan]) -> None:
    city, example, _elsewhere = offered
    with org_scope(city.city, actor_id=city.office_user.pk):
        period = next(p for p in selectors.period_list_offered(org=city.city) if p.plan_id == example.pk)
    response = _client(city.office_user).post(reverse("enrollment:card_jobs"), {"period": period.pk})
    assert response.status_code == 400
    with org_scope(city.city, actor_id=city.office_user.pk):
        assert not CardPrintJob.objects.exists()


def test_the_upload_form_starts_on_the_plan_the_unit_is_in_and_still_offers_the_others_open_to_it(
    offered: tuple[City, Plan, Plan],
) -> None:
    city, example, elsewhere = offered
    with org_scope(city.unit, actor_id=city.unit_agent.pk):
        periods = selectors.period_list_uploadable(org=city.unit)
    names = [p.plan.name for p in periods]
    assert names == [city.plan.name, example.name]  # the inactive example is not offered at all
    assert elsewhere.name not in names


def test_the_budget_page_starts_on_a_plan_with_data_and_leaves_out_an_inactive_plan_without_any(
    offered: tuple[City, Plan, Plan],
) -> None:
    city, example, elsewhere = offered
    with org_scope(city.city, actor_id=city.office_user.pk):
        plans = book_plan_list(office=city.city)
    assert [p.name for p in plans] == [city.plan.name, example.name]
    response = _client(city.office_user).get(reverse("finance:budget"))
    assert response.status_code == 200
    assert response.context["plan"].pk == city.plan.pk
    assert elsewhere.name not in response.content.decode()


def test_the_rankings_start_on_the_plan_the_office_s_tree_holds_policies_in(offered: tuple[City, Plan, Plan]) -> None:
    city, example, _elsewhere = offered
    with org_scope(city.city, actor_id=city.office_user.pk):
        plans = ranking_plan_list(node=city.city)
    assert plans[0].pk == city.plan.pk
    assert example.pk in {p.pk for p in plans}


def test_another_city_s_policies_do_not_make_a_plan_come_first(tree: Tree, offered: tuple[City, Plan, Plan]) -> None:
    """City B holds no policy: its pages start on the first plan by name, whatever city A holds."""
    _city, example, _elsewhere = offered
    b = tree.b
    with org_scope(b.city, actor_id=b.office_user.pk):
        assert selectors.period_list_held(org=b.city) == []
        assert not any(getattr(p, "held", False) for p in selectors.period_list_uploadable(org=b.city))
        assert selectors.plan_ids_held(org=b.city) == set()
        assert book_plan_list(office=b.city)[0].pk == example.pk


def test_the_payment_batches_page_does_not_repeat_its_title_as_a_sub_heading(offered: tuple[City, Plan, Plan]) -> None:
    city, _example, _elsewhere = offered
    body = _client(city.office_user).get(reverse("claims:batch_list")).content.decode()
    assert re.search(r"<h1>\s*付款批次\s*</h1>", body)
    assert not re.search(r"<h2>\s*批次\s*</h2>", body)


def _list_pages_with_a_plan_filter() -> list[tuple[str, list[str]]]:
    """Every list page of the product (a ListPage at a route without arguments) whose filters
    choose a plan or a period, with those filters' names."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from enrollment.listing import period_choices, plan_choices
    from mutualaid.listing import ListPage

    chosen = {"plan": plan_choices, "period": period_choices}  # not a month's or a quarter's "period"
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list, namespace: str) -> None:  # type: ignore[type-arg]
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
                continue
            assert isinstance(pattern, URLPattern)
            view = getattr(pattern.callback, "view_class", None)
            if view is None or not issubclass(view, ListPage) or view.filter_class is None:
                continue
            if pattern.pattern.converters:  # a list under a row (its id in the path)
                continue
            filters = view.filter_class.base_filters
            names = [n for n, choices in chosen.items() if getattr(filters.get(n), "queryset", None) is choices]
            if names and pattern.name:
                found.append((f"{namespace}{pattern.name}", names))

    walk(get_resolver().url_patterns, "")
    return sorted(set((name, tuple(filters)) for name, filters in found))  # type: ignore[misc]


def _filter_options(body: str, name: str) -> list[str]:
    """The choices of the list's filter named `name` (a page may also have a form's field of the
    same name: the deposits' placement form), without its first, empty one (全部保障项目)."""
    found = []
    for select in re.findall(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S):
        options = re.findall(r"<option[^>]*>([^<]*)</option>", select)
        if options and select.lstrip().startswith('<option value=""') and options[0] not in {"请选择…", "（不指定）"}:
            found.append(options[1:])
    assert len(found) == 1, (name, found)
    return found[0]


def test_every_list_page_offers_the_plans_that_are_active_or_hold_rows_and_no_other(
    tree: Tree, offered: tuple[City, Plan, Plan]
) -> None:
    """The province's office: city A's plan (its tree holds policies in it) and the province's
    active example (open to join), not the inactive example nobody joined; the same on every list
    page with a plan or a period filter (a list of the plans' periods, as the schedules, still
    shows the inactive example's row: the filter is what leaves it out)."""
    city, example, _elsewhere = offered
    pages = _list_pages_with_a_plan_filter()
    assert len(pages) >= 10, pages  # members, lists, policies, claims, remittances, receipts, flows...
    client = _client(tree.province_user)
    for name, filters in pages:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        body = response.content.decode()
        if "plan" in filters:
            assert _filter_options(body, "plan") == sorted([city.plan.name, example.name]), name
        if "period" in filters:
            periods = _filter_options(body, "period")
            assert {p.rsplit(" ", 1)[0] for p in periods} == {city.plan.name, example.name}, name


def test_a_plan_no_longer_active_stays_offered_where_the_tree_holds_rows_in_it(
    offered: tuple[City, Plan, Plan],
) -> None:
    city, _example, elsewhere = offered
    Plan.objects.with_scopes_disabled().filter(pk=city.plan.pk).update(is_active=False)
    for user in (city.office_user, city.unit_agent):
        body = _client(user).get(reverse("claims:claim_list")).content.decode()
        assert city.plan.name in _filter_options(body, "plan"), user
        assert elsewhere.name not in body
    with org_scope(city.city, actor_id=city.office_user.pk):
        assert city.plan.pk in {p.pk for p in ranking_plan_list(node=city.city)}


def test_the_rankings_leave_out_an_inactive_plan_without_data(tree: Tree, offered: tuple[City, Plan, Plan]) -> None:
    _city, example, elsewhere = offered
    with org_scope(tree.province, actor_id=tree.province_user.pk):
        plans = {p.pk for p in ranking_plan_list(node=tree.province)}
    assert example.pk in plans
    assert elsewhere.pk not in plans
