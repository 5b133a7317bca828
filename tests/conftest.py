"""Shared fixtures: a province with two sibling cities, and users at every level.

City A (西安) is "ours"; city B (宝鸡) is the sibling office whose staff are the strangers of
the isolation tests. Every name and code of city A carries the marker "甲XA" so that a leak of
any of them into a response body is easy to find.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import OFFICE_ROLES, Role
from mutualaid.tenancy import org_scope, unscoped
from tests.factories import OrganisationFactory, UserFactory

ALL_OFFICE_ROLES = sorted(role.value for role in OFFICE_ROLES)
TEMPLATE = pytest.StashKey[Any]()  # the process migrating the template of the workers' databases


@dataclass
class City:
    city: Organisation
    county: Organisation
    unit: Organisation
    office_user: User  # holds every office role: permissions never hide a scoping bug
    county_agent: User
    unit_agent: User
    # Built on demand by `with_enrollment()`: a plan of the city, and an approved list of the unit
    # (`with_cards()`: its cards printed).
    plan: Any = None
    member_list: Any = None
    policy: Any = None
    card_job: Any = None
    enrollment: Any = None
    members: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0
    # Built by `with_finance()` last: a supplementary list of one member, approved as an endorsement.
    endorsement: Any = None
    # Built by `with_claim()`: reviewers of the city, a schedule, a claim paid in a batch.
    reviewers: Any = None
    period: Any = None
    claim: Any = None
    notice: Any = None  # the notice telling the claim's member it was registered
    document: Any = None
    batch: Any = None
    # Built by `with_finance()`: the county's ledger entry for the policy, last month's report.
    entry: Any = None
    remittance: Any = None
    payment: Any = None
    allocation: Any = None
    deposit: Any = None
    statement: Any = None
    snapshot: Any = None
    export_job: Any = None
    # Built by `with_finance()`: a proposal of the plan's next period and a finished simulation of it.
    proposal: Any = None
    simulation: Any = None
    # Built by `with_stewardship()`: a receipt for part of the unit's premium, a fund statement drafted.
    receipt: Any = None
    fund_statement: Any = None
    settlement: Any = None  # the city owes the agent point premium of members a correction ended
    # Built by `with_oversight()` (the isolation walks): a hospital check's scan, a re-check by the
    # office above with an overpaid finding and its recovery, an audit finding with its evidence,
    # this year's archive volumes and a document exchanged.
    check_document: Any = None
    recheck: Any = None
    recovery: Any = None
    finding: Any = None
    evidence: Any = None
    volume: Any = None
    letter: Any = None

    def secrets(self) -> list[str]:
        """Strings that must never appear in a response to another office."""
        nodes = [self.city, self.county, self.unit]
        users = [self.office_user, self.county_agent, self.unit_agent]
        found = [n.name for n in nodes] + [n.code for n in nodes] + [n.credit_code for n in nodes if n.credit_code]
        found += [u.username for u in users] + [u.display_name for u in users]
        if self.policy is not None:
            found.append(self.policy.number)
        if self.fund_statement is not None:
            found.append(self.fund_statement.public_token)
        if self.claim is not None:
            found += [self.claim.number, self.claim.hospital, "6222020200112233445", self.batch.number]
            found += [u.username for u in vars(self.reviewers).values()]
        for member in self.members:
            found += [member["name"], member["id_number"], member["id_number"][-8:], member["phone"]]
        return found

    def with_enrollment(self, offset: int) -> City:
        from enrollment.models import MemberList
        from tests.lists import enrol, offer_plan, person

        offer = offer_plan(self.office_user)
        label = self.city.name[:6]
        self.offset = offset
        self.members = [person(offset + i, name=f"{label}会员{i}") for i in range(2)]
        self.plan = offer.plan
        self.policy = enrol(self.unit_agent, self.office_user, self.unit, offer.period, self.members)
        with unscoped():
            self.member_list = MemberList.objects.get(policy=self.policy)
            self.enrollment = self.policy.enrollments.order_by("number").first()
        self.period = offer.period
        return self

    def with_cards(self) -> City:
        """The period's cards printed once (a whole-tree job, done). Kept apart from
        `with_enrollment()`: rendering the PDF is most of an enrolment's cost, and few tests read it."""
        from enrollment.services.cards import card_job_create, card_job_run

        with org_scope(self.city):
            self.card_job = card_job_run(job=card_job_create(actor=self.office_user, period=self.period))
        return self

    def with_claim(self) -> City:
        """A claim of the unit's first member, through the three levels and paid in a batch."""
        from claims.models import ClaimDocument
        from mutualaid.models import Notice
        from tests import claimkit

        label = self.city.name[:6]
        self.reviewers = claimkit.reviewers(self.city, self.city.code.lower())
        claimkit.set_schedule(self.office_user, self.period)
        claim = claimkit.register(
            self.unit_agent, self.enrollment, hospital=f"{label}人民医院", invoices=(f"{self.city.code}-INV1",)
        )
        claim = claimkit.approve(self.reviewers, claim)
        self.batch = claimkit.pay(self.reviewers, [claim])
        with unscoped():
            self.claim = type(claim).objects.get(pk=claim.pk)
            self.document = ClaimDocument.objects.filter(claim=claim).first()
            self.notice = Notice.objects.filter(reference=claim.number).order_by("pk").first()
        return self

    def with_finance(self) -> City:
        """The policy moved to last month and its agent point's remittance report drafted."""
        from finance.models import JournalEntry, PaymentRequest
        from tests import finkit

        self.with_cards()
        self.remittance = finkit.last_month_report(self)
        with unscoped():
            self.entry = JournalEntry.objects.get(idempotency_key=f"policy:{self.policy.pk}")
            self.payment = PaymentRequest.objects.filter(org=self.city).first()
        self.allocation = finkit.imprest_request(self)
        self.deposit = finkit.deposit_placed(self)
        self.statement = finkit.bank_statement(self)
        self.snapshot = finkit.city_snapshot(self)
        from reporting import jobs

        with org_scope(self.city, actor_id=self.office_user.pk):
            job = jobs.export_job_create(actor=self.office_user, kind="rankings_xlsx", params={"plan": self.plan.pk})
            self.export_job = jobs.export_job_run(job=job)
        self.with_proposal()
        return self.with_endorsement()

    def with_proposal(self) -> City:
        """A proposal of the plan's next period, drafted from its period, and a simulation of it."""
        from reporting import proposals, simulations

        with org_scope(self.city, actor_id=self.office_user.pk):
            self.proposal = proposals.proposal_create(
                actor=self.office_user, plan=self.plan, name=f"{self.city.name[:6]}方案"
            )
            run = simulations.simulation_start(
                actor=self.office_user, proposal=self.proposal, period_ids=[self.period.pk]
            )
            self.simulation = simulations.simulation_run(run=run)

    def with_stewardship(self) -> City:
        """Part of the endorsement's premium received by the agent point, with its receipt, and the
        city's statement to members of last year's third quarter drafted."""
        from decimal import Decimal

        from finance.models import PremiumReceipt
        from finance.services import premiums, publication
        from mutualaid import dates

        agent = self.county_agent
        with org_scope(agent.org, actor_id=agent.pk):  # the endorsement's: the walk's forms pay the policy's
            premiums.endorsement_premium_receive(
                actor=agent,
                endorsement=self.endorsement,
                received_on=dates.business_today(),
                bank_reference=f"{self.city.code}-PREM-1",
                amount=Decimal("10.00"),
            )
        with unscoped():
            self.receipt = PremiumReceipt.objects.filter(endorsement=self.endorsement).order_by("pk").first()
        with org_scope(self.city, actor_id=self.office_user.pk):
            self.fund_statement = publication.statement_draft(
                actor=self.office_user, period="quarter", year=2026, quarter=3
            )
        # A settlement for the walk's routes, written as a row: the story that makes one (a month
        # remitted, then corrected) is tests/test_remittance_settlements.py's.
        from finance.models import RemittanceSettlement

        with unscoped():
            self.settlement = RemittanceSettlement.objects.create(
                org=self.county,
                to_office=self.city,
                plan=self.plan,
                endorsement=self.endorsement,
                month=self.remittance.month,
                carried_in=self.remittance,
                amount=Decimal("10.00"),
            )
        return self

    def with_oversight(self) -> City:
        """The oversight of the city's paid claim and of its fund (see the attributes)."""
        from datetime import timedelta
        from decimal import Decimal

        from django.core.files.uploadedfile import SimpleUploadedFile

        from claims.models import HospitalCheckDocument, RecheckFinding
        from claims.services.documents import document_check
        from claims.services.oversight import hospital_check_record, recheck_draw, recheck_review
        from finance.models import Recovery
        from mutualaid import dates
        from reporting.archives import archive_compile, letter_register
        from reporting.models import ArchiveCategory, ArchiveVolume, FindingEvidence
        from reporting.rectification import finding_record, finding_rectify
        from tests import claimkit

        def scan(name: str) -> Any:
            return document_check(kind="other", upload=SimpleUploadedFile(name, claimkit.pdf_scan()))

        label, today = self.city.name[:6], dates.business_today()
        officer = self.reviewers.officer
        with org_scope(self.city, actor_id=officer.pk):
            check = hospital_check_record(
                actor=officer,
                claim=self.claim,
                checked_on=today,
                checker=f"{label}查勘员",
                place=f"{label}人民医院",
                outcome="confirmed",
                findings="一致",
                documents=[scan("check.pdf")],
            )
        above = UserFactory(
            username=f"{self.city.code.lower()}_above", org=self.city.parent, roles=[Role.COMPLIANCE, Role.AUDITOR]
        )
        with org_scope(self.city.parent, actor_id=above.pk):
            self.recheck = recheck_draw(
                actor=above, target=self.city, paid_from=today - timedelta(days=400), paid_to=today, size=3
            )
            item = self.recheck.items.get()
            recheck_review(actor=above, item=item, finding=RecheckFinding.OVERPAID, overpaid=Decimal("10"), note="多付")
        head = self.office_user
        with org_scope(self.city, actor_id=head.pk):
            self.finding = finding_record(
                actor=head,
                office=self.city,
                source="self_check",
                title=f"{label}备用金未对账",
                owner=head,
                deadline=today + timedelta(days=5),
            )
            finding_rectify(actor=head, finding=self.finding, rectification="已对账", evidence=[scan("evidence.pdf")])
            self.letter = letter_register(
                actor=head,
                direction="in",
                reference=f"{self.city.code}-LETTER-1",
                title=f"{label}来文",
                counterpart="省办",
                dated=today,
                scans=[scan("letter.pdf")],
            )
            archive_compile(actor=head, year=today.year)
        with unscoped():
            self.check_document = HospitalCheckDocument.objects.get(hospital_check=check)
            self.recovery = Recovery.objects.get(claim=self.claim)
            self.evidence = FindingEvidence.objects.get(finding=self.finding)
            self.volume = ArchiveVolume.objects.get(org=self.county, category=ArchiveCategory.CLAIMS)
        return self

    def with_endorsement(self) -> City:
        """A supplementary list of one more member approved into the policy: an endorsement."""
        from enrollment.models import Endorsement, Plan
        from tests.lists import enrol, person

        with unscoped():  # the plan's name as it stands now (a test may have renamed it)
            plan_name = Plan.objects.get(pk=self.plan.pk).name
        extra = person(self.offset + 50, name=f"{self.city.name[:6]}补充会员", plan=plan_name)
        enrol(self.unit_agent, self.office_user, self.unit, self.period, [extra])
        self.members.append(extra)
        with unscoped():
            self.endorsement = Endorsement.objects.filter(policy=self.policy).order_by("-sequence").first()
        return self


@dataclass
class Tree:
    province: Organisation
    province_user: User
    a: City
    b: City


def _city(province: Organisation, code: str, label: str) -> City:
    code = f"{code}Q61"  # long enough never to turn up by chance in a CSRF token
    city = OrganisationFactory(code=code, name=f"{label}市代办处", kind=OrgKind.CITY, parent=province)
    county = OrganisationFactory(code=f"{code}C1", name=f"{label}区代办点", kind=OrgKind.COUNTY, parent=city)
    unit = OrganisationFactory(code=f"{code}U1", name=f"{label}机械厂工会", parent=county, headcount=300)
    return City(
        city=city,
        county=county,
        unit=unit,
        office_user=UserFactory(
            username=f"{code.lower()}_office", display_name=f"{label}主任", org=city, roles=ALL_OFFICE_ROLES
        ),
        county_agent=UserFactory(
            username=f"{code.lower()}_county", display_name=f"{label}代办员", org=county, roles=[Role.COUNTY_AGENT]
        ),
        unit_agent=UserFactory(
            username=f"{code.lower()}_unit", display_name=f"{label}单位经办", org=unit, roles=[Role.UNIT_AGENT]
        ),
    )


def _tree() -> Tree:
    with unscoped():
        province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
        return Tree(
            province=province,
            province_user=UserFactory(
                username="province_office", display_name="省办主任", org=province, roles=ALL_OFFICE_ROLES
            ),
            a=_city(province, "XA", "甲XA西安"),
            b=_city(province, "BJ", "乙BJ宝鸡"),
        )


def _replay_key(request: pytest.FixtureRequest, name: str) -> tuple[Any, ...]:
    """A recording of `name` is the module's own, of the business day (tests/replay.py)."""
    from mutualaid.dates import business_today

    return (name, request.node.module.__name__, business_today())


@pytest.fixture
def tree(db: None, request: pytest.FixtureRequest) -> Tree:
    """A province with two cities, built once per module and replayed (tests/replay.py)."""
    from tests.replay import replayed

    return replayed(_replay_key(request, "tree"), _tree)


@pytest.fixture
def enrolled_tree(tree: Tree, request: pytest.FixtureRequest) -> Tree:
    """The tree with a plan, an approved list and a policy in each city, and a paid claim (built
    once per module and replayed: tests/replay.py)."""
    from tests.replay import replayed

    def build() -> tuple[City, City]:
        return tree.a.with_enrollment(100).with_claim().with_finance(), tree.b.with_enrollment(
            200
        ).with_claim().with_finance()

    tree.a, tree.b = replayed(_replay_key(request, "enrolled_tree"), build)
    return tree


@pytest.fixture
def claims_ready(tree: Tree, request: pytest.FixtureRequest) -> Tree:
    """City A with an enrolled unit, the Shaoxing schedule and one reviewer per level: built by
    the module's first test that asks for it, replayed in the others (tests/replay.py)."""
    from tests import claimkit
    from tests.replay import replayed

    def build() -> City:
        tree.a.with_enrollment(100)
        claimkit.set_schedule(tree.a.office_user, tree.a.period)
        tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
        return tree.a

    tree.a = replayed(_replay_key(request, "claims_ready"), build)
    return tree


# Modules of long tests (minutes of walking every route as every role, the API fuzz): among the
# database tests they start first, shared out between the test processes, so that no process ends
# with one of them running alone while the others have nothing left.
# The long modules and their rough cost in seconds of one core: each is laid out whole in one
# process's run, so that its module-wide fixture (a tree of two cities, built in 15-20 s; the demo
# and a Chromium) is built once. Their long walks are split into shares (tests/shares.py), tests
# of a few seconds each: a process that runs out of work takes the rest of another's walk
# (pytest-xdist's worksteal) instead of waiting for one long test to end.
LONG_FIRST = {
    # The phone and menu walks of every role of the demo, in Chromium (split by role).
    "tests/test_layout_browser.py": 300,  # + each list page laid out again at 1366 and 801 px
    "tests/test_isolation.py": 150,
    "tests/test_api_fuzz.py": 45,
    "tests/test_bad_input.py": 170,  # the query and form walks, in shares
    "tests/test_office_month_browser.py": 45,
    "tests/test_full_personal_data.py": 25,
    "tests/test_export_formulas.py": 20,
    # A real PostgreSQL primary and standby, a real PgBouncer, each with a second Django process.
    "tests/test_replica.py": 60,
    "tests/test_pgbouncer.py": 45,
}


def _uses_database(item: pytest.Item) -> bool:
    """A test that asks for a database fixture, or has only the `django_db` mark (pytest-django
    then asks for the database while the test starts: its fixture names do not say so). Such a
    test laid out among those that need none waited for the template at the start of its process
    (the month's browser journey and the PgBouncer test, a minute of setup each)."""
    return "django_db_setup" in getattr(item, "fixturenames", ()) or item.get_closest_marker("django_db") is not None


@pytest.hookimpl(trylast=True)  # after pytest-django's own order (database tests, then transactional)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test process starts with tests that need no database (while the template database is
    migrated: tests/testdb.py), then takes its share of the long modules, then the rest.

    pytest-xdist's `worksteal` gives each process an equal run of consecutive tests, then lets an
    idle process take half of what another has left: the runs are laid out here one after the
    other, each module's tests in their order; each long module goes whole to the process with the
    least long work so far."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    long_modules = tuple(LONG_FIRST)
    free = [item for item in items if not _uses_database(item)]
    rest = [item for item in items if _uses_database(item) and not item.nodeid.startswith(long_modules)]
    runs: list[list[pytest.Item]] = [free[i::workers] for i in range(workers)]
    load = [0] * workers
    for module, cost in sorted(LONG_FIRST.items(), key=lambda pair: -pair[1]):
        lightest = load.index(min(load))
        runs[lightest] += [item for item in items if _uses_database(item) and item.nodeid.startswith(module)]
        load[lightest] += cost
    remaining = len(items)
    for i, run in enumerate(runs):
        size = remaining // (workers - i)  # what worksteal gives the i-th process
        take = max(0, size - len(run))
        run += rest[:take]
        rest = rest[take:]
        remaining -= len(run)
    runs[-1] += rest
    items[:] = [item for run in runs for item in run]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts the workers, which inherit its variable
def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.pluginmanager.hasplugin("dsession") and not session.config.option.collectonly:
        from tests import testdb

        session.config.stash[TEMPLATE] = testdb.template_start()


@pytest.hookimpl(trylast=True)  # after the workers have ended
def pytest_sessionfinish(session: pytest.Session) -> None:
    process = session.config.stash.get(TEMPLATE, None)
    if process is not None:
        from tests import testdb

        testdb.template_finish(process)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's test database; under pytest-xdist, each worker's copy of the template
    (tests/testdb.py)."""
    from django.test.utils import setup_databases, teardown_databases

    from tests import testdb

    verbosity = request.config.option.verbose
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and testdb.TEMPLATE_ENV in os.environ:
        with django_db_blocker.unblock():
            original = testdb.worker_database_create(worker, verbosity)
        yield
        with django_db_blocker.unblock():
            testdb.worker_database_destroy(original=original)
        return
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        databases = setup_databases(verbosity=verbosity, interactive=False, keepdb=keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(databases, verbosity=verbosity)
            except Exception as error:  # as pytest-django's own: a leftover database is no test's failure
                request.node.warn(pytest.PytestWarning(f"the test database was not dropped: {error!r}"))


@pytest.fixture(autouse=True, scope="session")
def flush_past_the_audit_guards() -> Iterator[None]:
    """The audit and ledger tables refuse TRUNCATE (mutualaid/dbguard.py), and TRUNCATE is how the
    test runner empties the database after a test that commits. Its flush runs as the test
    database's superuser in replica mode, where ordinary triggers do not fire."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        from tests.replay import FLUSHES

        original(self, ["SET LOCAL session_replication_role = replica", *sql_list])
        FLUSHES[0] += 1

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]
    yield
    DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test starts with an empty cache: figures one test left there (mutualaid/tenantcache.py)
    are not another test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def tasks_run_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in the test's process, except in the tests that start a real worker.

    Celery's in-process `apply_async` sets a process-wide flag around each call that makes
    `.get()` refuse to wait (as inside a task); two threads doing it at once (tests/test_faults.py)
    can leave it set, which would fail every later test of the process: each test starts clear."""
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    from config.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager or previous
    _set_task_join_will_block(False)
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def approvers_pass_the_code_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.force_login(approver)` gives a session that has passed two-factor verification
    (a confirmed authenticator, the session marked as the code page marks it): the tests of
    everything behind the login need not repeat the login's second step. tests/test_auth.py
    goes through the login pages to examine the second step itself."""
    from django.test import Client

    from tests.twofactor import force_login_verified

    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture
def in_city_a(tree: Tree) -> Iterator[Tree]:
    """Run the test body inside city A's scope, as its office user would."""
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        yield tree


def require_service(name: str) -> None:
    """Skip when a server the test needs is not configured, but never silently in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but is not configured (set {name}).")
    pytest.skip(f"{name} not configured")
