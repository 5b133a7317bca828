"""Walks every URL pattern and API route as each role, to prove that offices stay apart.

Each role is held alone by a user of city B at the level the role is held at (unit agent at the
unit, county agent at the agent point, API client by token, office roles at the city), and once
all together by city B's office user. For each route, with every verb its view accepts:

- an object of city A, or of city B above the walker, answers exactly like an id that does not
  exist (same status, content type and redirect, and for JSON the same body);
- no response, PDFs and workbooks read as text, shows city A's names, codes, accounts, members;
- nothing outside the walker's subtree is written, and what it creates is its own;
- ids of rows it cannot see, forged in the query string, are refused or ignored.

The tree is built once for the module (`walk_tree`), and each test runs in a savepoint of it.
A route whose URL takes an argument no app registered (mutualaid/routes.py) fails the test;
the walk fills each registered argument with city A's instance of its model. See
SECURITY.md (Isolation) for the promises and the tests that prove them.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.views import View
from rest_framework.authtoken.models import Token

from mutualaid.models import Organisation, User
from mutualaid.roles import Role
from mutualaid.tenancy import unscoped
from tests.conftest import ALL_OFFICE_ROLES, City, Tree
from tests.factories import UserFactory

# URL argument -> the City attribute holding that office's instance of the model the argument
# names. The arguments and their models are what the apps registered (mutualaid/routes.py); the
# City fixture must build one instance of each model, and where it holds several of one model the
# walk takes the one named here.
PREFERRED = {"org_pk": "county", "user_pk": "county_agent", "unit_pk": "unit"}


# What each of the City fixture's loosely typed attributes holds.
HOLDERS = {
    "notice": "mutualaid.Notice",
    "plan": "enrollment.Plan",
    "member_list": "enrollment.MemberList",
    "policy": "enrollment.Policy",
    "card_job": "enrollment.CardPrintJob",
    "enrollment": "enrollment.Enrollment",
    "endorsement": "enrollment.Endorsement",
    "period": "enrollment.Period",
    "claim": "claims.Claim",
    "document": "claims.ClaimDocument",
    "batch": "claims.PaymentBatch",
    "entry": "finance.JournalEntry",
    "remittance": "finance.Remittance",
    "settlement": "finance.RemittanceSettlement",
    "payment": "finance.PaymentRequest",
    "allocation": "finance.Allocation",
    "deposit": "finance.Deposit",
    "statement": "finance.BankStatement",
    "snapshot": "reporting.Snapshot",
    "export_job": "reporting.ExportJob",
    "proposal": "reporting.Proposal",
    "simulation": "reporting.SimulationRun",
    "receipt": "finance.PremiumReceipt",
    "fund_statement": "finance.FundStatement",
    "check_document": "claims.HospitalCheckDocument",
    "recheck": "claims.Recheck",
    "recovery": "finance.Recovery",
    "finding": "reporting.AuditFinding",
    "evidence": "reporting.FindingEvidence",
    "volume": "reporting.ArchiveVolume",
    "letter": "reporting.Correspondence",
}


def _object_kwargs() -> dict[str, str]:
    from mutualaid.routes import URL_OBJECTS

    found: dict[str, str] = {}
    for kwarg, label in URL_OBJECTS.items():
        holders = [PREFERRED[kwarg]] if kwarg in PREFERRED else [a for a, held in HOLDERS.items() if held == label]
        if len(holders) != 1:
            raise AssertionError(f"The City fixture must hold one {label} for the URL argument {kwarg} (HOLDERS).")
        found[kwarg] = holders[0]
    return found


OBJECT_KWARGS: dict[str, str] = _object_kwargs()
# `token`: the public address of a published fund statement (公示), the one page without a login;
# a made-up token answers 404 to everyone (tests/test_fund_stewardship.py shows only the office's
# published statement is reached by its own token).
FIXED_KWARGS = {
    "version": "v1",
    "action": "approve",
    "document": "cards.pdf",
    "kind": "claim_paid",
    "token": "not-a-published-statement-token",
}
# Namespaces and routes outside the walk, each for a stated reason.
SKIPPED_NAMESPACES = {"admin"}  # superusers only; tested in test_admin_is_for_superusers_only
SKIPPED_ROUTES = {"set_language"}  # sets a cookie; reads no data (tested in test_i18n)


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, prefix, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_ROUTES:
            kwargs = tuple(sorted(entry.pattern.regex.groupindex))
            yield Route(f"{namespace}:{entry.name}" if namespace else entry.name, kwargs)


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        # Included patterns carry their parent's arguments (the API's version) in the full regex.
        full = get_resolver().reverse_dict.getlist(route.name.split(":")[-1])
        names = set(route.kwargs)
        for _possibility, pattern, _defaults, _converters in full:
            names |= set(re.compile(pattern).groupindex)
        routes[route.name] = Route(route.name, tuple(sorted(names)))
    return sorted(routes.values(), key=lambda r: r.name)


def _url(route: Route, city: City) -> str:
    kwargs: dict[str, Any] = {}
    for name in route.kwargs:
        if name in FIXED_KWARGS:
            kwargs[name] = FIXED_KWARGS[name]
        elif name in OBJECT_KWARGS:
            kwargs[name] = getattr(city, OBJECT_KWARGS[name]).pk
        else:
            pytest.fail(f"Route {route.name} takes {name!r}, which no app registered (mutualaid/routes.py).")
    return reverse(route.name, kwargs=kwargs)


def _forged_body(city: City) -> dict[str, Any]:
    """Form and API fields pointing at city A's rows, as a forger would send them."""
    return {
        "parent": city.county.pk,
        "org": city.city.pk,
        "org_id": city.city.pk,
        "kind": "unit",
        "code": "FORGED1",
        "name": "伪造单位",
        "headcount": 10,
        "username": "forged_user",
        "display_name": "伪造",
        "roles": ["unit_agent"],
        "password": "Forged-Passw0rd!",
        "user": city.county_agent.pk,
        # A claim for city A's member, and actions on city A's claim and batch.
        "enrollment": city.enrollment.pk,
        "claim": city.claim.pk,
        "action": "pass",
        "version": city.claim.version,
        "reason": "伪造",
        "care_type": "inpatient",
        "admitted_on": "2026-03-02",
        "discharged_on": "2026-03-05",
        "hospital": "伪造医院",
        "diagnosis": "伪造",
        "total_cost": "100.00",
        "insurance_paid": "0",
        "deductible_part": "0",
        "self_paid": "100.00",
        "not_covered": "0",
        "invoices": "FORGED-INV",
        "payee_name": "伪造",
        "bank_name": "伪造银行",
        "account_number": "6222000011112222",
        "paid_on": "2026-11-01",
        "bank_reference": "FORGED",
        "outcome": "satisfied",
        "rules": "{}",
        # Finance: a receipt, a remittance and a payment of city A's.
        "policy": city.policy.pk,
        "received_on": "2026-11-01",
        "month": "2026-10",
        "amount": "100.00",
        "remitted_on": "2026-11-01",
        "plan": city.plan.pk,
        "payee": "伪造",
        "purpose": "伪造",
        "claims_batch": city.batch.pk,
    }


def _text(response: Any) -> str:
    """The response as text a person could read: PDFs and workbooks are opened, not grepped raw."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if not content:
        return ""
    if kind.startswith("application/pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            " ".join(str(v) for v in row if v is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8", "replace")


def _owner_forged_body(tree: Tree, home: City) -> dict[str, Any]:
    """A body valid for the walker's own city B, except its owner fields, which name city A."""
    return {
        **_forged_body(home),
        "org": tree.a.city.pk,
        "org_id": tree.a.city.pk,
        "office": tree.a.city.pk,
        "code": "FORGEDOWN1",
        "username": "forged_owner",
    }


def _assert_no_leak(body: str, secrets: list[str], where: str) -> None:
    leaked = [s for s in secrets if s in body]
    assert not leaked, f"{where} leaked {leaked}"


# --- Who walks: every role alone, at the level of the tree where the role is held. ------------

EVERY_ROLE = sorted(role.value for role in Role)
LEVEL = {Role.UNIT_AGENT.value: "unit", Role.COUNTY_AGENT.value: "county"}  # the others: "city"
MISSING = 987_654_321  # an id no fixture row has: what "does not exist" answers like
VERBS = ["get", "head", "options", "post", "put", "patch", "delete"]
UNSAFE = {"post", "put", "patch", "delete"}
# Query-string ids the views read (grep request.GET / query_params) -> the fixture object forged.
FORGED_PARAMS = {
    "office": "city",
    "parent": "county",
    "unit": "unit",
    "plan": "plan",
    "period": "period",
    "policy": "policy",
    "list": "member_list",
    "enrollment": "enrollment",
    "claim": "claim",
    "batch": "batch",
}


SESSION_ENDERS = {"login", "logout", "password_change"}  # each gets a session of its own


@dataclass
class Walker:
    """A user of city B holding `role` alone, with the clients it reaches the product through."""

    role: str
    user: User
    token: str
    session: Client | None = None

    @property
    def path(self) -> str:
        return self.user.org.path

    def sees(self, obj: Any) -> bool:
        return _path(obj).startswith(self.path)

    def clients(self, route: Route) -> list[tuple[str, Client, dict[str, str]]]:
        """Human roles by session (and by token on the API); the API client by token only."""
        by_token = ("token", Client(), {"Authorization": f"Token {self.token}"})
        if self.role == Role.API_CLIENT:
            return [by_token]
        session = self.session
        if session is None or route.name in SESSION_ENDERS:
            session = Client()
            session.force_login(self.user)
            # A route that may end the session gets a session of its own.
            self.session = None if route.name in SESSION_ENDERS else session
        # The token's way in (ScopedTokenAuthentication) is walked by the API client and by the
        # user holding every role; for the other roles the view behind it is the same.
        both = "version" in route.kwargs and self.role == "all_office_roles"
        return [("session", session, {})] + ([by_token] if both else [])


def _walker(tree: Tree, role: str) -> Walker:
    node = {"unit": tree.b.unit, "county": tree.b.county, "city": tree.b.city}[LEVEL.get(role, "city")]
    with unscoped():
        user = UserFactory(username=f"bj_only_{role}", display_name=f"乙BJ{role}", org=node, roles=[role])
        token = Token.objects.create(user=user).key
    return Walker(role, user, token)


def _path(obj: Any) -> str:
    if isinstance(obj, Organisation):
        return obj.path
    if isinstance(obj, User):
        return obj.org.path
    return str(obj.org_path)


def _verbs(url: str) -> list[str]:
    """The verbs the route's view accepts (a verb it has no handler for answers 405 before any
    lookup); every verb for a plain function view. A class view without a `head` of its own
    answers HEAD with its `get` (View.setup), so GET walks that handler once; Django's own
    `View.options` answers from the class alone (its Allow header) and reads nothing, so it is
    walked where a view (every DRF view) has an `options` of its own."""
    view = getattr(resolve(url).func, "view_class", None)
    if view is None:
        return VERBS
    handled = {verb for verb in view.http_method_names if hasattr(view, verb)}
    if getattr(view, "options", None) is View.options:
        handled.discard("options")
    return [verb for verb in VERBS if verb in handled]


def _send(client: Client, verb: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    send = getattr(client, verb)
    if verb in {"get", "head", "options"}:
        return send(url, headers=headers)
    if verb == "post":
        return send(url, body, headers=headers)
    return send(url, body, content_type="application/json", headers=headers)


def _answer(response: Any, url: str) -> tuple[Any, ...]:
    """What a response tells its caller, with the requested URL taken out: status, type, where
    it redirects, and for JSON the body itself."""
    location = response.get("Location", "")
    if location.startswith(reverse("login")):
        location = "login"
    location = location.replace(url, "URL")
    kind = response.get("Content-Type", "")
    body: Any = None
    if kind.startswith("application/json") and not response.streaming:
        body = response.content.decode().replace(url, "URL")
    return (response.status_code, kind.split(";")[0], location, body)


# --- Writes: what changed outside the walker's subtree, and what new rows point at. ------------


@functools.cache  # asked before each route of each walk; the schema does not change in a run
def _tenant_models() -> list[tuple[Any, str]]:
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    found: list[tuple[Any, str]] = [(Organisation, "path"), (User, "org__path")]
    for model in apps.get_models():
        if model in (Organisation, User) or model._meta.db_table not in tables:
            continue
        if any(f.name == "org_path" for f in model._meta.concrete_fields):
            found.append((model, "org_path"))
    return found


Rows = dict[Any, dict[int, tuple[str, tuple[Any, ...]]]]


def _rows() -> Rows:
    with unscoped():
        return {
            model: {
                row[0]: (row[1] or "", row[2:])
                for row in model._default_manager.values_list(
                    "pk", path, *[f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
                )
            }
            for model, path in _tenant_models()
        }


def _assert_writes_stay_home(before: Rows, after: Rows, home: str, where: str) -> int:
    """Nothing outside `home` changed, and every new row lies in `home` and points only at rows
    of its own branch (its ancestors' or its descendants'): its owner came from the server."""

    def related(path: str) -> bool:
        return path.startswith(home) or home.startswith(path)

    created = 0
    for model, rows in after.items():
        old = before.get(model, {})
        changed = [pk for pk, (path, values) in rows.items() if pk in old and old[pk] != (path, values)]
        gone = [pk for pk in old if pk not in rows]
        assert not [pk for pk in changed + gone if not old[pk][0].startswith(home)], (
            f"{where}: {model.__name__} rows of another office changed"
        )
        for pk in (pk for pk in rows if pk not in old):
            created += 1
            assert rows[pk][0].startswith(home), f"{where}: a new {model.__name__} was put in {rows[pk][0]}"
            instance_fields = [f for f in model._meta.concrete_fields if f.attname != "last_login"]
            for field, value in zip(instance_fields, rows[pk][1], strict=True):
                target = field.related_model if field.is_relation else None
                if target in after and value in after[target]:
                    assert related(after[target][value][0]), (
                        f"{where}: the new {model.__name__} points at another office's {target.__name__}"
                    )
    return created


# --- The walk. -----------------------------------------------------------------------------


def _object_routes() -> list[Route]:
    return [r for r in all_routes() if set(r.kwargs) - set(FIXED_KWARGS)]


def _url_with(route: Route, pick: Any) -> str:
    kwargs = {n: FIXED_KWARGS[n] if n in FIXED_KWARGS else pick(n) for n in route.kwargs}
    for name in kwargs:
        if name not in FIXED_KWARGS and name not in OBJECT_KWARGS:
            pytest.fail(f"Route {route.name} takes {name!r}, which no app registered (mutualaid/routes.py).")
    return reverse(route.name, kwargs=kwargs)


# Plan settings a city offers down its tree: its units must see the plans and benefit rules
# they may join (enrollment.selectors.plan_list_offered), so an agent below reads them.
OFFERED_DOWN = {"plan_pk", "period_pk"}


def _offered_to(walker: Walker, names: list[str], city: City) -> bool:
    """The route's objects are a plan or period offered to the walker by an office above it."""
    return set(names) <= OFFERED_DOWN and walker.path.startswith(city.city.path)


def _foreign_cities(tree: Tree, walker: Walker) -> list[City]:
    """City A always; city B too for a walker below the city (its city's rows are above it)."""
    return [tree.a] + ([tree.b] if walker.path != tree.b.city.path else [])


def _writes() -> int:
    """Rows this test's transaction has inserted, updated or deleted in tenant tables so far:
    one cheap query that tells when the full comparison of `_rows` is worth running."""
    from django.db import connection

    tables = [model._meta.db_table for model, _path in _tenant_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            " WHERE relname = ANY(%s)",
            [tables],
        )
        return int(cursor.fetchone()[0])


def _walk_as(tree: Tree, walker: Walker, cities: list[City] | None = None, secrets: list[str] | None = None) -> int:
    """Returns how many rows the walker's requests created (inside its own subtree)."""
    ours = secrets or tree.a.secrets()
    home = tree.b if walker.path.startswith(tree.b.city.path) else None
    rows = _rows()
    created = 0
    for route in all_routes():
        names = [n for n in route.kwargs if n not in FIXED_KWARGS]
        clients = walker.clients(route)  # logging in writes the walker's own row: not counted
        written = _writes()
        for auth, client, headers in clients:
            cases: list[tuple[str, City | None]] = [(_url_with(route, lambda n: MISSING), None)]
            if names:
                for city in cities or _foreign_cities(tree, walker):
                    objects = [getattr(city, OBJECT_KWARGS[n]) for n in names if n in OBJECT_KWARGS]
                    if not all(walker.sees(o) for o in objects) and not _offered_to(walker, names, city):
                        cases.append((_url_with(route, lambda n, c=city: getattr(c, OBJECT_KWARGS[n]).pk), city))
            for verb in _verbs(cases[0][0]):
                missing_url = cases[0][0]
                expected = None
                for url, city in cases:
                    body = _forged_body(city or tree.a)
                    response = _send(client, verb, url, body, headers)
                    where = f"{walker.role}: {verb.upper()} {url} ({auth})"
                    assert response.status_code < 500, where
                    _assert_no_leak(_text(response), ours, where)
                    if not names:
                        if verb in UNSAFE and home is not None:
                            # Only the owner forged, the rest the walker's own: a write may go
                            # through, and what it creates must belong to the walker's office.
                            response = _send(client, verb, url, _owner_forged_body(tree, home), headers)
                            assert response.status_code < 500, f"{where}, owner forged"
                            _assert_no_leak(_text(response), ours, f"{where}, owner forged")
                        break  # a route without objects: one request (or two) per verb
                    answer = _answer(response, url)
                    if city is None:
                        expected = answer
                    else:
                        assert answer == expected, f"{where} answers {answer}, but a missing {missing_url}: {expected}"
        if _writes() != written:
            now = _rows()
            created += _assert_writes_stay_home(rows, now, walker.path, f"{walker.role}: {route.name}")
            rows = now
    return created


@contextmanager
def _reads() -> Iterator[set[str]]:
    """The query-string (and form) keys a request reads: which forged ids are worth trying."""
    from django.utils.datastructures import MultiValueDict

    read: set[str] = set()
    originals = {name: getattr(MultiValueDict, name) for name in ("get", "__getitem__", "getlist", "__contains__")}

    def recording(name: str) -> Any:
        def method(self: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
            read.add(key)
            return originals[name](self, key, *args, **kwargs)

        return method

    for name in originals:
        setattr(MultiValueDict, name, recording(name))
    try:
        yield read
    finally:
        for name, method in originals.items():
            setattr(MultiValueDict, name, method)


def _forge_queries_as(tree: Tree, walker: Walker, *, one_at_a_time: bool, share: tuple[int, int] = (0, 1)) -> None:
    """Every page and API list GET with ids of rows the walker cannot see in its query string
    answers exactly as with ids that exist nowhere: such ids are refused or ignored.

    Only the parameters the view reads are forged (found by a first request that records them),
    one at a time for the widest walkers, all together for the others. `share` (i, n): the i-th
    of every n routes, for a walk split into tests that run side by side."""
    ours = tree.a.secrets()
    index, count = share
    for route in [r for r in all_routes() if not set(r.kwargs) - set(FIXED_KWARGS)][index::count]:
        url = _url_with(route, lambda n: MISSING)
        for auth, client, headers in walker.clients(route):
            with _reads() as read:
                client.get(url, dict.fromkeys(FORGED_PARAMS, MISSING), headers=headers)
            params = [p for p in FORGED_PARAMS if p in read]
            fakes: dict[tuple[str, ...], tuple[Any, ...]] = {}  # the answer to ids that exist nowhere
            for city in _foreign_cities(tree, walker):
                offered = [p for p in params if _offered_to(walker, [f"{FORGED_PARAMS[p]}_pk"], city)]
                forged = {p: getattr(city, FORGED_PARAMS[p]) for p in params if p not in offered}
                forged = {p: obj.pk for p, obj in forged.items() if not walker.sees(obj)}
                # One at a time where it matters most: for the widest walker, and for ids of the
                # walker's own city above it; all together otherwise.
                single = one_at_a_time or walker.path.startswith(city.city.path)
                groups = [[p] for p in forged] if single else [list(forged)] if forged else []
                for group in groups:
                    real = client.get(url, {p: forged[p] for p in group}, headers=headers)
                    if tuple(group) not in fakes:
                        fake = client.get(url, dict.fromkeys(group, MISSING), headers=headers)
                        fakes[tuple(group)] = _answer(fake, url)[:3]
                    where = f"{walker.role}: GET {url}?{group}={city.city.code} ({auth})"
                    assert real.status_code < 500, where
                    _assert_no_leak(_text(real), ours, where)
                    assert _answer(real, url)[:3] == fakes[tuple(group)], where


def test_the_walk_covers_the_core_routes() -> None:
    names = {r.name for r in all_routes()}
    assert {"home", "org_tree", "org_detail", "user_list", "audit_list", "api_org_list", "api_org_detail"} <= names
    assert {"enrollment:list_annotated", "finance:statement_xlsx", "reporting:overview_pdf"} <= names


@pytest.fixture(scope="module")
def walk_tree(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tree]:
    """`enrolled_tree`, built once for the walks of this module inside a transaction that is
    rolled back at its end; each test runs in a savepoint of it, as in Django's TestCase. Its
    files go to a folder of its own, which no other test run can overwrite."""
    with built_walk_tree(django_db_blocker, tmp_path_factory) as tree:
        yield tree


@contextmanager
def built_walk_tree(
    django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory, *, one_city: bool = False
) -> Iterator[Tree]:
    """The walk's tree, for the other walks of the product (tests/test_bad_input.py) too; with
    `one_city`, city B alone (`tree.a` is city B too), for a walk that needs no stranger."""
    from django.db import transaction
    from django.test import override_settings

    from config.celery import app
    from mutualaid.models import OrgKind
    from tests.conftest import _city
    from tests.factories import OrganisationFactory

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    with media, django_db_blocker.unblock(), transaction.atomic():
        with unscoped():
            province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
            tree = Tree(
                province=province,
                province_user=UserFactory(
                    username="province_office", display_name="省办主任", org=province, roles=ALL_OFFICE_ROLES
                ),
                a=_city(province, "BJ", "乙BJ宝鸡") if one_city else _city(province, "XA", "甲XA西安"),
                b=_city(province, "BJ", "乙BJ宝鸡") if not one_city else None,  # type: ignore[arg-type] # set below
            )
            if one_city:
                tree.b = tree.a
        if not one_city:
            tree.a.with_enrollment(100).with_claim().with_finance().with_stewardship().with_oversight()
        tree.b.with_enrollment(200).with_claim().with_finance().with_stewardship().with_oversight()
        app.conf.task_always_eager = eager
        yield tree
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_each_role_alone_gets_nothing_above_or_beside_it(walk_tree: Tree, db: None, role: str) -> None:
    """The role held alone, at city B (or its agent point or unit): every route, every verb.

    An object of city A, or of city B above the walker, answers exactly like an id that does
    not exist; no response carries city A's names, codes or accounts; nothing outside the
    walker's subtree is written, and what it creates belongs to its subtree.
    """
    walker = _walker(walk_tree, role)
    _walk_as(walk_tree, walker)
    _forge_queries_as(walk_tree, walker, one_at_a_time=False)


def _sibling_office(tree: Tree) -> Walker:
    """City B's office user, who holds every office role, so no permission can hide a scoping bug."""
    walker = Walker("all_office_roles", tree.b.office_user, "")
    with unscoped():
        walker.token = Token.objects.create(user=walker.user).key
    return walker


def test_a_sibling_office_with_every_role_gets_nothing_of_ours(walk_tree: Tree, db: None) -> None:
    """Every route, every verb, as city B's office (its query-string forgeries: the next test,
    so that the two longest walks run side by side on two test processes)."""
    created = _walk_as(walk_tree, _sibling_office(walk_tree))
    assert created, "no forged write went through at all: the check of new rows' owners ran on nothing"


FORGERY_SHARES = 4  # the longest walk of all, a quarter of its routes in each test


@pytest.mark.parametrize("share", range(FORGERY_SHARES))
def test_a_sibling_office_with_every_role_gets_nothing_of_ours_by_ids_in_the_query(
    walk_tree: Tree, db: None, share: int
) -> None:
    _forge_queries_as(walk_tree, _sibling_office(walk_tree), one_at_a_time=True, share=(share, FORGERY_SHARES))


def test_a_county_agent_gets_nothing_of_a_sibling_agent_point_of_its_own_city(walk_tree: Tree, db: None) -> None:
    """A second agent point of city A: its agent gets city A's rows (of the first agent point, its
    unit and the city office above) exactly as rows that do not exist, except the plan offered."""
    tree = walk_tree
    with unscoped():
        from mutualaid.models import OrgKind
        from tests.factories import OrganisationFactory

        sibling = OrganisationFactory(code="XAQ61C2", name="甲XA第二代办点", kind=OrgKind.COUNTY, parent=tree.a.city)
        user = UserFactory(username="xa_county_two", org=sibling, roles=[Role.COUNTY_AGENT])
        token = Token.objects.create(user=user).key
    a = tree.a
    theirs = [
        a.county.name,
        a.county.code,
        a.unit.name,
        a.unit.code,
        a.unit.credit_code,
        a.policy.number,
        a.claim.number,
    ]
    theirs += [u.username for u in (a.county_agent, a.unit_agent)] + [
        m[k] for m in a.members for k in ("name", "id_number", "phone")
    ]
    walker = Walker(Role.COUNTY_AGENT.value, user, token)
    _walk_as(tree, walker, cities=[a], secrets=[v for v in theirs if v])


# Object URLs only the owning office answers, each for a stated reason; an office above still
# reads the rows behind them on its own pages.
OWNER_ONLY = {
    "finance:payment_transfer",  # the transfer file (full account numbers) is the paying office's
    "reporting:export",  # a prepared file is the requesting office's own (it may ask for the same)
    # A proposal under deliberation is the plan office's own draft, and so are its simulations.
    "reporting:proposal",
    "reporting:simulation",
    "api_reporting_proposal",
    "api_reporting_simulation_start",
    "api_reporting_simulation",
}


def test_the_owner_and_the_province_reach_the_same_urls(walk_tree: Tree, db: None) -> None:
    """The control: the walks above would notice a leak, because the owner gets through, and so
    does the province above it (ancestors read descendants)."""
    tree = walk_tree
    failed = []
    for user in (tree.a.office_user, tree.province_user):
        client = Client()
        client.force_login(user)
        for route in _object_routes():
            if user == tree.province_user and route.name in OWNER_ONLY:
                continue
            response = client.get(_url(route, tree.a))
            if response.status_code == 405:  # POST-only actions
                continue
            if response.status_code != 200:
                failed.append(f"{user.username}: {route.name} {response.status_code}")
            elif user == tree.a.office_user and response.get("Content-Type", "").startswith("text/html"):
                assert any(secret in response.content.decode() for secret in tree.a.secrets()), route.name
    assert not failed


def test_the_province_reads_a_city_but_a_county_does_not_read_its_city(walk_tree: Tree, db: None) -> None:
    tree = walk_tree
    url = reverse("org_detail", kwargs={"org_pk": tree.a.city.pk})
    client = Client()
    client.force_login(tree.province_user)
    assert client.get(url).status_code == 200
    client.force_login(tree.a.county_agent)
    assert client.get(url).status_code in {403, 404}


def test_a_unit_agent_sees_only_its_unit(walk_tree: Tree, db: None) -> None:
    tree = walk_tree
    client = Client()
    client.force_login(tree.a.unit_agent)
    response = client.get(reverse("api_org_list", kwargs={"version": "v1"}))
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [tree.a.unit.code]


def test_admin_is_for_superusers_only(walk_tree: Tree, db: None) -> None:
    tree = walk_tree
    client = Client()
    client.force_login(tree.b.office_user)
    response = client.get("/admin/mutualaid/organisation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- No full ID number in an export, an API response or a log line. ---------------------------

# The uploaded workbook given back to whoever has to correct it: restricted to them and recorded
# in the audit trail (tests/test_isolation_pii.py), it is the uploader's own file, not an export.
OWN_UPLOADS = {"enrollment:list_annotated", "enrollment:list_failed_rows"}
POLICY_DOCUMENTS = ["cards.pdf", "application.pdf", "members.pdf", "members.xlsx"]
MACHINE_READABLE = ("application/json", "application/pdf", "spreadsheetml", "text/csv", "application/zip")


def _full_ids(tree: Tree) -> list[str]:
    return [m["id_number"] for city in (tree.a, tree.b) for m in city.members]


def _downloads(tree: Tree) -> list[str]:
    """Every URL of the walk as city A's staff, with each printed document and finished job."""
    urls = []
    for route in all_routes():
        if route.name in OWN_UPLOADS:
            continue
        if route.name == "enrollment:policy_document":
            urls += [
                reverse(route.name, kwargs={"policy_pk": tree.a.policy.pk, "document": d}) for d in POLICY_DOCUMENTS
            ]
            continue
        url = _url(route, tree.a)
        urls.append(url)
        if route.name in {"enrollment:card_job", "reporting:export"}:
            urls.append(f"{url}?download=1")
    number = tree.a.members[0]["id_number"]
    urls += [f"{reverse(n, kwargs={'version': 'v1'})}?q={number}" for n in ("api_enrollment_list", "api_claim_list")]
    return urls


def test_no_export_or_api_response_carries_a_full_id_number(walk_tree: Tree, db: None) -> None:
    """City A's office user holds every role, including the one that may reveal ID numbers: still
    no JSON, PDF, workbook or CSV the product hands out carries one (the reveal is a page)."""
    tree = walk_tree
    session = Client()
    session.force_login(tree.a.office_user)
    with unscoped():
        token = Token.objects.create(user=tree.a.office_user).key
    by_token = Client(headers={"Authorization": f"Token {token}"})
    ids = _full_ids(tree)
    checked: set[str] = set()
    for url in _downloads(tree):
        client = by_token if url.startswith("/api/") else session
        response = client.get(url)
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and any(k in kind for k in MACHINE_READABLE):
            checked.add(kind.split(";")[0])
            text = _text(response)
            assert not [i for i in ids if i in text], f"{url} ({kind}) carries a full ID number"
    assert {"application/json", "application/pdf"} <= checked and any("spreadsheetml" in k for k in checked)


def test_no_log_line_carries_a_full_id_number(
    walk_tree: Tree, db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every logger at DEBUG, SQL included, while members and claims are searched, opened, revealed and asked
    for through the API, by their own office and by a sibling office."""
    from django.db import connection

    tree = walk_tree
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level:  # "django" is INFO by default
            caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setattr(connection, "force_debug_cursor", True)  # django.db.backends logs each query
    number = tree.a.members[0]["id_number"]
    pages = [
        _url(route, tree.a)
        for route in all_routes()
        if route.name.split(":")[0] in {"enrollment", "claims"} or route.name.startswith("api_")
    ]
    searches = [
        (reverse("enrollment:member_search"), {"q": number}),
        (reverse("claims:claim_list"), {"q": number}),
        (reverse("claims:claim_register"), {"step": "find", "id_number": number}),
        (reverse("enrollment:member", kwargs={"enrollment_pk": tree.a.enrollment.pk}), {"action": "reveal"}),
    ]
    for user in (tree.a.office_user, tree.b.office_user, tree.a.unit_agent):
        client = Client()
        client.force_login(user)
        for url in pages:
            client.get(url)
        for url, data in searches:
            client.post(url, data)
        for name in ("api_enrollment_list", "api_claim_list"):
            client.get(reverse(name, kwargs={"version": "v1"}), {"q": number})
    assert "django.db.backends" in {r.name for r in caplog.records}, "the capture is not working"
    ids = _full_ids(tree)
    for record in caplog.records:
        line = caplog.handler.format(record)
        found = [i for i in ids if i in line]
        assert not found, f"{record.name} logged a full ID number: {line[:300]}"
