"""Benchmark: a 100,000-row member list against a province of 5,000,000 enrollments.

    make bench            (or: .venv/bin/python bench/enrollment_bench.py [--rows N] [--existing N])

Builds (once, reused afterwards) a separate database `mutualaid_bench` holding a synthetic
province with the existing enrollments (loaded by SQL, constraints rebuilt afterwards), writes a
member list workbook, then measures in the same run:

1. ours: upload → read → check every row including the province-wide duplicate check →
   submit → approve into a policy and enrollments, end to end, and the peak memory of that
   process;
2. the floor: reading the workbook with python-calamine plus storing its rows by COPY, with no
   checks at all;
3. django-import-export's default import of the same file (a ModelResource, per-row saves).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"
# Its own database; BENCH_DATABASE names another (engineers sharing one server keep theirs apart).
BENCH_DB = os.environ.get("BENCH_DATABASE", "mutualaid_bench")


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MUTUALAID_TESTING", "1")  # development keys, no HTTPS redirects
    os.environ.setdefault("MEDIA_ROOT", str(DATA / "media"))
    import django

    django.setup()


def _database_url() -> str:
    base = os.environ.get("DATABASE_URL")
    if base:
        return base.rsplit("/", 1)[0] + "/" + BENCH_DB
    from config.devdb import ensure_database

    return ensure_database(BENCH_DB)


def _ensure_database_exists(url: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    import dj_database_url

    cfg = dj_database_url.parse(admin)
    with psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or None,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


# The synthetic province ---------------------------------------------------------------------


def build_province(existing: int) -> dict[str, int]:
    """Province, 10 cities, 100 counties, 5,000 units, a plan and a period; `existing` active
    enrollments spread over the units, loaded by SQL. Reused when already there."""
    from django.core.management import call_command

    from mutualaid.models import Organisation
    from mutualaid.tenancy import unscoped

    call_command("migrate", verbosity=0)
    state_file = DATA / f"province-{existing}.json"
    with unscoped():
        if state_file.exists() and Organisation.objects.filter(code="B61").exists():
            return json.loads(state_file.read_text())
        print(f"building the synthetic province ({existing:,} enrollments); this is done once…", flush=True)
        started = time.perf_counter()
        from django.db import transaction

        with transaction.atomic():
            state = _build(existing)
        _load_enrollments(existing, state.pop("_units"), state.pop("_old"), state.pop("_current"), state["province"])
        state_file.write_text(json.dumps(state))
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
        return state


def _build(existing: int) -> dict:  # type: ignore[type-arg]
    """The tree, the accounts, the plan and its periods, in one transaction."""
    from django.db import connection

    from enrollment.models import Period, Plan, PlanKind
    from mutualaid.idcheck import make_credit_code
    from mutualaid.models import OrgKind
    from mutualaid.services import org_create, user_create

    with connection.cursor() as cursor:
        # The audit and ledger tables, reached by CASCADE, refuse TRUNCATE (mutualaid/dbguard.py);
        # this bench database is emptied with triggers off, then they are on again.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "TRUNCATE enrollment_enrollment, enrollment_listrow, enrollment_policy, enrollment_memberlist, "
            "enrollment_period, enrollment_plan, enrollment_plan_exclusive_with, enrollment_policysequence, "
            "mutualaid_user, mutualaid_organisation CASCADE"
        )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    province = org_create(code="B61", name="基准省办事处", kind=OrgKind.PROVINCE, parent=None)
    counter = iter(range(1, 10**9))
    units = []
    for c in range(10):
        city = org_create(code=f"B61{c:02d}", name=f"基准市{c}代办处", kind=OrgKind.CITY, parent=province)
        for k in range(10):
            county = org_create(code=f"B61{c:02d}{k:02d}", name=f"基准县{c}-{k}", kind=OrgKind.COUNTY, parent=city)
            for u in range(50):
                units.append(
                    org_create(
                        code=f"B61{c:02d}{k:02d}{u:03d}",
                        name=f"基准单位{c}-{k}-{u}",
                        kind=OrgKind.UNIT,
                        parent=county,
                        headcount=2000,
                        credit_code=make_credit_code(seventeen=f"91610100{next(counter):09d}"),
                    )
                )
    big = org_create(
        code="B61BIG",
        name="基准大型企业工会",
        kind=OrgKind.UNIT,
        parent=county,
        headcount=130_000,
        credit_code=make_credit_code(seventeen=f"91610100{next(counter):09d}"),
    )
    agent = user_create(username="bench_agent", password="Bench-Passw0rd!", org=big, roles=["unit_agent"])
    head = user_create(username="bench_head", password="Bench-Passw0rd!", org=city, roles=["office_head"])
    plan = Plan.objects.create(org=province, name="职工住院医疗互助保障", kind=PlanKind.INPATIENT)
    period = Period.objects.create(
        org=province,
        plan=plan,
        label="2026年度",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        premium_per_share="50.00",
        max_shares=3,
    )
    old = Period.objects.create(
        org=province,
        plan=plan,
        label="2025年度",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        premium_per_share="50.00",
        max_shares=3,
        frozen_at="2025-01-01T00:00:00+08:00",
    )
    return {
        "period": period.pk,
        "unit": big.pk,
        "agent": agent.pk,
        "head": head.pk,
        "existing": existing,
        "province": province.pk,
        "_units": units,
        "_old": old,
        "_current": period,
    }


def _load_enrollments(existing: int, units: list, old, current, province_id: int) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    with transaction.atomic():
        _load_rows(existing, units, old, current, province_id)
    _rebuild_indexes()


def _load_rows(existing: int, units: list, old, current, province_id: int) -> None:  # type: ignore[no-untyped-def]
    """Half the people in last year's period, half in this year's, one policy and one list per
    unit; rows made by SQL, with the exclusion constraint and indexes rebuilt after loading."""
    from django.db import connection

    constraint = "one_active_enrollment_per_person_and_period"
    indexes = [
        "enrollment_person_cancelled",
        "enrollment_policy_rows",
        "enrollment_enrollment_subtree",
        "enrollment_name_trigrams",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {constraint}")
        for name in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("CREATE TEMP TABLE bench_units (n serial, org_id bigint, org_path text)")
        with cursor.copy("COPY bench_units (org_id, org_path) FROM STDIN") as copy:
            for unit in units:
                copy.write_row((unit.pk, unit.path))
        cursor.execute(
            """
            INSERT INTO enrollment_memberlist (org_id, org_path, period_id, kind, status, file, original_name,
                file_sha256, uploaded_by_id, progress, row_count, error_row_count, list_problems, cell_problems,
                passed_only, created_at, decision_note, checked_versions, withdrawal_reason)
            SELECT u.org_id, u.org_path, p.id, 'initial', 'approved', 'bench.xlsx', 'bench.xlsx', md5(u.n::text || p.id),
                   (SELECT id FROM mutualaid_user LIMIT 1), 100, 0, 0, '[]', '[]', false, now(), '', '{}', ''
            FROM bench_units u CROSS JOIN (VALUES (%s), (%s)) AS p(id)
            """,
            [old.pk, current.pk],
        )
        cursor.execute(
            """
            INSERT INTO enrollment_policy (org_id, org_path, number, period_id, issued_by_office_id, issued_by_id,
                issued_at, starts_on, ends_on, member_count, share_count, premium, member_part, unit_part, union_part,
                last_member_number)
            SELECT l.org_id, l.org_path, 'B-' || l.id, l.period_id, l.org_id, l.uploaded_by_id, now(),
                   pe.starts_on, pe.ends_on, 0, 0, 0, 0, 0, 0, 0
            FROM enrollment_memberlist l JOIN enrollment_period pe ON pe.id = l.period_id
            """
        )
        # The generated rows are consistent by construction: skip the per-row foreign-key
        # triggers while loading them, and insert unit by unit (small statements, no big joins).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            SELECT po.org_id, po.org_path, po.id, po.period_id, po.starts_on, po.ends_on, l.id
            FROM enrollment_policy po
            JOIN enrollment_memberlist l ON l.org_id = po.org_id AND l.period_id = po.period_id
            ORDER BY po.org_id, po.period_id
            """
        )
        policies = cursor.fetchall()
        per_policy = existing // len(policies)
        for index, (org_id, org_path, policy_id, period_id, starts_on, ends_on, list_id) in enumerate(policies):
            first = index * per_policy + 1
            last = existing if index == len(policies) - 1 else first + per_policy - 1
            cursor.execute(
                """
                INSERT INTO enrollment_enrollment (org_id, org_path, province_id, period_id, plan_kind, policy_id,
                    member_list_id, row_number, number, name, id_cipher, id_hash, id_masked, gender, birth_date,
                    phone_cipher, shares, starts_on, ends_on, premium, member_part, unit_part, union_part, status,
                    cancel_reason, created_at, employment_status, parent_name)
                SELECT %s, %s, %s, %s, 'inpatient', %s, %s, g.i - %s + 2, g.i - %s + 1, '会员' || g.i,
                       decode(md5('c' || g.i), 'hex'), decode(md5('h' || g.i), 'hex'), '6101**********0000', 'F',
                       date '1980-01-01' + (g.i %% 9000), NULL, 1, %s, %s, 50, 50, 0, 0, 'active', '', now(), '', ''
                FROM generate_series(%s, %s) AS g(i)
                """,
                [
                    org_id,
                    org_path,
                    province_id,
                    period_id,
                    policy_id,
                    list_id,
                    first,
                    first,
                    starts_on,
                    ends_on,
                    first,
                    last,
                ],
            )
        cursor.execute(
            """
            UPDATE enrollment_policy p SET last_member_number = m.top, member_count = m.members,
                share_count = m.members
            FROM (SELECT policy_id, max(number) AS top, count(*) AS members FROM enrollment_enrollment
                  GROUP BY policy_id) m
            WHERE m.policy_id = p.id
            """
        )
        cursor.execute("SET session_replication_role = DEFAULT")


def _rebuild_indexes() -> None:
    """Rebuild what was dropped, exactly as the migrations define it."""
    from django.db import connection as conn

    from enrollment.models import Enrollment

    constraint = "one_active_enrollment_per_person_and_period"
    indexes = [
        "enrollment_person_cancelled",
        "enrollment_policy_rows",
        "enrollment_enrollment_subtree",
        "enrollment_name_trigrams",
    ]

    with conn.schema_editor() as editor:
        for index in Enrollment._meta.indexes:
            if index.name in indexes:
                editor.add_index(Enrollment, index)
        for item in Enrollment._meta.constraints:
            if item.name == constraint:
                editor.add_constraint(Enrollment, item)
    with conn.cursor() as cursor:
        # Vacuumed as well, as autovacuum would have done to a table loaded long ago: its
        # visibility map lets the index-only reads of the pages and roll-ups skip the table.
        cursor.execute("VACUUM ANALYZE enrollment_enrollment")


# The member list ----------------------------------------------------------------------------


def build_workbook(rows: int) -> Path:
    """A clean 10-column member list of new people, written with openpyxl in write-only mode."""
    path = DATA / f"list-{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    from enrollment.workbook.columns import COLUMNS
    from mutualaid.idcheck import known_regions, make_resident_id

    regions = known_regions()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("参保人员名单")
    sheet.append([c.header for c in COLUMNS])
    for i in range(rows):
        gender = "M" if i % 2 else "F"
        birth = date(1970 + i % 35, 1 + i % 12, 1 + i % 28)
        number = make_resident_id(
            region=regions[i % len(regions)], birth_date=birth, sequence=(i // len(regions)) % 500, gender=gender
        )
        sheet.append(
            [
                i + 1,
                f"职工{i}",
                number,
                "男" if gender == "M" else "女",
                None,
                f"139{i:08d}",
                "职工住院医疗互助保障",
                1,
                "是",
                None,
            ]
        )
    book.save(path)
    return path


# The three measurements ---------------------------------------------------------------------


def path_rows(path: Path) -> int:
    return int(path.stem.split("-")[1])


def run_ours(state: dict[str, int], path: Path) -> dict[str, float]:
    """Upload, check, submit and approve; returns the phase times in seconds."""
    from enrollment.models import ListStatus, MemberList, Period
    from enrollment.services.approval import member_list_approve
    from enrollment.services.member_lists import member_list_check, member_list_submit, member_list_upload
    from mutualaid.models import Organisation, User
    from mutualaid.tenancy import org_scope, unscoped

    with unscoped():
        agent = User.auth_objects.get(pk=state["agent"])
        head = User.auth_objects.get(pk=state["head"])
        unit = Organisation.objects.get(pk=state["unit"])
        period = Period.objects.select_related("plan").get(pk=state["period"])
        MemberList.objects.filter(org=unit).delete()
        # The unit employs as many people as the list holds, so the participation rule passes.
        Organisation.objects.filter(pk=unit.pk).update(headcount=path_rows(path))
        unit.refresh_from_db()
    data = path.read_bytes()
    times: dict[str, float] = {}
    started = time.perf_counter()
    with org_scope(unit, actor_id=agent.pk):
        member_list, _ = member_list_upload(actor=agent, unit=unit, period=period, data=data, filename=path.name)
        times["upload"] = time.perf_counter() - started
        checked = member_list_check(member_list=member_list, viewer=unit)
        times["read and check"] = time.perf_counter() - started - times["upload"]
        assert checked.status == ListStatus.VALID, (checked.status, checked.list_problems, checked.cell_problems[:5])
        member_list_submit(actor=agent, member_list=checked)
    mark = time.perf_counter()
    with org_scope(head.org, actor_id=head.pk):
        policy = member_list_approve(actor=head, member_list=checked)
    times["approve and store"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    assert policy.member_count == checked.row_count
    # Leave the province as it was for the next run.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM enrollment_enrollment WHERE policy_id = %s", [policy.pk])
    with unscoped():
        MemberList.objects.filter(pk=checked.pk).update(policy=None)
        policy.delete()
        checked.file.delete(save=False)
        MemberList.objects.filter(pk=checked.pk).delete()
    return times


def run_floor(path: Path) -> float:
    """python-calamine read + COPY into a scratch table: what no checking at all would cost."""
    from django.db import connection
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS floor_rows (seq text, name text, id_number text, gender text, "
            "birth text, phone text, plan text, shares text, insured text, remarks text)"
        )
        cursor.execute("TRUNCATE floor_rows")
        with cursor.copy("COPY floor_rows FROM STDIN") as copy:
            for row in rows[1:]:
                copy.write_row([None if v == "" else str(v) for v in row[:10]])
    return time.perf_counter() - started


def run_import_export(state: dict[str, int], path: Path) -> float:
    """django-import-export with default settings, into the staging rows of a list."""
    import tablib
    from import_export import fields, resources

    from enrollment.models import ListRow, MemberList
    from mutualaid.models import Organisation, User
    from mutualaid.tenancy import unscoped

    with unscoped():
        unit = Organisation.objects.get(pk=state["unit"])
        holder = MemberList.objects.create(
            org=unit,
            period_id=state["period"],
            file="x.xlsx",
            original_name="import-export.xlsx",
            file_sha256="import-export",
            uploaded_by=User.auth_objects.get(pk=state["agent"]),
        )

    class MemberRowResource(resources.ModelResource):
        row_number = fields.Field(attribute="row_number", column_name="序号")
        name = fields.Field(attribute="name", column_name="姓名")
        id_masked = fields.Field(attribute="id_masked", column_name="证件号码")
        gender = fields.Field(attribute="gender", column_name="性别")
        shares = fields.Field(attribute="shares", column_name="投保份数")

        class Meta:
            model = ListRow
            fields = ("row_number", "name", "id_masked", "gender", "shares")
            import_id_fields = ()

        def before_save_instance(self, instance, row, **kwargs):  # type: ignore[no-untyped-def]
            instance.member_list = holder
            instance.org = unit
            instance.ok = True
            instance.gender = "M" if instance.gender == "男" else "F"

    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    with unscoped():
        result = MemberRowResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors()
    with unscoped():
        ListRow.objects.filter(member_list=holder).delete()
        holder.delete()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=5_000_000)
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument("--phase", choices=["ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    url = _database_url()
    _ensure_database_exists(url)
    _setup_django(url)

    if args.phase == "ours":  # run in a child process so that its peak memory is its own
        import resource

        state = json.loads((DATA / f"province-{args.existing}.json").read_text())
        times = run_ours(state, build_workbook(args.rows))
        times["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(times))
        return

    state = build_province(args.existing)
    path = build_workbook(args.rows)
    print(f"list: {path.name} ({path.stat().st_size / 1e6:.1f} MB), existing enrollments: {args.existing:,}")
    child = subprocess.run(
        [sys.executable, __file__, "--phase", "ours", "--rows", str(args.rows), "--existing", str(args.existing)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    ours = json.loads(child.stdout.strip().splitlines()[-1])
    floor = run_floor(path)
    theirs = None if args.skip_import_export else run_import_export(state, path)

    print()
    print(f"{'':40} {'seconds':>9}")
    for phase in ("upload", "read and check", "approve and store"):
        print(f"  ours: {phase:32} {ours[phase]:9.2f}")
    print(
        f"ours, end to end {'':23} {ours['total']:9.2f}   (goal < 6 s; peak memory {ours['peak_mb']:.0f} MB, goal < 1 GB)"
    )
    print(f"floor: calamine read + COPY, no checks {floor:9.2f}")
    if theirs is not None:
        print(f"django-import-export, default import     {theirs:9.2f}")
    print()
    print(
        f"ours / floor: {ours['total'] / floor:.1f}x"
        + (f"   django-import-export / ours: {theirs / ours['total']:.1f}x" if theirs else "")
    )


if __name__ == "__main__":
    main()
