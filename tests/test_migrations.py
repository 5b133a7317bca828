"""Migrations that move data: an office upgrading keeps what it had."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mutualaid.idcheck import make_credit_code

BEFORE = [("claims", "0003_paid_on_covering_index"), ("finance", "0002_payment_status_labels")]
AFTER = [("claims", "0004_batch_payment_moves_to_finance"), ("finance", "0003_payment_sent_paid_and_reference")]


@pytest.fixture
def empty_database(django_db_blocker: Any) -> Iterator[None]:
    """A database of the test's own, empty, as the default connection for the test.

    Taking the shared test database down to the old schema and up again took eight minutes of a
    core (unapplying renders every migration's state backwards); migrating an empty database up
    to the old schema and then on to today's is one forward migration, as the template's. The
    test needs no other test's database and runs while the template is being migrated."""
    from django.conf import settings
    from django.db import connection

    name = f"test_mutualaid_migrations_{os.getpid()}"
    original = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
        connection.close()
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = name
        try:
            yield
        finally:
            connection.close()
            settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = original
            # Dropping a database waits for a checkpoint of the server (half a minute while other
            # tests write): in a thread of its own, which the process waits for before it ends, on
            # a connection of its own (the test runner allows Django's only inside a test).
            server = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
            threading.Thread(target=_drop, args=(name, server), name="drop test_migrations").start()


def _drop(name: str, server: dict[str, Any]) -> None:
    import psycopg

    params = {"host": server["HOST"], "port": server["PORT"], "user": server["USER"], "password": server["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.usefixtures("empty_database")
def test_an_office_upgrading_from_before_endorsements_and_finance_payments_keeps_what_it_had() -> None:
    """Both data migrations in one trip up: an empty database migrated to the schema before both,
    an office's rows written as it wrote them then, the database brought up past both in one step
    and read back as the models stood then (later migrations run on every test database)."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE + ENROLLMENT_BEFORE)
    sent_at = _old_batches(_applied())
    made, policy = _old_lists(_applied())
    executor = MigrationExecutor(connection)
    assert not set(AFTER + ENROLLMENT_AFTER) & executor.loader.applied_migrations.keys()
    executor.migrate(AFTER + ENROLLMENT_AFTER)
    _batch_facts_moved_onto_payments(_applied(), sent_at)
    _supplementary_lists_became_endorsements(_applied(), made, policy)


def _applied():  # type: ignore[no-untyped-def]
    """The models as the database now stands: every applied migration."""
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def _old_batches(old):  # type: ignore[no-untyped-def]
    """Before, a claims batch recorded that it went to the bank and was paid; after, its payment
    does, and each batch's payment stands where the batch stood."""
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
    return sent_at


def _batch_facts_moved_onto_payments(apps, sent_at: datetime) -> None:  # type: ignore[no-untyped-def]
    payments = apps.get_model("finance", "PaymentRequest").objects.all()
    moved = {p.number: (p.status, p.sent_at, p.paid_on, p.bank_reference) for p in payments}
    assert moved == {
        "FK1": ("approved", None, None, ""),
        "FK2": ("sent", sent_at, None, ""),
        "FK3": ("paid", sent_at, date(2026, 11, 2), "R1"),
    }


ENROLLMENT_BEFORE = [("enrollment", "0003_cardprintjob_attempt")]
ENROLLMENT_AFTER = [("enrollment", "0006_member_numbers_required")]
CREDIT = make_credit_code(seventeen="91610113MA6T00001")


def _old_enrollments(apps, *, policy, member_list, rows, stored_at):  # type: ignore[no-untyped-def]
    enrollments = apps.get_model("enrollment", "Enrollment")
    for row in rows:
        enrollments.objects.create(
            org=policy.org,
            org_path=policy.org_path,
            province_id=policy.org_id,
            period=policy.period,
            plan_kind="inpatient",
            policy=policy,
            member_list=member_list,
            row_number=row,
            name=f"会员{member_list.pk}-{row}",
            id_cipher=b"x",
            id_hash=f"{member_list.pk}-{row}".encode(),
            id_masked="610113********0000",
            gender="F",
            birth_date=date(1980, 1, 1),
            shares=1,
            starts_on=policy.starts_on,
            ends_on=policy.ends_on,
            premium=Decimal("50.00"),
            member_part=Decimal("50.00"),
            unit_part=Decimal("0"),
            union_part=Decimal("0"),
        )
    enrollments.objects.filter(member_list=member_list).update(created_at=stored_at)


def _old_lists(old):  # type: ignore[no-untyped-def]
    """A policy's first list keeps the numbers its cards were printed with; a later list merged
    into it becomes endorsement -P01, dated on its approval's business day in Shanghai, and its
    members are numbered after the first list's."""
    nodes, users = old.get_model("mutualaid", "Organisation"), old.get_model("mutualaid", "User")
    plans, periods = old.get_model("enrollment", "Plan"), old.get_model("enrollment", "Period")
    lists, policies = old.get_model("enrollment", "MemberList"), old.get_model("enrollment", "Policy")
    province = nodes.objects.create(code="M2P", name="省", kind="province", path="000002.", depth=0)
    city = nodes.objects.create(code="M2", name="市", kind="city", path="000002.000001.", depth=1, parent=province)
    unit = nodes.objects.create(
        code="M2U",
        name="厂",
        kind="unit",
        path="000002.000001.000001.",
        depth=2,
        parent=city,
        credit_code=CREDIT,
        headcount=10,
    )
    user = users._default_manager.create(username="m_head", org=city, org_path=city.path)
    plan = plans.objects.create(org=city, org_path=city.path, name="住院", kind="inpatient")
    period = periods.objects.create(
        org=city,
        org_path=city.path,
        plan=plan,
        label="2026",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        premium_per_share=Decimal("50.00"),
    )
    issued = datetime(2026, 11, 12, 2, tzinfo=UTC)
    # 16:30 UTC on 30 November is 1 December in Shanghai: the endorsement is December's.
    merged = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    policy = policies.objects.create(
        org=unit,
        org_path=unit.path,
        number="M2-2026-000001",
        period=period,
        issued_by_office=city,
        issued_by=user,
        issued_at=issued,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    made = []
    for name, decided_at in (("初始.xlsx", issued), ("补充.xlsx", merged)):
        made.append(
            lists.objects.create(
                org=unit,
                org_path=unit.path,
                period=period,
                kind="initial" if name == "初始.xlsx" else "supplementary",
                status="approved",
                original_name=name,
                file_sha256=name,
                uploaded_by=user,
                decided_by=user,
                decided_at=decided_at,
                policy=policy,
            )
        )
    _old_enrollments(old, policy=policy, member_list=made[0], rows=range(2, 5), stored_at=issued)
    _old_enrollments(old, policy=policy, member_list=made[1], rows=range(2, 4), stored_at=merged)
    return made, policy


def _supplementary_lists_became_endorsements(apps, made: list, policy) -> None:  # type: ignore[no-untyped-def,type-arg]
    enrollments = apps.get_model("enrollment", "Enrollment").objects.filter(policy_id=policy.pk)
    numbers = dict(enrollments.values_list("name", "number"))
    endorsement = apps.get_model("enrollment", "Endorsement").objects.get(policy_id=policy.pk)
    last = apps.get_model("enrollment", "Policy").objects.get(pk=policy.pk).last_member_number
    first, second = made
    assert numbers == {
        f"会员{first.pk}-2": 2,
        f"会员{first.pk}-3": 3,
        f"会员{first.pk}-4": 4,
        f"会员{second.pk}-2": 5,
        f"会员{second.pk}-3": 6,
    }
    assert last == 6
    assert endorsement.number == "M2-2026-000001-P01" and endorsement.member_list_id == second.pk
    assert endorsement.effective_on == date(2026, 12, 1) and endorsement.premium_month == date(2026, 12, 1)
    assert (endorsement.member_count, endorsement.premium) == (2, Decimal("100.00"))
    assert (endorsement.first_member_number, endorsement.last_member_number) == (5, 6)
