"""What past periods would have cost under a proposal: every claim re-run, every enrollment re-priced.

Set-based on purpose. The inputs are read in a handful of queries (the claims with the figures
their calculation used, the member's years in the plan, the enrollments grouped by unit, shares
and cover date), then every claim is calculated in Python by the benefit engine itself
(`claims.benefits.calculate`), never through the ORM claim by claim: a member's claims are taken
in admission order, and what each paid under the proposal is what the next one sees as paid
before (caps, claim counts and cumulative thresholds carry as they do in the real calculation,
claims/services/calculation.py). Nothing real is written: the result is a JSON document kept on
the simulation's own row.

"Now" is what was really paid: the payout and the settlement lines each claim holds. The
difference is the proposal's payout less that.
"""

from __future__ import annotations

import contextvars
import heapq
import os
import pickle
import threading
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Count, QuerySet, Sum

from claims.benefits import wording
from claims.benefits.calculate import Claim as Facts
from claims.benefits.calculate import Earlier, calculate
from claims.benefits.schedule import Schedule
from claims.lifecycle import ACCEPTED_STATUSES
from claims.models import Claim
from claims.services.figures import OTHER_PAYER_FIELDS
from enrollment.models import Enrollment, EnrollmentStatus, Period
from enrollment.rules import money, subsidy_for

ZERO = Decimal(0)
TOP = 20  # the largest changes shown with both calculations
# The edges (yuan) of the histogram of per-claim changes; 0 (unchanged) has a bin of its own.
EDGES: tuple[int, ...] = (-5000, -1000, -500, -100, 0, 100, 500, 1000, 5000)

_CLAIM_FIELDS = (
    "pk",
    "number",
    "org_path",
    "id_hash",
    "period_id",
    "care_type",
    "admitted_on",
    "discharged_on",
    "self_paid",
    "deductible_part",
    "total_cost",
    "insurance_paid",
    "not_covered",
    *OTHER_PAYER_FIELDS,
    "member_category",
    "severity",
    "illness_days",
    "disability_grade",
    "payout",
    "enrollment__shares",
    "enrollment__starts_on",
    "period__waiting_days",
    "period__starts_on",
)


@dataclass(frozen=True)
class Inputs:
    """Everything a simulation reads, loaded in bulk."""

    claims: list[tuple[Any, ...]]  # _CLAIM_FIELDS, ordered by person, admission, id
    years: dict[bytes, list[date]]  # the first days of the plan's periods each person was enrolled in
    enrollments: list[tuple[str, int, date, int, Decimal, Decimal]]  # path, shares, from, members, premium, subsidy
    periods: list[Period]


def uses_membership_years(rules: Any) -> bool:
    """Whether a schedule (its JSON, with its kinds, variants and versions) pays by the member's
    years in the plan, the one rule that needs them (claims/benefits/calculate.py `_allowance`)."""
    if isinstance(rules, dict):
        if rules.get("allowance_by_membership_year"):
            return True
        return any(uses_membership_years(value) for value in rules.values())
    if isinstance(rules, list):
        return any(uses_membership_years(value) for value in rules)
    return False


def load_inputs(*, periods: Sequence[Period], years: bool = True) -> Inputs:
    """The claims accepted in `periods`, their members' years in the plan (unless `years` is
    False: the rules do not need them) and the periods' enrollments, in at most four queries, read
    in the caller's scope (the office that runs the plan)."""
    ids = [p.pk for p in periods]
    plan_id = periods[0].plan_id
    enrollments = _meanwhile(
        Enrollment.objects.filter(period_id__in=ids, status=EnrollmentStatus.ACTIVE)
        .values("org_path", "shares", "starts_on")
        .annotate(members=Count("pk"), premium=Sum("premium"), subsidy=Sum("union_part"))
        .order_by()
        .values_list("org_path", "shares", "starts_on", "members", "premium", "subsidy")
    )
    claims = Claim.objects.filter(period_id__in=ids, status__in=ACCEPTED_STATUSES)
    with transaction.atomic(), connection.cursor() as cursor:
        # One read of a province's claims sorted by member, run once: sorted in memory rather than
        # in temporary files, and not JIT-compiled (a third of a second here). Both settings end
        # with the transaction, as PgBouncer's transaction pooling needs (config/settings.py).
        cursor.execute("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
        ordered = claims.order_by("id_hash", "admitted_on", "pk")
        rows = [tuple(row) for row in ordered.values_list(*_CLAIM_FIELDS)]
    latest = max(p.starts_on for p in periods)
    enrolled = (
        Enrollment.objects.filter(
            period__plan_id=plan_id,
            period__starts_on__lte=latest,
            id_hash__in=claims.values("id_hash"),
        )
        .values_list("id_hash", "period__starts_on")
        .distinct()
    )
    found: dict[bytes, list[date]] = defaultdict(list)
    for person, starts in enrolled if years else ():
        found[bytes(person)].append(starts)
    for starts_list in found.values():
        starts_list.sort()
    return Inputs(claims=rows, years=dict(found), enrollments=enrollments.result(), periods=list(periods))


def _meanwhile(queryset: QuerySet[Any]) -> Future[list[tuple[Any, ...]]]:
    """The rows of `queryset` (built, and so scoped, here), read on a connection of their own
    while this thread goes on: PostgreSQL groups a province's enrollments while Python takes in
    the claims. Inside a transaction another connection would not see its rows: read at once."""
    done: Future[list[tuple[Any, ...]]] = Future()
    if connection.in_atomic_block:
        done.set_result([tuple(row) for row in queryset])
        return done

    def read() -> None:
        try:
            rows = [tuple(row) for row in queryset]
        except BaseException as error:  # handed to the caller, who raises it
            connections.close_all()
            done.set_exception(error)
        else:
            connections.close_all()  # this thread's own connection, closed before the caller goes on
            done.set_result(rows)

    threading.Thread(target=contextvars.copy_context().run, args=(read,), name="simulation-enrollments").start()
    return done


def _facts(row: dict[str, Any], earlier: tuple[Earlier, ...], order: int, year: int) -> Facts:
    """The engine's claim from the stored figures, as the real calculation builds it."""
    admitted: date = row["admitted_on"]
    discharged: date | None = row["discharged_on"]
    cover: date = row["enrollment__starts_on"]
    return Facts(
        self_paid=row["self_paid"],
        deductible_part=row["deductible_part"],
        days_in_hospital=0 if discharged is None else max(1, (discharged - admitted).days),
        shares=row["enrollment__shares"],
        membership_year=year,
        care_type=row["care_type"],
        days_since_cover_start=max(0, (admitted - cover).days),
        days_before_cover=max(0, (cover - admitted).days),
        waiting_days=row["period__waiting_days"],
        admission_order=order,
        member_category=row["member_category"],
        severity=row["severity"],
        illness_days=row["illness_days"],
        admitted_on=admitted,
        total_cost=row["total_cost"],
        fund_paid=row["insurance_paid"],
        not_covered=row["not_covered"],
        other_payers=tuple((name, row[name]) for name in OTHER_PAYER_FIELDS),
        earlier=earlier,
        disability_grade=row["disability_grade"],
    )


@dataclass
class _Sums:
    """The figures of the plan or of one office: claims re-run, and enrollments re-priced."""

    claims: int = 0
    changed: int = 0
    now: Decimal = ZERO
    proposed: Decimal = ZERO
    members: int = 0
    affected: int = 0
    enrolled: int = 0
    shares: int = 0
    premium_now: Decimal = ZERO
    premium_proposed: Decimal = ZERO
    subsidy_now: Decimal = ZERO
    subsidy_proposed: Decimal = ZERO

    def add(self, other: _Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims": self.claims,
            "claims_changed": self.changed,
            "members": self.members,
            "members_affected": self.affected,
            "paid_now": str(self.now),
            "paid_proposed": str(self.proposed),
            "difference": str(self.proposed - self.now),
            "enrolled": self.enrolled,
            "shares": self.shares,
            "premium_now": str(self.premium_now),
            "premium_proposed": str(self.premium_proposed),
            "subsidy_now": str(self.subsidy_now),
            "subsidy_proposed": str(self.subsidy_proposed),
            "loss_ratio_now": _ratio(self.now, self.premium_now),
            "loss_ratio_proposed": _ratio(self.proposed, self.premium_proposed),
        }


Office = tuple[int, str]  # (id, name)


@dataclass
class Recalculated:
    """The claims re-run (by one process, or by all once merged), summed: in total and per office
    below the plan's, the histogram's counts (`bins` by EDGES, `unchanged` apart) and a heap of
    the largest changes, each with the engine's claim so that its words can be written at the end.

    A member's claims are all in one process, so the members counted by two processes are
    different people and their counts add up."""

    total: _Sums = field(default_factory=_Sums)
    offices: dict[Office, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    bins: list[int] = field(default_factory=lambda: [0] * (len(EDGES) + 1))
    unchanged: int = 0
    top: list[tuple[Decimal, int, dict[str, Any]]] = field(default_factory=list)

    def merge(self, other: Recalculated) -> None:
        self.total.add(other.total)
        for office, sums in other.offices.items():
            self.offices[office].add(sums)
        self.bins = [mine + theirs for mine, theirs in zip(self.bins, other.bins, strict=True)]
        self.unchanged += other.unchanged
        for item in other.top:
            if len(self.top) < TOP:
                heapq.heappush(self.top, item)
            elif item[:2] > self.top[0][:2]:
                heapq.heapreplace(self.top, item)


def _keep_top(found: Recalculated, change: Decimal, index: int, row: dict[str, Any], facts: Facts) -> None:
    key = abs(change)
    if len(found.top) >= TOP and key <= found.top[0][0]:
        return
    entry = {
        "claim": row["pk"],
        "number": row["number"],
        "path": row["org_path"],
        "care_type": row["care_type"],
        "admitted_on": row["admitted_on"].isoformat(),
        "now": str(row["payout"]),
        "change": str(change),
        "facts": facts,
    }
    if len(found.top) < TOP:
        heapq.heappush(found.top, (key, -index, entry))
    else:
        heapq.heapreplace(found.top, (key, -index, entry))


def _word_the_largest(schedule: Schedule, found: Recalculated) -> None:
    """The proposal's settlement of each of the largest changes, with its words: the same
    calculation again, for twenty claims."""
    for _key, _index, entry in found.top:
        result = calculate(schedule, entry.pop("facts"))
        entry["proposed"] = str(result.payout)
        entry["proposed_lines"] = [{"label": line.label, "amount": str(line.amount)} for line in result.lines]
        entry["proposed_refused"] = result.refused_reason or ""


def recalculate(
    schedule: Schedule,
    inputs: Inputs,
    *,
    offices: dict[str, Office],
    base: str,
    step: Callable[[float], None] | None = None,
    workers: int | None = None,
) -> Recalculated:
    """Every claim under `schedule`, each member's in admission order: what the earlier ones paid
    under the schedule counts before the later ones, as in the real calculation. Summed per
    office (`offices`: path prefix → office, `base` the plan office's path, see `_office_of`).

    The amounts are computed without the settlement's words, which only the largest changes
    show: those are calculated again with them at the end (`_word_the_largest`).

    From PARALLEL_FROM claims on, the members are shared out between one process per core (a
    member's claims always in one process), forked after the inputs are loaded: the children
    only compute, and hand their sums back through a pipe."""
    if workers is None:
        workers = min(MOST_WORKERS, _cores()) if len(inputs.claims) >= PARALLEL_FROM else 1
    share = _Share(schedule=schedule, inputs=inputs, offices=offices, base=base)
    with wording.one_language():
        if workers <= 1 or not hasattr(os, "fork"):
            found = share.recalculate(inputs.claims, 0, step)
        else:
            found = _forked(share, workers, step)
        _word_the_largest(schedule, found)
    return found


PARALLEL_FROM = 20_000  # claims; below it starting processes costs more than it saves
MOST_WORKERS = 8


def _cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_PERSON = _CLAIM_FIELDS.index("id_hash")


def _chunks(claims: list[tuple[Any, ...]], count: int) -> list[tuple[int, list[tuple[Any, ...]]]]:
    """(offset, rows) of about equal parts, each cut where a member's claims begin."""
    starts = [i for i in range(1, len(claims)) if claims[i][_PERSON] != claims[i - 1][_PERSON]]
    cuts = [0]
    for part in range(1, count):
        target = part * len(claims) / count
        later = [s for s in starts if s > cuts[-1]]
        if later:
            cuts.append(min(later, key=lambda s: abs(s - target)))
    cuts.append(len(claims))
    return [(cuts[i], claims[cuts[i] : cuts[i + 1]]) for i in range(len(cuts) - 1) if cuts[i] < cuts[i + 1]]


def _forked(share: _Share, workers: int, step: Callable[[float], None] | None) -> Recalculated:
    parts = _chunks(share.inputs.claims, workers)
    children: list[tuple[int, int]] = []
    for offset, rows in parts[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: computes, writes its result and leaves without any clean-up
            os.close(read)  # (the parent's database connection must not be closed from here)
            code = 1
            try:
                data = pickle.dumps(share.recalculate(rows, offset, None))
                with os.fdopen(write, "wb") as sink:
                    sink.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        children.append((pid, read))
    offset, rows = parts[0]
    mine = len(rows) / max(1, len(share.inputs.claims))
    found = share.recalculate(rows, offset, None if step is None else lambda done: step(done * mine))
    failed = False
    for pid, read in children:
        with os.fdopen(read, "rb") as source:
            data = source.read()
        _pid, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            failed = True
            continue
        found.merge(pickle.loads(data))  # noqa: S301 # written by our own child process just now
    if failed:
        raise RuntimeError("a simulation process ended without its result")
    return found


@dataclass(frozen=True)
class _Share:
    """What each process needs to re-run its share of the claims."""

    schedule: Schedule
    inputs: Inputs
    offices: dict[str, Office]
    base: str

    def recalculate(
        self, claims: list[tuple[Any, ...]], offset: int, step: Callable[[float], None] | None
    ) -> Recalculated:
        found = Recalculated()
        period_starts = {p.pk: p.starts_on for p in self.inputs.periods}
        office_of = _OfficeOf(self.offices, self.base)
        members: dict[Office, set[bytes]] = defaultdict(set)
        affected: dict[Office, set[bytes]] = defaultdict(set)
        history: list[tuple[int, Earlier]] = []
        person: bytes | None = None
        total = len(claims) or 1
        every = max(1, total // 50)
        with wording.without_words():
            for number, values in enumerate(claims):
                row = dict(zip(_CLAIM_FIELDS, values, strict=True))
                who = bytes(row["id_hash"])
                if who != person:
                    person, history = who, []
                period_id, admitted = row["period_id"], row["admitted_on"]
                earlier = tuple(
                    Earlier(e.care_type, e.paid, e.base, e.admitted_on, pid == period_id)
                    for pid, e in history
                    if pid == period_id or (e.admitted_on is not None and e.admitted_on.year == admitted.year)
                )
                order = 1 + sum(1 for pid, _e in history if pid == period_id)
                year = bisect_right(self.inputs.years.get(who, ()), period_starts[period_id]) or 1
                facts = _facts(row, earlier, order, year)
                result = calculate(self.schedule, facts)
                if result.refused_reason is None:
                    base = row["self_paid"] if result.base is None else result.base
                    history.append((period_id, Earlier(row["care_type"], result.payout, base, admitted)))
                now, change = row["payout"], result.payout - row["payout"]
                office = office_of(row["org_path"])
                for sums in (found.total, found.offices[office]):
                    sums.claims += 1
                    sums.now += now
                    sums.proposed += result.payout
                members[office].add(who)
                if change:
                    found.total.changed += 1
                    found.offices[office].changed += 1
                    affected[office].add(who)
                    found.bins[bisect_left(EDGES, change)] += 1
                    _keep_top(found, change, offset + number, row, facts)
                else:
                    found.unchanged += 1
                if step is not None and number % every == 0:
                    step(number / total)
        found.total.members = len(set().union(*members.values()))
        found.total.affected = len(set().union(*affected.values()))
        for office, people in members.items():
            found.offices[office].members = len(people)
            found.offices[office].affected = len(affected[office])
        return found


# --- The summary ---------------------------------------------------------------------------------


class _OfficeOf:
    """The office directly below the plan's office that a path lies in (the plan's own for its
    rows), remembered per path: a province's claims lie in a few hundred units."""

    def __init__(self, offices: dict[str, Office], base: str) -> None:
        self.offices, self.base = offices, base
        self.known: dict[str, Office] = {}

    def __call__(self, path: str) -> Office:
        found = self.known.get(path)
        if found is None:
            found = self.known[path] = _office_of(path, self.base, self.offices)
        return found


def _office_of(path: str, base: str, offices: dict[str, Office]) -> Office:
    for prefix, office in offices.items():
        if path.startswith(prefix) and prefix != base:
            return office
    return offices[base]


def histogram(found: Recalculated) -> list[dict[str, Any]]:
    """Counts of per-claim changes (yuan) in the bins that EDGES bound, each bin (low, high]; the
    unchanged claims in a bin of their own between the decreases and the increases."""
    bounds = [None, *EDGES, None]
    labelled: list[dict[str, Any]] = [
        {"low": bounds[slot], "high": bounds[slot + 1], "claims": found.bins[slot]} for slot in range(len(found.bins))
    ]
    middle = EDGES.index(0) + 1
    return [*labelled[:middle], {"low": 0, "high": 0, "claims": found.unchanged}, *labelled[middle:]]


def _ratio(part: Decimal, whole: Decimal) -> str | None:
    return None if not whole else str((part / whole).quantize(Decimal("0.0001")))


@dataclass(frozen=True)
class Pricing:
    """The proposal's premium and subsidy."""

    premium_per_share: Decimal
    subsidy_kind: str
    subsidy_amount: Decimal
    subsidy_stages: list[dict[str, str]]


def _reprice(pricing: Pricing, shares: int, starts: date) -> tuple[Decimal, Decimal]:
    """One member's premium and union subsidy under the proposal (enrollment/rules.py)."""
    premium = money(pricing.premium_per_share * shares)
    subsidy = subsidy_for(
        kind=pricing.subsidy_kind, amount=pricing.subsidy_amount, stages=pricing.subsidy_stages, enrolled_on=starts
    )
    return premium, min(money(subsidy), premium)


def summarise(
    inputs: Inputs, found: Recalculated, *, pricing: Pricing, offices: dict[str, Office], base: str
) -> dict[str, Any]:
    """The figures of the plan and of each office below its office (the claims' as `recalculate`
    summed them, with the enrollments re-priced), the histogram and the largest changes.
    `offices` maps each office's path prefix to (id, name); `base` is the plan office's."""
    total = found.total
    by_office = found.offices
    office_of = _OfficeOf(offices, base)
    for path, shares, starts, members, premium, subsidy in inputs.enrollments:
        office = by_office[office_of(path)]
        new_premium, new_subsidy = _reprice(pricing, shares, starts)
        for sums in (total, office):
            sums.enrolled += members
            sums.shares += shares * members
            sums.premium_now += premium or ZERO
            sums.subsidy_now += subsidy or ZERO
            sums.premium_proposed += new_premium * members
            sums.subsidy_proposed += new_subsidy * members
    top = [entry for _key, _index, entry in sorted(found.top, key=lambda item: (-item[0], -item[1]))]
    for entry in top:
        entry["office"] = office_of(entry.pop("path"))[1]
    return {
        "total": total.as_dict(),
        "offices": [
            {"office": office_id, "name": name, **sums.as_dict()}
            for (office_id, name), sums in sorted(by_office.items(), key=lambda item: item[0][1])
        ],
        "histogram": histogram(found),
        "largest": top,
    }


def projection(
    total: dict[str, Any], *, periods: int, years: int, opening: Decimal, reserve_share: Decimal
) -> dict[str, Any]:
    """The fund over the next `years` years if each year is like the average simulated period:
    premium in, the reserve share set aside, claims out, now and under the proposal; and the
    premium per share at which the proposal's claims and reserve are just covered (break-even)."""
    count = max(1, periods)
    rows = []
    for key in ("now", "proposed"):
        income = Decimal(total[f"premium_{key}"]) / count
        paid = Decimal(total[f"paid_{key}"]) / count
        fund = opening
        reserve = ZERO
        for year in range(1, years + 1):
            set_aside = money(income * reserve_share)
            fund = money(fund + income - paid)
            reserve += set_aside
            rows.append(
                {
                    "rules": key,
                    "year": year,
                    "premium": str(money(income)),
                    "paid": str(money(paid)),
                    "reserve_set_aside": str(set_aside),
                    "reserve": str(reserve),
                    "fund_end": str(fund),
                    "free_fund_end": str(fund - reserve),
                }
            )
    shares = Decimal(total["shares"]) / count
    paid = Decimal(total["paid_proposed"]) / count
    keep = Decimal(1) - reserve_share
    breakeven = money(paid / shares / keep) if shares and keep > 0 else None
    return {
        "opening": str(opening),
        "reserve_share": str(reserve_share),
        "years": years,
        "rows": rows,
        "breakeven_premium_per_share": None if breakeven is None else str(breakeven),
    }
