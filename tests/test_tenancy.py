"""The scoping mechanism itself: it fails closed."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from pghistory.models import Event

from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import Role
from mutualaid.services import org_create, user_create
from mutualaid.tenancy import ScopeError, org_scope, subtree, unscoped
from tests.conftest import Tree

OUR_APPS = ["mutualaid", "enrollment", "claims", "finance", "reporting"]
# Each entry says why it holds no tenant data or how it is read safely. Audit event models
# (pghistory) are read only through mutualaid.audit, which filters by the caller's subtree.
NOT_TENANT_OWNED = {
    "enrollment.PolicySequence",  # counters per office and year, read under a row lock by services
    "enrollment.ApprovalWatermark",  # approval counters per province, read under an advisory lock
}


def tenant_models() -> list[type]:
    return [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in NOT_TENANT_OWNED and not issubclass(model, Event)
    ]


def test_there_are_tenant_models_to_check() -> None:
    assert {m._meta.label for m in tenant_models()} >= {"mutualaid.Organisation", "mutualaid.User"}


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_a_tenant_model_cannot_be_read_without_a_scope(db: None, model: type) -> None:
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


def test_a_scope_needs_a_real_organisation(db: None) -> None:
    with pytest.raises(ScopeError), org_scope(None):  # type: ignore[arg-type]
        pass
    with pytest.raises(ScopeError), org_scope(Organisation(name="未保存")):
        pass


def test_a_city_sees_its_subtree_only(tree: Tree) -> None:
    with org_scope(tree.a.city):
        codes = set(Organisation.objects.values_list("code", flat=True))
        usernames = set(User.objects.values_list("username", flat=True))
    assert codes == {tree.a.city.code, tree.a.county.code, tree.a.unit.code}
    assert usernames == {tree.a.office_user.username, tree.a.county_agent.username, tree.a.unit_agent.username}


def test_subtree_leaves_out_only_the_prefix_test_the_scope_already_makes(tree: Tree) -> None:
    """`subtree(node)` gives the same rows as a prefix filter on the node's path; only for the
    scope's own office is the filter left to the scoped manager (one prefix test, not two)."""
    city, county = tree.a.city, tree.a.county
    expected = {city.pk, county.pk, tree.a.unit.pk}

    def read(node: Organisation) -> tuple[set[int], str]:
        rows = Organisation.objects.filter(subtree(node, "path"))
        return set(rows.values_list("pk", flat=True)), str(rows.query)

    with org_scope(city):
        found, sql = read(city)
        assert found == expected and sql.count("LIKE") == 1
        found, sql = read(county)
        assert found == {county.pk, tree.a.unit.pk} and sql.count("LIKE") == 2
    with org_scope(tree.province):  # the province's scope reads the city's subtree, not its own
        found, sql = read(city)
        assert found == expected and sql.count("LIKE") == 2
    with org_scope(city), unscoped():  # no scope holds the query: the filter is all there is
        found, sql = read(city)
        assert found == expected and sql.count("LIKE") == 1


def test_descendants_never_see_ancestors(tree: Tree) -> None:
    with org_scope(tree.a.county):
        assert not Organisation.objects.filter(pk=tree.a.city.pk).exists()
        assert not Organisation.objects.filter(pk=tree.province.pk).exists()
    with org_scope(tree.a.unit):
        assert list(Organisation.objects.values_list("pk", flat=True)) == [tree.a.unit.pk]


def test_the_province_sees_every_city(tree: Tree) -> None:
    with org_scope(tree.province):
        assert Organisation.objects.filter(kind=OrgKind.UNIT).count() == 2


def test_nobody_creates_a_node_outside_their_tree(tree: Tree) -> None:
    with org_scope(tree.a.city), pytest.raises(PermissionDenied):
        org_create(
            code="X1", name="伪造", kind=OrgKind.UNIT, parent=tree.b.county, headcount=5, actor=tree.a.office_user
        )
    with unscoped():
        assert not Organisation.objects.filter(code="X1").exists()


def test_nobody_creates_an_account_outside_their_tree(tree: Tree) -> None:
    with org_scope(tree.a.city), pytest.raises(PermissionDenied):
        user_create(
            username="forged",
            password="Xy-12345678",
            org=tree.b.unit,
            roles=[Role.UNIT_AGENT],
            actor=tree.a.office_user,
        )
    assert not User.auth_objects.filter(username="forged").exists()


def test_a_role_must_fit_its_node(tree: Tree) -> None:
    from django.core.exceptions import ValidationError

    with unscoped(), pytest.raises(ValidationError):
        user_create(username="wrong", password="Xy-12345678", org=tree.a.unit, roles=[Role.CLAIMS_OFFICER])


# Every place that reads every office's rows (`unscoped()`), with how many calls it makes: a new
# one is a decision. Add it here, with a comment at the call that says why the whole tree is read.
PINNED_UNSCOPED = {
    "claims/demo.py::seed": 1,  # seeding the demo
    "claims/selectors.py::office_calendar": 1,  # days declared by the offices above
    "claims/selectors.py::period_schedule": 1,  # the schedule is kept by the office that runs the plan
    "claims/selectors.py::schedule_list": 1,  # schedules of the periods offered from above
    "claims/selectors.py::schedule_rows": 1,  # those periods as rows, by the ids schedule_list read
    "claims/services/figures.py::_stay_into_cover": 1,  # the schedule kept by the office above the unit
    "claims/services/calculation.py::_earlier": 1,  # the person's claims held by other offices: figures only
    "claims/services/calculation.py::_facts": 1,  # a member's earlier claims anywhere in the province
    "claims/services/calculation.py::_kinds_paid_before": 1,  # kinds paid to a member in earlier periods
    "claims/services/calculation.py::_membership_year": 1,  # a member's enrollments anywhere in the province
    "claims/services/calculation.py::claim_flags": 1,  # duplicate invoices anywhere in the province
    "claims/services/payment.py::batch_settle": 1,  # freezing a schedule of the office above
    "claims/services/registration.py::_city_above": 1,  # the reviewing or paying city above the agent
    "enrollment/listing.py::period_choices": 1,  # a list filter's periods, by ids read in scope
    "enrollment/listing.py::plan_choices": 1,  # a list filter's plans, by ids read in scope
    "enrollment/selectors.py::period_get_offered": 1,  # a period run by the office above
    "enrollment/selectors.py::period_ids_relevant": 1,  # a list filter's periods of the plans run above
    "enrollment/selectors.py::period_list_offered": 1,  # periods run by the offices above
    "enrollment/selectors.py::period_subsidy_list": 1,  # a period's union level subsidies, kept by its office
    "enrollment/selectors.py::period_subsidy_texts": 1,  # the union level subsidies of the periods offered
    "enrollment/selectors.py::plan_list_exclusive": 1,  # plans of the offices above that exclude each other
    "enrollment/selectors.py::plan_list_offered": 1,  # plans run by the offices above
    "enrollment/selectors.py::plan_rows": 1,  # those plans as rows, by the ids plan_list_offered read
    "enrollment/services/approval.py::member_list_approve": 1,  # locking a period of the province above
    "enrollment/tasks.py::renewal_notices_all": 1,  # beat fan-out over office ids
    "enrollment/validation.py::_office_names": 1,  # which city holds a duplicate
    "finance/demo.py::seed": 1,  # seeding the demo
    "finance/selectors/allocations.py::allocation_room_get": 1,  # the pooling office's books above the asker
    "finance/selectors/books.py::book_plan_list": 1,  # plans of the offices above
    "finance/selectors/publication.py::fund_statement_published_get": 1,  # the public page: a token, no login
    "finance/services/allocations.py::_pooling_office": 1,  # the office above that pools the plan
    "finance/services/claims_batches.py::batch_payment_book": 1,  # plans pooled above the paying office
    "finance/services/claims_batches.py::batch_payment_defaults": 1,  # the plan pooled above the paying office
    "finance/services/ledger.py::_check_open": 1,  # the books posted into may lie above the actor
    "finance/services/ledger.py::_entry_with_key": 1,  # idempotency keys are unique across all books
    "finance/services/recoveries.py::_recovery_with_reference": 1,  # a finding's reference, unique across all books
    "finance/services/recoveries.py::_repayment_with_key": 1,  # idempotency keys are unique across all books
    "finance/services/remittances.py::_plans": 1,  # plans of the offices above
    "finance/services/remittances.py::remittance_draft": 1,  # the office the report goes to
    "finance/tasks.py::draft_all_remittances": 1,  # beat fan-out over office ids
    "finance/views/allocations.py::AllocationForm.__init__": 1,  # plans of the offices above, as a form's choices
    "finance/views/deposits.py::DepositForm.__init__": 1,  # plans of the offices above, as a form's choices
    "finance/views/income.py::IncomeForm.__init__": 1,  # plans of the offices above, as a form's choices
    "finance/views/payments.py::PaymentForm.__init__": 1,  # plans of the offices above, as a form's choices
    "finance/views/settings.py::SettingsForm.clean_remittance_due_day": 1,  # the office above's name and due day
    "finance/rules.py::own_remittance_due_date": 1,  # the office above, whose due day governs the report
    "mutualaid/audit.py::audit_rows": 1,  # actors' and their nodes' names above the reader
    "mutualaid/audit.py::audit_refusal": 1,  # the note belongs to the actor's node
    "mutualaid/management/commands/apply_retention.py::Command.handle": 1,  # operator's command
    "mutualaid/management/commands/reencrypt_pii.py::Command.handle": 1,  # operator's command
    "mutualaid/management/commands/seed_demo.py::Command.handle": 1,  # operator's command
    "mutualaid/middleware.py::TenantScopeMiddleware.__call__": 1,  # superusers' admin
    "mutualaid/notices.py::notices_prepare": 1,  # notice keys are unique across offices
    "mutualaid/notices.py::template_effective": 1,  # the wording of the offices above the sender
    "mutualaid/officesettings.py::office_settings": 1,  # the governing office's settings
    "mutualaid/retention.py::run_offices": 1,  # office ids for the nightly tasks
    "mutualaid/scopedtask.py::ScopedTask.__call__": 1,  # the office a task enters
    "mutualaid/tasks.py::resend_notices_all": 1,  # beat fan-out over the tree's roots' ids
    "reporting/overview.py::_periods_and_plans": 1,  # periods and plans of the offices above
    "reporting/rankings.py::ranking_plan_list": 1,  # plans of the offices above
    "reporting/renewals.py::count_renewals": 1,  # the plan may be run by an office above the node
    "reporting/tasks.py::rollup_all": 1,  # beat fan-out over office ids
    "reporting/turnaround.py::_calendars_and_targets": 1,  # reviewing offices' settings and days
    "reporting/turnaround.py::_reviewing_offices": 1,  # reviewing offices above the node
}


def test_every_unscoped_call_says_why_and_is_a_pinned_site() -> None:
    from tests.unscoped_sites import site_counts, unscoped_sites

    silent = [f"{site.module}:{site.line} ({site.function})" for site in unscoped_sites() if not site.commented]
    assert not silent, "say why at each unscoped() call, in a comment on its line or the line above:\n" + "\n".join(
        silent
    )
    assert dict(site_counts()) == PINNED_UNSCOPED


def test_no_code_reaches_around_the_scoped_managers() -> None:
    """`_base_manager` reads every office's rows without saying so: use a commented unscoped()."""
    from tests.unscoped_sites import PACKAGES, ROOT

    found = [
        f"{path.relative_to(ROOT)}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and "_base_manager" in path.read_text(encoding="utf-8")
    ]
    assert not found, found
