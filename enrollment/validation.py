"""Checks a parsed member list row by row, and as a whole, against a period's rules and the
enrollments already held anywhere in the province.

Rows are checked in plain Python; the province-wide duplicate and mutual-exclusion checks are
one query each for the whole list, whatever its length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from enrollment import eligibility
from enrollment.models import Period, Plan
from enrollment.selectors import period_ids_overlapping, plan_list_exclusive
from enrollment.workbook.columns import CellProblem, ParsedList
from mutualaid import idcheck, pii
from mutualaid.badinput import whole_numbers
from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped

YES = {"是", "y", "yes", "1", "true", "有", "参加"}
NO = {"否", "n", "no", "0", "false", "无", "未参加"}


@dataclass
class CheckedRow:
    number: int
    name: str = ""
    id_number: str = ""
    id_hash: bytes = b""
    gender: str = ""
    birth_date: date | None = None
    phone: str = ""
    shares: int | None = None
    remarks: str = ""
    employment_status: str = ""
    parent_id_hash: bytes | None = None
    parent_name: str = ""
    id_cipher: bytes | None = None
    phone_cipher: bytes | None = None
    phone_tail_hash: bytes | None = None
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, column: str, code: str, message: str) -> None:
        self.problems.append(CellProblem(row=self.number, column=column, code=code, message=message))


@dataclass
class CheckResult:
    rows: list[CheckedRow]
    list_problems: list[dict[str, str]]

    @property
    def cell_problems(self) -> list[CellProblem]:
        return [p for row in self.rows for p in row.problems]

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def check_list(
    *,
    parsed: ParsedList,
    period: Period,
    unit: Organisation,
    viewer_path: str,
    existing_unit_members: int = 0,
    fixed_shares: int | None = None,
    replaced_list_id: int | None = None,
) -> CheckResult:
    """Every problem of every row, plus the problems of the list as a whole.

    `existing_unit_members` counts the unit's active enrollments in this period already (for a
    supplementary list); `fixed_shares` is the share count the unit's policy already has;
    `replaced_list_id` is the approved list a correction replaces, whose members hold nobody.
    """
    plan = period.plan
    rows = [_check_identity(raw.number, raw.values, period) for raw in parsed.rows]
    by_number = {row.number: row for row in rows}
    for problem in parsed.cell_problems:
        if problem.row in by_number:
            by_number[problem.row].problems.append(problem)
    hashed = [row for row in rows if row.id_hash]

    eligible = eligibility.has_rules(period)

    def the_rest() -> None:
        for row, raw in zip(rows, parsed.rows, strict=True):
            _check_details(row, raw.values, period, plan)
            if eligible:
                _check_eligibility(row, raw.values, period)
            _encrypt(row)

    held = _while(
        lambda: _province_holdings(hashed, period, plan, unit, replaced_list_id), the_rest, parallel=len(rows)
    )
    _check_duplicates_in_file(rows)
    _check_share_counts(rows, period, fixed_shares)
    _apply_holdings(hashed, held, plan, viewer_path)
    if plan.insures_children:
        _check_parents(rows, period, unit)
    refused_unit = eligibility.unit_refusal(period, unit)
    list_problems = [{"code": "unit_type_not_covered", "message": refused_unit}] if refused_unit else []
    list_problems += _check_participation(rows, period, unit, existing_unit_members)
    return CheckResult(rows=rows, list_problems=list_problems)


def _check_eligibility(row: CheckedRow, values: dict[str, Any], period: Period) -> None:
    """Who may join the plan (enrollment/eligibility.py): gender, ages, employment, children."""
    employment = eligibility.employment_read(_text(values, "employment"))
    if employment is None and not period.employment_statuses:
        employment = ""  # a column the plan does not ask for: not read
    if employment is None:
        row.problem(
            "employment",
            "bad_employment",
            _("Choose the member's employment status: %(choices)s.")
            % {"choices": "、".join(eligibility.EMPLOYMENT_CHOICES)},
        )
    else:
        row.employment_status = employment
        for refusal in eligibility.employment_refusals(period, employment):
            row.problem(refusal.column, refusal.code, refusal.message)
    if row.birth_date is not None and row.gender:
        for refusal in eligibility.person_refusals(period, gender=row.gender, birth_date=row.birth_date):
            row.problem(refusal.column, refusal.code, refusal.message)
    if period.plan.insures_children:
        _check_child(row, values, period)


def _check_child(row: CheckedRow, values: dict[str, Any], period: Period) -> None:
    """A children's plan: the row is the child; the relationship and the parent member say
    through whom (the parent's enrollment is looked up for the whole list in `_check_parents`)."""
    relationship = _text(values, "relationship")
    if relationship not in eligibility.CHILD_WORDS:
        row.problem(
            "relationship",
            "relationship_missing" if not relationship else "not_a_child",
            _("This plan insures members' children: write 子女 in 与会员关系 (a member's son or daughter)."),
        )
    row.parent_name = _text(values, "parent_name")[:50]
    if not row.parent_name:
        row.problem("parent_name", "parent_name_missing", _("Enter the name of the parent member."))
    raw_parent = values.get("parent_id")
    if raw_parent in (None, ""):
        row.problem(
            "parent_id",
            "parent_id_missing",
            _("Enter the parent member's ID number: a child is insured through a parent enrolled by this unit."),
        )
        return
    try:
        parent = idcheck.parse_resident_id(raw_parent, on=period.starts_on)
    except idcheck.IdError as error:
        row.problem("parent_id", error.code, str(error.message))
        return
    if parent.number == row.id_number:
        row.problem(
            "parent_id",
            "parent_is_child",
            _("The parent member's ID number is the child's own: enter the parent's number."),
        )
        return
    row.parent_id_hash = pii.blind_index(parent.number)


def _check_parents(rows: list[CheckedRow], period: Period, unit: Organisation) -> None:
    enrolled = eligibility.parents_enrolled(
        unit=unit, period=period, parent_hashes=(row.parent_id_hash for row in rows if row.parent_id_hash)
    )
    refusal = eligibility.parent_not_enrolled()
    for row in rows:
        if row.parent_id_hash and row.parent_id_hash not in enrolled:
            row.problem(refusal.column, refusal.code, refusal.message)


def _while(query: Callable[[], Any], work: Callable[[], None], *, parallel: int) -> Any:
    """Run the province query and the rest of the row checks side by side for a large list: the
    query waits on PostgreSQL (the other core) while Python checks and encrypts the rows.

    The query runs on its own connection in a worker thread, so it sees committed data only;
    small lists (and the tests, which run inside one uncommitted transaction) run it inline."""
    if parallel < settings.MEMBER_LIST_PARALLEL_FROM:
        result = query()
        work()
        return result

    def on_its_own_connection() -> Any:
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(on_its_own_connection)
        work()
        return future.result()


def _encrypt(row: CheckedRow) -> None:
    if row.id_number:
        row.id_cipher = pii.encrypt(row.id_number)
    if row.phone:
        row.phone_cipher = pii.encrypt(row.phone)
        row.phone_tail_hash = pii.phone_tail_index(row.phone)


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value).strip()


def _check_identity(number: int, values: dict[str, Any], period: Period) -> CheckedRow:
    """Name and ID number: what the province-wide search needs."""
    row = CheckedRow(number=number, name=_text(values, "name"), remarks=_text(values, "remarks")[:200])
    if not row.name:
        row.problem("name", "name_missing", _("The name is missing: enter the member's name as on the ID card."))
    elif len(row.name) > 50:
        row.problem("name", "name_too_long", _("The name is longer than 50 characters."))

    raw_id = values.get("id_number")
    if raw_id is not None:
        try:
            resident = idcheck.parse_resident_id(raw_id, on=period.starts_on)
        except idcheck.IdError as error:
            row.problem("id_number", error.code, str(error.message))
        else:
            row.id_number = resident.number
            row.id_hash = pii.blind_index(resident.number)
            row.gender = resident.gender
            row.birth_date = resident.birth_date
            _check_person(row, values, resident, period)
    elif not any(p.column == "id_number" for p in row.problems):
        row.problem("id_number", "empty", _("The ID number is missing."))
    return row


def _check_details(row: CheckedRow, values: dict[str, Any], period: Period, plan: Plan) -> None:
    """Phone, plan, shares and basic insurance."""

    phone = values.get("phone")
    if phone not in (None, ""):
        try:
            row.phone = idcheck.normalise_phone(phone)
        except idcheck.IdError as error:
            row.problem("phone", "bad_phone", str(error.message))

    declared_plan = _text(values, "plan")
    if declared_plan and declared_plan != plan.name:
        row.problem(
            "plan",
            "wrong_plan",
            _("This list is for the plan “%(plan)s”; enrol other plans with their own list.") % {"plan": plan.name},
        )
    elif not declared_plan:
        row.problem("plan", "plan_missing", _("Choose the plan from the drop-down list."))

    shares = values.get("shares")
    if isinstance(shares, int) and not isinstance(shares, bool):
        row.shares = shares
        if shares < 1:
            row.problem("shares", "bad_shares", _("Shares must be a whole number of at least 1."))
        elif shares > period.max_shares:
            row.problem(
                "shares",
                "too_many_shares",
                _("At most %(max)s shares per member in this plan.") % {"max": period.max_shares},
            )
    elif shares is None and not any(p.column == "shares" for p in row.problems):
        row.problem("shares", "shares_missing", _("Enter the number of shares."))

    insured = _text(values, "basic_insurance").lower()
    if insured in NO and period.requires_basic_insurance:
        row.problem(
            "basic_insurance",
            "no_basic_insurance",
            _("Only members enrolled in basic medical insurance may join this plan."),
        )
    elif insured not in YES and insured not in NO:
        row.problem("basic_insurance", "basic_insurance_missing", _("Answer 是 or 否."))


def _check_person(row: CheckedRow, values: dict[str, Any], resident: idcheck.ResidentId, period: Period) -> None:
    declared_gender = _text(values, "gender")
    try:
        matches = idcheck.gender_matches(resident, declared_gender) if declared_gender else None
    except ValueError:
        matches = None
        declared_gender = ""
    if not declared_gender:
        row.problem("gender", "gender_missing", _("Choose 男 or 女."))
    elif not matches:
        row.problem(
            "gender", "gender_mismatch", _("The gender does not match the ID number: check both against the ID card.")
        )
    declared_birth = values.get("birth_date")
    if isinstance(declared_birth, date) and declared_birth != resident.birth_date:
        row.problem(
            "birth_date", "birth_date_mismatch", _("The birth date does not match the one inside the ID number.")
        )
    age = idcheck.age_on(resident.birth_date, period.starts_on)
    if not period.min_age <= age <= period.max_age:
        row.problem(
            "id_number",
            "age_out_of_range",
            _("Aged %(age)s when the period starts; this plan takes members aged %(min)s to %(max)s.")
            % {"age": age, "min": period.min_age, "max": period.max_age},
        )


def _check_duplicates_in_file(rows: list[CheckedRow]) -> None:
    first_seen: dict[bytes, int] = {}
    for row in rows:
        if not row.id_hash:
            continue
        if row.id_hash in first_seen:
            row.problem(
                "id_number",
                "duplicate_in_file",
                _("The same person as row %(row)s of this list.") % {"row": first_seen[row.id_hash]},
            )
        else:
            first_seen[row.id_hash] = row.number


def _check_share_counts(rows: list[CheckedRow], period: Period, fixed_shares: int | None) -> None:
    """同一单位投保不同份数: a unit enrols all its members with the same number of shares."""
    counts = Counter(row.shares for row in rows if row.shares)
    if not counts:
        return
    expected = fixed_shares or counts.most_common(1)[0][0]
    if len(counts) == 1 and fixed_shares is None:
        return
    for row in rows:
        if row.shares and row.shares != expected:
            row.problem(
                "shares",
                "different_shares",
                _("A unit enrols every member with the same number of shares; this unit's is %(n)s.") % {"n": expected},
            )


Holdings = tuple[dict[bytes, tuple[str, str, str]], dict[str, str], dict[str, str]]


# The province-wide search: who of the list's people holds a plan of these kinds, in any unit of
# the province, for days that overlap the period, in the periods that do
# (`selectors.period_ids_overlapping`; bench/history_bench.py times it as written).
PROVINCE_HOLDINGS_SQL = """
    SELECT e.id_hash, e.plan_kind, e.org_path, o.name
    FROM enrollment_enrollment e JOIN mutualaid_organisation o ON o.id = e.org_id
    WHERE e.province_id = %(province)s AND e.status = 'active' AND e.plan_kind = ANY(%(kinds)s)
      AND e.starts_on <= %(ends)s AND e.ends_on >= %(starts)s AND e.id_hash = ANY(%(hashes)s)
      AND e.member_list_id IS DISTINCT FROM %(replaced)s
      AND e.period_id = ANY(%(periods)s)
"""


def _province_holdings(
    rows: list[CheckedRow], period: Period, plan: Plan, unit: Organisation, replaced_list_id: int | None
) -> Holdings:
    """重复参保 and 二选一: one query over every enrollment in the province.

    It deliberately reads outside the uploader's subtree (a duplicate may sit in any city);
    `_apply_holdings` cuts what is shown of it to what the uploader may know.
    """
    exclusive = plan_list_exclusive(plan=plan)
    if not rows:
        return {}, exclusive, {}
    kinds = [plan.kind, *exclusive]
    province_id = unit.ancestor_ids()[0]
    with connection.cursor() as cursor:
        cursor.execute(
            PROVINCE_HOLDINGS_SQL,
            {
                "province": province_id,
                "kinds": kinds,
                "starts": period.starts_on,
                "ends": period.ends_on,
                "hashes": [row.id_hash for row in rows],
                "replaced": replaced_list_id,
                "periods": period_ids_overlapping(kinds=kinds, starts_on=period.starts_on, ends_on=period.ends_on),
            },
        )
        held = {bytes(h): (kind, path, name) for h, kind, path, name in cursor.fetchall()}
    offices = _office_names({path.split(".")[1] for _k, path, _n in held.values() if path.count(".") > 1})
    return held, exclusive, offices


def _apply_holdings(rows: list[CheckedRow], holdings: Holdings, plan: Plan, viewer_path: str) -> None:
    held, exclusive, office_names = holdings
    for row in rows:
        found = held.get(row.id_hash)
        if found is None:
            continue
        kind, path, unit_name = found
        segments = path.split(".")
        office = office_names.get(segments[1], "") if len(segments) > 2 else ""
        where = (
            _("unit “%(unit)s” of %(office)s") % {"unit": unit_name, "office": office}
            if path.startswith(viewer_path)
            else _("another unit of %(office)s") % {"office": office or _("the province")}
        )
        if kind == plan.kind:
            row.problem(
                "id_number",
                "enrolled_elsewhere",
                _("Already enrolled in this kind of plan for an overlapping period, through %(where)s.")
                % {"where": where},
            )
        else:
            row.problem(
                "id_number",
                "exclusive_plan",
                _("Already enrolled in “%(other)s”, which cannot be combined with this plan (through %(where)s).")
                % {"other": exclusive.get(kind, kind), "where": where},
            )


def _office_names(segments: set[str]) -> dict[str, str]:
    ids = whole_numbers(segments)
    if not ids:
        return {}
    with unscoped():  # a duplicate may sit in another city, outside the scope: only city offices' names are read
        rows = list(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {f"{pk:06d}": name for pk, name in rows}


def _check_participation(
    rows: list[CheckedRow], period: Period, unit: Organisation, existing: int
) -> list[dict[str, str]]:
    headcount = unit.headcount or 0
    if not headcount:
        return []
    enrolling = existing + sum(1 for row in rows if row.ok)
    needed = int((Decimal(headcount) * period.min_participation).to_integral_value(rounding=ROUND_CEILING))
    if Decimal(enrolling) / Decimal(headcount) >= period.min_participation:
        return []
    return [
        {
            "code": "participation_too_low",
            "message": _(
                "%(enrolling)s of the unit's %(headcount)s staff would be enrolled; the plan needs at least "
                "%(ratio)s%% (%(needed)s people). Add members, or correct the unit's headcount with your office."
            )
            % {
                "enrolling": enrolling,
                "headcount": headcount,
                "ratio": int(period.min_participation * 100),
                "needed": needed,
            },
        }
    ]
