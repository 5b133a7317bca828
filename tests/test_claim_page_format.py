"""The claim page as a clerk reads it: every amount of the settlement statement and the cap left
in the one money format (10,000.00, not 10000.00), and a label beside its value with a full-width
colon."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests import claimkit
from tests.conftest import Tree


def test_the_settlement_statement_and_the_cap_left_are_in_the_money_format(claims_ready: Tree) -> None:
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    client = Client()
    client.force_login(claims_ready.a.office_user)
    page = client.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    settlement = page.split('<table class="table kv">', 1)[1].split("</table>", 1)[0]
    assert "10,000.00" in settlement and "7,000.00" in settlement and "2,287.99" in settlement
    assert not re.search(r"\b\d{4,}\.\d\d\b", settlement), settlement  # no amount without its separator
    cap_left = re.search(r"本次理赔后本期剩余限额：([^ ]+) 元", page)
    assert cap_left is not None and "," in cap_left.group(1), cap_left  # the Shaoxing cap: tens of thousands
    # Each document: its kind, a full-width colon, its link.
    assert re.search(r'：\s*<a href="[^"]+" target="_blank"', page) and not re.search(
        r':\s*<a href="[^"]+" target="_blank"', page
    )


def test_the_province_s_remittance_page_has_no_table_of_reports_to_an_office_above(tree: Tree) -> None:
    """The province remits to nobody: its page shows the reports from below only, a city both."""
    for user, shown in ((tree.province_user, False), (tree.a.office_user, True)):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("finance:remittance_list"))
        assert page.status_code == 200
        assert ('data-testid="own-reports"' in page.content.decode()) is shown
