"""The audit trail and the ledger cannot be rewritten: not by the application's database role
(privileges), not even by the owner (triggers); and every refusal of a sensitive action is
itself recorded in the trail."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import psycopg
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from claims.services.review import claim_review
from enrollment.services.enrollments import enrollment_reveal_id
from finance.services import payments as finance_payments
from mutualaid.audit import audit_event_list
from mutualaid.dbguard import audit_tables, event_tables
from mutualaid.models import AuditNote, AuditNoteKind, OrgKind
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import OrganisationFactory

EVENT_TABLE = "mutualaid_organisationevent"
PROTECTED = [EVENT_TABLE, "pghistory_context", "mutualaid_auditnote", "finance_journalentry", "finance_journalline"]
CHANGES = {
    "update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
}
COLUMNS = {
    EVENT_TABLE: "pgh_label",
    "pghistory_context": "metadata",
    "mutualaid_auditnote": "action",
    "finance_journalentry": "memo",
    "finance_journalline": "account",
}


# The application's role ---------------------------------------------------------------------


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the application's role, created by the command in the test database (one
    role per test database: roles are shared by the whole server)."""
    settings = connection.settings_dict
    role = f"{settings['NAME']}_app"[:63]
    call_command("create_app_role", role=role, stdout=StringIO())
    _old_context()
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
    ) as app:
        app.execute("SET lock_timeout = '5s'")
        app.commit()
        yield app
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {connection.ops.quote_name(role)}")


def _fails(app: psycopg.Connection[Any], sql: str, params: Any = None) -> bool:
    try:
        app.execute(sql, params)
    except psycopg.Error:
        app.rollback()
        return True
    app.rollback()
    return False


@pytest.mark.parametrize("table", PROTECTED)
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_app_role_cannot_change_delete_or_truncate_audit_and_ledger_rows(
    app_role: psycopg.Connection[Any], table: str, change: str
) -> None:
    assert _fails(app_role, CHANGES[change].format(table=table, column=COLUMNS[table]))


def test_the_app_role_is_no_owner_and_no_superuser(app_role: psycopg.Connection[Any]) -> None:
    row = app_role.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False, False)
    owned = app_role.execute(
        "SELECT count(*) FROM pg_class JOIN pg_roles ON pg_roles.oid = relowner WHERE rolname = current_user"
    ).fetchone()
    assert owned == (0,)
    assert _fails(app_role, f"ALTER TABLE {EVENT_TABLE} DISABLE TRIGGER mutualaid_append_only")
    assert _fails(app_role, f"DROP TRIGGER mutualaid_append_only ON {EVENT_TABLE}")


def test_the_app_role_inserts_and_works_as_pghistory_needs(app_role: psycopg.Connection[Any]) -> None:
    """It writes the application's tables, inserts audit rows, and may merge the metadata of
    its own transaction's context, as pghistory does while a context is open."""
    context = str(uuid.uuid4())
    app_role.execute(
        "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) VALUES (%s, '{}', now(), now())",
        [context],
    )
    app_role.execute("UPDATE pghistory_context SET metadata = '{\"user\": 1}' WHERE id = %s", [context])
    # A note, and through pghistory's trigger its event (an event table), under that context.
    app_role.execute(
        "SELECT set_config('pghistory.context_id', %s, true), set_config('pghistory.context_metadata', %s, true)",
        [context, '{"user": 2}'],
    )
    app_role.execute(
        "INSERT INTO mutualaid_auditnote (kind, org_path, action, target, detail, at) "
        "VALUES ('refused', '', 'test', '', '{}', now())"
    )
    assert app_role.execute(
        "SELECT count(*) FROM mutualaid_auditnoteevent WHERE pgh_context_id = %s", [context]
    ).fetchone() == (1,)
    app_role.execute("UPDATE mutualaid_organisation SET name = name WHERE false")
    app_role.rollback()


def test_a_context_of_an_earlier_transaction_is_never_changed(app_role: psycopg.Connection[Any]) -> None:
    """pghistory upserts an open context's row on every tracked write; once the transaction
    that wrote it is over, the row stays as written and the write goes on."""
    with unscoped():
        unit = OrganisationFactory(code="CTXP1", name="上下文省办", kind=OrgKind.PROVINCE)
    context = str(uuid.uuid4())

    def tracked_write(metadata: dict[str, Any]) -> None:
        app_role.execute(
            "SELECT set_config('pghistory.context_id', %s, true), set_config('pghistory.context_metadata', %s, true)",
            [context, json.dumps(metadata)],
        )
        app_role.execute("UPDATE mutualaid_organisation SET name = name || '改' WHERE id = %s", [unit.pk])
        app_role.commit()

    tracked_write({"user": 1})
    tracked_write({"user": 2})
    assert app_role.execute("SELECT metadata FROM pghistory_context WHERE id = %s", [context]).fetchone() == (
        {"user": 1},
    )
    assert app_role.execute("SELECT name FROM mutualaid_organisation WHERE id = %s", [unit.pk]).fetchone() == (
        f"{unit.name}改改",
    )
    assert _fails(app_role, "UPDATE pghistory_context SET metadata = '{}' WHERE id = %s", [context])
    assert _fails(app_role, "UPDATE pghistory_context SET id = gen_random_uuid() WHERE id = %s", [context])


# The owner, through the triggers ------------------------------------------------------------------


def _old_context() -> None:
    """A context row written by an earlier transaction (one of the current transaction's own may
    still be merged by pghistory)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
            "VALUES (gen_random_uuid(), '{}', now() - interval '1 hour', now() - interval '1 hour')"
        )


def _has_rows(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")  # noqa: S608
        return bool(cursor.fetchone()[0])


def test_even_the_owner_cannot_change_delete_or_truncate_audit_and_ledger_rows(enrolled_tree: Tree) -> None:
    from mutualaid.audit import audit_refusal

    audit_refusal(actor=enrolled_tree.a.unit_agent, action="pii.reveal", target=enrolled_tree.a.enrollment)
    _old_context()
    for table in PROTECTED:
        assert _has_rows(table), table
        for change in sorted(CHANGES):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(CHANGES[change].format(table=table, column=COLUMNS[table]))


def test_every_audit_table_is_guarded(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'mutualaid_%'")
        triggers = set(cursor.fetchall())
    for table in audit_tables():
        assert {(table, "mutualaid_append_only"), (table, "mutualaid_no_truncate")} <= triggers, table
    assert len(event_tables()) > 10


# Refusals in the trail ----------------------------------------------------------------------------


def _refusals() -> list[AuditNote]:
    with unscoped():
        return list(AuditNote.objects.filter(kind=AuditNoteKind.REFUSED).order_by("pk"))


def test_a_refused_id_reveal_is_recorded(enrolled_tree: Tree) -> None:
    a = enrolled_tree.a
    with org_scope(a.unit, actor_id=a.unit_agent.pk), pytest.raises(PermissionDenied):
        enrollment_reveal_id(actor=a.unit_agent, enrollment=a.enrollment)
    [note] = _refusals()
    assert (note.actor, note.org, note.action) == (a.unit_agent, a.unit, "pii.reveal")
    assert note.target == f"enrollment.Enrollment:{a.enrollment.pk}"
    with org_scope(a.city):
        assert any(row.object_label == note.target for row in audit_event_list())
    with org_scope(enrolled_tree.b.city):
        assert all(row.object_label != note.target for row in audit_event_list())


def test_a_refused_claim_review_is_recorded(claims_ready: Tree) -> None:
    a = claims_ready.a
    claim = claimkit.register(a.unit_agent, a.enrollment)
    with org_scope(a.city, actor_id=a.office_user.pk), pytest.raises(PermissionDenied):
        claim_review(actor=a.reviewers.finance, claim=claim, version=claim.version, action="pass")
    [note] = _refusals()
    assert (note.actor, note.action, note.target) == (a.reviewers.finance, "claims.review", f"claims.Claim:{claim.pk}")
    assert note.detail["reason"]


def test_a_refused_payment_approval_is_recorded_and_an_allowed_one_is_not(claims_ready: Tree) -> None:
    a = claims_ready.a
    finance = a.reviewers.finance
    with org_scope(a.city, actor_id=finance.pk):
        payment = finance_payments.payment_prepare(
            actor=finance,
            plan=a.plan,
            kind="management_fee",
            amount=Decimal("1.00"),
            payee="办公用品供应商",
            purpose="办公用品",
        )
        with pytest.raises(PermissionDenied):
            finance_payments.payment_approve(actor=finance, payment=payment, version=payment.version)
        finance_payments.payment_approve(actor=a.reviewers.head, payment=payment, version=payment.version)
    [note] = _refusals()
    assert (note.actor, note.action) == (finance, "finance.approve")
    assert note.target == f"finance.PaymentRequest:{payment.pk}"


def test_refusal_notes_cannot_be_changed(claims_ready: Tree) -> None:
    a = claims_ready.a
    with org_scope(a.unit, actor_id=a.unit_agent.pk), pytest.raises(PermissionDenied):
        enrollment_reveal_id(actor=a.unit_agent, enrollment=a.enrollment)
    [note] = _refusals()
    note.action = "nothing happened"
    with pytest.raises(DatabaseError), transaction.atomic():
        note.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        note.delete()
