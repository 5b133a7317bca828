"""Migrations that move data: an office upgrading keeps what it had."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("claims", "0003_paid_on_covering_index"), ("finance", "0002_payment_status_labels")]
AFTER = [("claims", "0004_batch_payment_moves_to_finance"), ("finance", "0003_payment_sent_paid_and_reference")]


@pytest.mark.django_db(transaction=True)
def test_a_batch_s_sent_and_paid_facts_move_onto_its_payment() -> None:
    """Before, a claims batch recorded that it went to the bank and was paid; after, its payment
    does, and each batch's payment stands where the batch stood."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    nodes, users = old.get_model("mutualaid", "Organisation"), old.get_model("mutualaid", "User")
    plans, batches = old.get_model("enrollment", "Plan"), old.get_model("claims", "PaymentBatch")
    payments = old.get_model("finance", "PaymentRequest")
    province = nodes.objects.create(code="M1", name="省", kind="province", path="000001.", depth=0)
    user = users._default_manager.create(username="m_fin", org=province, org_path=province.path)
    plan = plans.objects.create(org=province, org_path=province.path, name="住院", kind="inpatient")
    sent_at = datetime(2026, 10, 30, 9, tzinfo=UTC)
    stood = {"open": (None, None), "exported": (sent_at, None), "paid": (sent_at, date(2026, 11, 2))}
    for number, (status, (exported_at, paid_on)) in enumerate(stood.items(), start=1):
        batch = batches.objects.create(
            org=province,
            org_path=province.path,
            number=f"PC{number}",
            status=status,
            total=Decimal("10"),
            created_by=user,
            exported_at=exported_at,
            paid_on=paid_on,
            confirmed_by=user if paid_on else None,
            bank_reference="R1" if paid_on else "",
        )
        payments.objects.create(
            org=province,
            org_path=province.path,
            number=f"FK{number}",
            plan=plan,
            kind="claims_batch",
            amount=Decimal("10"),
            payee="会员",
            purpose="理赔",
            claims_batch=batch,
            prepared_by=user,
            status="paid" if paid_on else "approved",
        )
    # Up to today's schema in one go (the moving migrations, AFTER, are on the way), read as
    # today's model reads it.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    leaves = executor.loader.graph.leaf_nodes()
    assert set(AFTER) <= {node for leaf in leaves for node in executor.loader.graph.forwards_plan(leaf)}
    executor.migrate(leaves)
    from finance.models import PaymentRequest
    from mutualaid.tenancy import unscoped

    with unscoped():  # the test's own rows, read back without an office
        moved = {p.number: (p.status, p.sent_at, p.paid_on, p.bank_reference) for p in PaymentRequest.objects.all()}
    assert moved == {
        "FK1": ("approved", None, None, ""),
        "FK2": ("sent", sent_at, None, ""),
        "FK3": ("paid", sent_at, date(2026, 11, 2), "R1"),
    }
