"""The audit trail and the ledger, protected by the database itself.

Two layers, so that neither a bug nor a stolen application password can rewrite history:

1. Triggers, which bind every role but a superuser (who could switch them off anyway), including
   the owner that runs the migrations:
   - every audit table (each pghistory event table, `pghistory_context`, `mutualaid_auditnote`)
     refuses UPDATE and DELETE. These are our own triggers: pghistory's append-only triggers
     (PGHISTORY_APPEND_ONLY) stay, but pgtrigger lets any session skip them by setting
     `pgtrigger.ignore`, and ours have no such door;
   - `pghistory_context` (who acted, from which node) is the exception pghistory needs: while a
     context is open, `_pgh_attach_context()` upserts its row with the metadata gathered so far.
     That update is allowed while the row is the current transaction's own (its `created_at` is
     the transaction's start; `xmin` would not do, as a row written under a savepoint carries
     the subtransaction's id). A context row of an earlier transaction is never changed: reached
     through pghistory's own trigger the update is skipped and the first record stands; any other
     UPDATE is refused;
   - the audit tables and the ledger (the tables of the models registered with `guard_ledger`:
     finance's journal) refuse TRUNCATE (the ledger's UPDATE and DELETE are refused by its
     own app's migration).
   They are installed after every `migrate` (post_migrate), so an event table added later is
   covered as soon as it exists.
2. Privileges: production runs the migrations as the owner and the application as a role that
   owns nothing (`manage.py create_app_role`, `app_role_grants`), which may read and insert
   the audit and ledger tables but not update, delete or truncate them, and so cannot drop or
   disable the triggers either.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

# Models whose rows are the books: never updated, deleted or truncated. The app that owns them
# registers them when it loads (`guard_ledger`), so this module names no app above the core.
LEDGER_MODELS: list[str] = []
CONTEXT_TABLE = "pghistory_context"

FUNCTIONS = """
CREATE OR REPLACE FUNCTION mutualaid_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are never changed or deleted (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION mutualaid_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit and ledger tables are never truncated (%)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION mutualaid_context_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at THEN
        IF OLD.created_at = transaction_timestamp() THEN
            RETURN NEW;
        END IF;
        IF pg_trigger_depth() > 1 THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit contexts are never changed or deleted once written (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def _quote(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


def event_tables() -> list[str]:
    from pghistory.models import Event

    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if issubclass(model, Event) and model._meta.managed and not model._meta.proxy
        }
    )


def audit_tables() -> list[str]:
    """Every table of the audit trail: events, contexts and notes."""
    from mutualaid.models import AuditNote

    return [*event_tables(), CONTEXT_TABLE, AuditNote._meta.db_table]


def guard_ledger(*labels: str) -> None:
    """Protect these models' tables (app_label.ModelName) as the ledger."""
    for label in labels:
        if label not in LEDGER_MODELS:
            LEDGER_MODELS.append(label)


def ledger_tables() -> list[str]:
    tables = []
    for label in LEDGER_MODELS:
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:
            continue
    return tables


def protected_tables() -> list[str]:
    """Tables the application may read and insert into, and never update, delete or truncate."""
    return [*audit_tables(), *ledger_tables()]


def guard_statements(existing: set[str]) -> list[str]:
    statements = [FUNCTIONS]
    for table in audit_tables():
        if table not in existing:
            continue
        function = "mutualaid_context_append_only" if table == CONTEXT_TABLE else "mutualaid_refuse_change"
        statements.append(
            f"CREATE OR REPLACE TRIGGER mutualaid_append_only BEFORE UPDATE OR DELETE ON {_quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    for table in protected_tables():
        if table in existing:
            statements.append(
                f"CREATE OR REPLACE TRIGGER mutualaid_no_truncate BEFORE TRUNCATE ON {_quote(table)} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mutualaid_refuse_truncate()"
            )
    return statements


def install_guards(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Install (again: every statement is idempotent) the triggers on the tables that exist."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for statement in guard_statements(existing):
            cursor.execute(statement)


def app_role_grants(role: str) -> list[str]:
    """What the application's role may do: read and write the application's tables, except
    changing or removing audit and ledger rows; read the migration history; use the sequences."""
    connection = connections[DEFAULT_DB_ALIAS]
    who = _quote(role)
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    statements = [
        f"GRANT CONNECT ON DATABASE {_quote(connection.settings_dict['NAME'])} TO {who}",
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {who}",
    ]
    for table in protected_tables():
        if table in existing:
            statements.append(f"REVOKE UPDATE, DELETE ON {_quote(table)} FROM {who}")
    if CONTEXT_TABLE in existing:
        # INSERT ... ON CONFLICT DO UPDATE needs UPDATE on the columns it sets, even when no row
        # conflicts; the trigger above limits it to the transaction's own context row.
        statements.append(f"GRANT UPDATE (metadata, updated_at) ON {CONTEXT_TABLE} TO {who}")
    return statements
