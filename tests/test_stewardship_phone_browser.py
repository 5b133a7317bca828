"""The pages of the fund's stewardship on a phone (390 x 844): solvency, the statement of the
books, the statements to members (the office's and the public one), premium receipts,
allocations, deposits, audit findings, the archives and the leaving audit, proposals with their
simulation's results and side by side. Each, with rows to show, is no wider than the screen
and has no serious or critical axe-core violation.

City A of the test tree is built once for the module with every one of those rows, committed so
that the module's own server reads it (as tests/test_layout_browser.py serves the demo), and the
database is emptied at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser import PHONE, Site, axe_violations, screenshot, served_site, too_wide
from tests.conftest import City

pytestmark = pytest.mark.browser


def _city_with_everything(django_db_blocker: Any) -> City:
    """City A enrolled, a claim paid, its books, a published statement to members, its receipt,
    an allocation asked, a deposit placed, a finding, this year's archives, a simulated proposal."""
    from config.celery import app
    from finance.services import publication
    from mutualaid.models import OrgKind
    from mutualaid.tenancy import org_scope, unscoped
    from tests.conftest import ALL_OFFICE_ROLES, _city
    from tests.factories import OrganisationFactory, UserFactory

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with unscoped():
            province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
            UserFactory(username="province_office", display_name="省办主任", org=province, roles=ALL_OFFICE_ROLES)
            city = _city(province, "XA", "甲XA西安")
        city.with_enrollment(100).with_claim().with_finance().with_stewardship().with_oversight()
        head = city.reviewers.head  # not the drafter: approves and publishes the statement
        with org_scope(city.city, actor_id=head.pk):
            approved = publication.statement_approve(actor=head, statement=city.fund_statement)
            city.fund_statement = publication.statement_publish(actor=head, statement=approved)
    finally:
        app.conf.task_always_eager = eager
    return city


@pytest.fixture(scope="module")
def stewardship_site(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Site, City]]:
    with django_db_blocker.unblock():
        try:
            city = _city_with_everything(django_db_blocker)
            with served_site() as site:
                yield site, city
        finally:
            call_command("flush", interactive=False, verbosity=0)
    assert not site.outside, f"requests left 127.0.0.1: {site.outside}"


def _pages(city: City) -> dict[str, str]:
    """Each page by a name for its screenshot, with the rows the fixture made."""
    return {
        "solvency": reverse("finance:solvency"),
        "statement": reverse("finance:statement"),
        "fund-statements": reverse("finance:fund_statement_list"),
        "fund-statement": reverse(
            "finance:fund_statement_detail", kwargs={"fund_statement_pk": city.fund_statement.pk}
        ),
        "fund-statement-public": reverse("public:fund_statement", kwargs={"token": city.fund_statement.public_token}),
        "receipts": reverse("finance:receipt_list"),
        "receipt": reverse("finance:receipt_detail", kwargs={"receipt_pk": city.receipt.pk}),
        "allocations": reverse("finance:allocation_list"),
        "allocation": reverse("finance:allocation_detail", kwargs={"allocation_pk": city.allocation.pk}),
        "deposits": reverse("finance:deposit_list"),
        "deposit": reverse("finance:deposit_detail", kwargs={"deposit_pk": city.deposit.pk}),
        "findings": reverse("reporting:finding_list"),
        "finding": reverse("reporting:finding_detail", kwargs={"finding_pk": city.finding.pk}),
        "archives": reverse("reporting:archive_list"),
        "letters": reverse("reporting:letter_list"),
        "leaving-audit": reverse("reporting:leaving_audit"),
        "proposals": reverse("reporting:proposals"),
        # with its simulation's results and charts (reporting:simulation is the progress, as JSON)
        "proposal": reverse("reporting:proposal", kwargs={"proposal_pk": city.proposal.pk}),
        "proposal-compare": reverse("reporting:proposal_compare") + f"?p={city.proposal.pk}",
    }


# What each page shows of the fixture's rows, so that a page that fits only because it is empty fails.
SHOWN = {
    "receipts": "receipt",
    "allocations": "allocation",
    "deposits": "deposit",
    "findings": "finding",
    "proposals": "proposal",
}


def test_the_stewardship_pages_fit_a_phone_and_pass_axe_core(
    stewardship_site: tuple[Site, City],
) -> None:
    site, city = stewardship_site
    wide, violations = [], []
    pages = _pages(city)
    page = site.page_for(city.office_user.username, PHONE)
    for name, path in pages.items():
        response = page.goto(site.url + path)
        assert response is not None and response.status == 200, (name, path, response and response.status)
        if name in SHOWN:  # the list links to the row the fixture made
            assert page.locator(f"a[href='{pages[SHOWN[name]]}']").count() >= 1, name
        if found := too_wide(page):
            wide.append(f"{path}: {found}")
        violations += [f"{path}: {v}" for v in axe_violations(page, site.url)]
        screenshot(page, f"phone-390-{name}")
    page.context.close()
    assert not wide, "pages wider than a 390 px phone:\n" + "\n".join(wide)
    assert not violations, "axe-core found:\n" + "\n".join(violations)
    assert not site.refused, site.refused
