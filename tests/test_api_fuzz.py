"""Schemathesis against the published OpenAPI schema, in-process through the WSGI application.

Every operation of /api/schema/ is called with generated parameters and bodies, authenticated as
the province office (every office role, so permissions do not hide a route), on a bounded budget:
no response may be a server error, and every response must match what the schema documents.
All of it runs inside the test's transaction, so whatever the generated writes do is rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import Tree

# The budget, a setting: examples per operation (and sequences of linked calls in the stateful
# test). Small for `make test`; .ci/run sets a larger one; by hand, API_FUZZ_EXAMPLES=200.
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI application, kept on the test's database connection: Django closes
    connections at the end of each request, which would end the test's transaction (its own test
    client disconnects the same handlers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(tree: Tree) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=tree.province_user).key}"}


@pytest.fixture
def api_schema(wsgi_app: WSGIHandler, token_headers: dict[str, str]) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=token_headers)


schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("API_FUZZ_ONLY"):
    schema = schema.include(path_regex=os.environ["API_FUZZ_ONLY"])


# The operations in five shares by the part of the API they belong to, each a test of its own, so
# that the test processes fuzz them side by side (the whole API in one test took 45 s):
# `test_the_shares_take_every_operation_once` checks that every operation of the schema is in
# exactly one share.
OPERATION_SHARES = {
    "finance_a_to_h": r"/finance/[a-h]",  # allocations … holdings: 12 operations
    "finance_i_to_z": r"/finance/[i-z]",  # income … solvency: 12
    "reporting": r"/reporting/",
    "claims": r"/(claims|claim-[a-z-]+|payment-batches)/",
    "enrollment_and_core": r"^(?!.*/(finance|reporting|claims|claim-[a-z-]+|payment-batches)/)",
}


def _fuzz_share(name: str, path_regex: str) -> Any:
    @schema.include(path_regex=path_regex).parametrize()
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def test(case, token_headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=token_headers, checks=[not_a_server_error, response_schema_conformance])

    test.__name__ = f"test_every_operation_answers_without_server_errors_as_its_schema_says_{name}"
    test.__qualname__ = test.__name__
    return test


for _name, _regex in OPERATION_SHARES.items():
    globals()[f"test_every_operation_answers_without_server_errors_as_its_schema_says_{_name}"] = _fuzz_share(
        _name, _regex
    )


def test_the_shares_take_every_operation_once(tree: Tree) -> None:
    import re

    client = Client()
    client.force_login(tree.province_user)
    paths = client.get("/api/schema/?format=json").json()["paths"]
    operations = [
        f"{m.upper()} {p}" for p, item in paths.items() for m in item if m in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 50, operations
    for operation in operations:
        shares = [name for name, regex in OPERATION_SHARES.items() if re.search(regex, operation.split(" ", 1)[1])]
        assert len(shares) == 1, (operation, shares)


def test_linked_operations_called_in_sequence_answer_without_server_errors(
    api_schema: Any, token_headers: dict[str, str]
) -> None:
    """Stateful: schemathesis chains operations by the links it infers from the schema (a claim
    registered, then read, reviewed and given a document by its id; a list uploaded, then read),
    each call with generated valid and invalid data (both generation modes are its default)."""
    machine = api_schema.as_state_machine()
    called: list[str] = []

    class Linked(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            called.append(f"{case.method} {case.path}")
            return {"headers": token_headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error], transport_kwargs=kwargs or None)

    Linked.run(
        settings=settings(
            max_examples=EXAMPLES_PER_OPERATION,
            stateful_step_count=4,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The links were followed: operations on an object reached by the id another one answered.
    assert any("{claim_pk}" in call for call in called) and any(call.startswith("POST") for call in called), called


# ---------------------------------------------------------------------------------------------
# The server errors found, each pinned by a request that used to answer 500

DIGITS = "9" * 5000  # int() refuses more than 4,300 digits
MALFORMED = [
    "/api/v1/enrollments/?policy=²",  # a digit to str.isdigit(), not to int()
    f"/api/v1/enrollments/?policy={DIGITS}",
    "/api/v1/enrollments/?q=%00",  # PostgreSQL text cannot hold NUL
    "/api/v1/enrollments/?q=a%00b",
    "/api/v1/policies/?q=%00",
    "/api/v1/claims/?q=%00",
    "/api/v1/claims/?status=%00",
    "/api/v1/orgs/?kind=%00",
    "/api/v1/reporting/snapshots/?office=²",
    "/api/v1/reporting/snapshots/?kind=%00",
    "/api/v1/reporting/snapshots/?period=²²²²-01",
    "/api/v1/reporting/overview/?month=9999-12",  # the month after it does not exist
    "/api/v1/reporting/rankings/?plan={plan}&year=²",
    "/api/v1/reporting/rankings/?plan={plan}&year=99999",
    "/api/v1/finance/balances/?office=²",
    "/api/v1/finance/balances/?plan=²",
    "/api/v1/finance/balances/?month=9999-12",
    "/api/v1/finance/entries/?month=²²²²-01",
    "/api/v1/finance/entries/?limit=" + "9" * 30,  # past the range of a bigint
    "/enrollment/members/?q=%00",
]


def test_malformed_query_parameters_are_refused_or_ignored_never_a_server_error(enrolled_tree: Tree) -> None:
    """One tree for all of them: building it is most of the time."""
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=enrolled_tree.province_user).key}")
    client.force_login(enrolled_tree.province_user)
    client.raise_request_exception = False
    urls = [url.format(plan=enrolled_tree.a.plan.pk) for url in MALFORMED]

    answers = {url: client.get(url).status_code for url in urls}

    assert not {url: status for url, status in answers.items() if status >= 500}
    # the plan is one the province's rankings offer, so the year is what the two requests test
    assert client.get(f"/api/v1/reporting/rankings/?plan={enrolled_tree.a.plan.pk}").status_code == 200


def test_a_page_is_at_most_a_thousand_rows(tree: Tree) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=tree.province_user).key}")
    response = client.get("/api/v1/orgs/?limit=5000")
    assert response.status_code == 200 and "limit=1000" in (response.json()["next"] or "limit=1000")
