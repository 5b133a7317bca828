"""Reads of enrollment, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import StrIndex
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    ApprovalWatermark,
    CardPrintJob,
    Endorsement,
    Enrollment,
    EnrollmentStatus,
    ListRow,
    MemberList,
    Period,
    PeriodSubsidy,
    Plan,
    Policy,
    SubsidyKind,
    SubsidyShare,
)
from enrollment.rules import PremiumSplit, premium_split, subsidy_for
from mutualaid import idcheck, pii, planner
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.numbers import money_text
from mutualaid.roles import roles_holding
from mutualaid.tenancy import unscoped


def _person(id_hash: bytes) -> Q:
    """One person's enrollments, written so that each of the two partial indexes on the blind
    index (active, cancelled) can serve its half."""
    return Q(status=EnrollmentStatus.ACTIVE, id_hash=id_hash) | Q(status=EnrollmentStatus.CANCELLED, id_hash=id_hash)


def plan_list_offered(*, org: Organisation) -> list[Plan]:
    """Plans of the node's own offices (its ancestors) and of the node itself.

    Plan settings are not tenant data of the offices below: a unit must see the plans it may
    join, which belong to the city or province above it.
    """
    with unscoped():  # the plans belong to the offices above the node, outside its scope
        return list(Plan.objects.filter(org_id__in=org.ancestor_ids(), is_active=True).order_by("name"))


def plan_rows(*, org: Organisation) -> QuerySet[Plan]:
    """The plans of the node and those offered to it (plan_list_offered), as rows to sort and filter."""
    ids = [plan.pk for plan in [*plan_list_offered(org=org), *plan_list_own(org=org)]]
    return (
        Plan.objects.with_scopes_disabled()  # the ids come from plan_list_offered and the node's own plans
        .filter(pk__in=ids)
        .select_related("org")
        .order_by("name", "pk")
    )


def plan_list_own(*, org: Organisation) -> list[Plan]:
    return list(Plan.objects.filter(org=org))


def plan_list_exclusive(*, plan: Plan) -> dict[str, str]:
    """The plans a member of `plan` may not hold at the same time (二选一), as kind -> name."""
    with unscoped():  # plans that exclude each other may belong to offices above the caller
        return {p.kind: p.name for p in Plan.objects.filter(exclusive_with=plan).only("kind", "name")}


def period_ids_overlapping(*, kinds: list[str], starts_on: date, ends_on: date) -> list[int]:
    """The periods, of any office, of plans of `kinds` whose days overlap `starts_on`–`ends_on`:
    for the province-wide searches (`e.period_id = ANY(...)`). An enrollment's days lie inside its
    period's (from the period's start or the day of approval to its end; the days are frozen at the
    first approval), so the condition drops no enrollment whose days overlap; given as values, it
    lets PostgreSQL take the person-and-period index (and a table partitioned by period year its
    years) instead of reading every year's enrollments (bench/history_bench.py). Read outside the
    scope: a duplicate may sit in any office's plan."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id FROM enrollment_period p JOIN enrollment_plan k ON k.id = p.plan_id
            WHERE k.kind = ANY(%s) AND p.starts_on <= %s AND p.ends_on >= %s
            """,
            [kinds, ends_on, starts_on],
        )
        return [pk for (pk,) in cursor.fetchall()]


def plan_kinds_exclusive(*, plan: Plan) -> list[str]:
    """The kinds of plan whose enrollments a member of `plan` may not hold elsewhere in an
    overlapping period: its own and those it excludes, sorted (approval locks them in this order)."""
    return sorted({plan.kind, *plan_list_exclusive(plan=plan)})


def _held(org: Organisation) -> Exists:
    """Whether the node's tree holds a policy in the period (by the node's path: never another
    office's policies, also where the periods are read outside the scope)."""
    return Exists(Policy.objects.filter(org_path__startswith=org.path, period=OuterRef("pk")))


def period_list_offered(*, org: Organisation, mark_held: bool = False) -> list[Period]:
    """The periods of the plans offered to the node (see `plan_list_offered`); with `mark_held`,
    each says in `held` whether the node's tree holds policies in it (in the same query)."""
    with unscoped():  # the plans belong to the offices above the node, outside its scope
        periods = Period.objects.filter(plan__org_id__in=org.ancestor_ids(), plan__is_active=True)
        if mark_held:
            periods = periods.annotate(held=_held(org))
        return list(periods.select_related("plan").order_by("plan__name", "-starts_on"))


def plan_ids_held(*, org: Organisation) -> set[int]:
    """The plans the node's tree holds policies in (in the caller's scope)."""
    held = Policy.objects.filter(org_path__startswith=org.path)
    return set(held.values_list("period__plan_id", flat=True).distinct())


def period_list_held(*, org: Organisation) -> list[Period]:
    """The periods offered to the node that its tree holds policies in: what there is something
    to print for (the card printing page). One query."""
    return [p for p in period_list_offered(org=org, mark_held=True) if getattr(p, "held", False)]


def periods_held_first(periods: list[Period]) -> list[Period]:
    """The periods marked `held` first (a page's default is the first: a plan with data for the
    user), each group in its plan's name order, the newest period first."""
    ordered = sorted(periods, key=lambda p: (p.plan.name, -p.starts_on.toordinal(), p.pk))
    return sorted(ordered, key=lambda p: not getattr(p, "held", False))


def period_list_uploadable(*, org: Organisation) -> list[Period]:
    """Periods a list may be uploaded for: those offered to the node, and those of the offices
    inside its tree (a province's staff upload for a city's plan); those the tree already holds
    policies in first, so that the form starts on the plan the unit is in."""
    # in scope: the periods of the node's subtree
    below = list(Period.objects.annotate(held=_held(org)).select_related("plan"))
    merged = {p.pk: p for p in [*period_list_offered(org=org, mark_held=True), *below]}
    return periods_held_first(list(merged.values()))


def period_ids_relevant(*, org: Organisation) -> set[tuple[int, int]]:
    """The periods a list page's plan and period filters offer (enrollment/listing.py), as (period
    id, plan id): those of the plans of the node's own offices and of its tree that are active, or
    that the tree holds policies in (a plan no longer offered keeps its members, claims and
    remittances to find; one nobody in the tree joined has none). Two queries of two columns each:
    the filters read the plans and periods they show by these ids, and every list page asks."""
    relevant = Q(plan__is_active=True) | Q(held=True)
    with unscoped():  # the plans of the offices above the node; the policies read are its tree's, by path
        above = Period.objects.filter(plan__org_id__in=org.ancestor_ids()).annotate(held=_held(org))
        found = set(above.filter(relevant).values_list("pk", "plan_id"))
    # in scope: the periods of the node's subtree
    below = Period.objects.annotate(held=_held(org)).filter(relevant)
    return found | set(below.values_list("pk", "plan_id"))


def period_get_offered(*, unit: Organisation, period_id: int) -> Period:
    """A period of a plan offered by one of the unit's own offices (its ancestors)."""
    with unscoped():  # the period belongs to the office above the unit that runs the plan
        period = Period.objects.select_related("plan").filter(pk=period_id, org_id__in=unit.ancestor_ids()).first()
    if period is None:
        raise ValidationError({"period": _("This period is not offered to the unit.")})
    return period


def period_list_later(*, policy: Policy) -> list[Period]:
    """Periods a policy can be renewed into: later periods of the same plan."""
    return [
        p
        for p in period_list_offered(org=policy.org)
        if p.plan_id == policy.period.plan_id and p.starts_on > policy.period.starts_on
    ]


def approval_watermark_versions(*, province_id: int, kinds: list[str]) -> dict[str, int]:
    """How many lists of each kind of plan the province has approved so far (0 for none): a list
    checked at the same versions needs no second search of the province when it is approved."""
    found = dict(
        ApprovalWatermark.objects.filter(province_id=province_id, plan_kind__in=kinds).values_list(
            "plan_kind", "version"
        )
    )
    return {kind: found.get(kind, 0) for kind in kinds}


def member_list_list(*, status: str = "") -> QuerySet[MemberList]:
    qs = MemberList.objects.select_related("org", "period__plan", "uploaded_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def card_job_rows() -> QuerySet[CardPrintJob]:
    """The print jobs in scope, newest first (the card printing page's list)."""
    return CardPrintJob.objects.select_related("period__plan", "unit", "endorsement").order_by("-created_at", "-pk")


def card_job_list(*, limit: int = 20) -> QuerySet[CardPrintJob]:
    """The latest print jobs in scope, newest first."""
    return CardPrintJob.objects.select_related("period__plan", "unit", "endorsement").order_by("-created_at")[:limit]


def policy_list(*, search: str = "") -> QuerySet[Policy]:
    qs = Policy.objects.select_related("org", "period__plan")
    if search:
        qs = qs.filter(number__icontains=search) | qs.filter(org__name__icontains=search)
    return qs.order_by("-issued_at")


def enrollment_search(*, query: str) -> QuerySet[Enrollment]:
    """By full ID number (through the blind index) or by name."""
    query = query.strip()
    qs = Enrollment.objects.select_related("org", "period__plan", "policy")
    try:
        number = idcheck.parse_resident_id(query).number
    except idcheck.IdError:
        return qs.filter(name=query).order_by("name", "-starts_on") if query else qs.none()
    return qs.filter(_person(pii.blind_index(number))).order_by("-starts_on")


def member_rows() -> QuerySet[Enrollment]:
    """Every enrollment in scope, the newest first (the primary key's index: a province's millions
    are never sorted to show one page), for the member search page to narrow."""
    return Enrollment.objects.select_related("org", "period__plan", "policy").order_by("-pk")


# Members the units found may hold before their newest are looked for newest first (below).
DENSE_UNITS = 100_000


def member_unit_named(qs: QuerySet[Enrollment], *, text: str) -> QuerySet[Enrollment]:
    """`qs` narrowed to members of the offices and units whose name contains `text`: the few
    thousand nodes in scope are searched first.

    Units found that hold few members (by their policies' counts) are read through the index of
    the members' path and sorted; units that hold many (a word every unit's name has, such as
    单位 or 工会: a province's millions) are given to PostgreSQL as a list, which it then knows to
    be most of the members, and a page of the newest is found walking the members newest first
    (at a province of 5,000,000: 0.25 s, against 37 s reading and sorting them all)."""
    found = Organisation.objects.filter(name__icontains=text).values("path")
    paths = list(found.values_list("path", flat=True))
    held = Policy.objects.filter(org_path__in=paths).aggregate(members=Sum("member_count"))["members"] or 0
    if held > DENSE_UNITS:
        return qs.filter(org_path__in=paths)
    return qs.filter(org_path__in=found)


def member_find(qs: QuerySet[Enrollment], *, text: str) -> QuerySet[Enrollment]:
    """`qs` narrowed to a full ID number (by its blind index) or to names containing `text`."""
    text = text.strip()
    if not text:
        return qs
    by_name = qs.order_by("name", "-starts_on", "pk")  # what was found, by name
    try:
        number = idcheck.parse_resident_id(text).number
    except idcheck.IdError:
        return _name_contains(by_name, text)
    return by_name.filter(_person(pii.blind_index(number)))


# The shortest part of a name the names' trigram index (enrollment 0014) can serve: a shorter one
# has no trigram to look up, and PostgreSQL would read the whole index (34.7 s for two characters
# at a province of 5,000,000 members, against 2.5 s reading the members).
TRIGRAM = 3


def _name_contains(qs: QuerySet[Enrollment], text: str) -> QuerySet[Enrollment]:
    """`qs` narrowed to names containing `text`: through the trigram index (`LIKE '%…%'`) from
    three characters, by `strpos` (the same match, which no index serves) below."""
    if len(text) >= TRIGRAM:
        return qs.filter(name__contains=text)
    return qs.alias(found_at=StrIndex("name", Value(text))).filter(found_at__gt=0)


def member_keys(keys: QuerySet[Enrollment, int], *, text: str) -> list[int]:
    """The keys the member search's count pass reads (`keys`, ending in its cap), `text` being the
    search. A part of a name too short for the trigram index is matched by `strpos`, whose matches
    PostgreSQL cannot estimate: it expects a third of the members to match, the pass to stop at the
    cap early and so reads alone; where a rare part matches few or none it reads every member on one
    core (0.9-1.0 s at a province of 5,000,000). Read with its parallel workers: 0.57-0.71 s
    (README, "Speed"); a common part still stops at the cap at once."""
    if not 0 < len(text.strip()) < TRIGRAM:  # no search, an indexed part or an ID number
        return list(keys)
    with planner.parallel_reads(keys.db):
        return list(keys)


def member_with_phone_tail(qs: QuerySet[Enrollment], *, digits: str) -> QuerySet[Enrollment]:
    """`qs` narrowed to members whose phone ends in these four digits (by their blind index)."""
    index = pii.phone_tail_index(digits)
    return qs.filter(phone_tail_hash=index) if index is not None else qs.none()


def enrollment_list(*, policy_id: int | None = None, active_only: bool = False) -> QuerySet[Enrollment]:
    """Enrollments in scope by member number on their policy, of one policy if `policy_id` is given."""
    qs = Enrollment.objects.order_by("policy_id", "number")
    if policy_id is not None:
        qs = qs.filter(policy_id=policy_id)
    return qs.filter(status=EnrollmentStatus.ACTIVE) if active_only else qs


def enrollment_list_of_person(*, enrollment: Enrollment) -> QuerySet[Enrollment]:
    """Every enrollment in scope of the same person (matched by the blind index)."""
    return (
        Enrollment.objects.filter(_person(bytes(enrollment.id_hash)))
        .select_related("org", "period__plan", "policy")
        .order_by("-starts_on")
    )


class RenewalRate(NamedTuple):
    renewed: int  # members of the previous policy enrolled again under this one
    before: int  # members of the previous policy

    @property
    def share(self) -> Decimal | None:
        return Decimal(self.renewed) / self.before if self.before else None


def policy_renewal_rates(*, policies: list[Policy]) -> dict[int, RenewalRate]:
    """For each policy, (members renewed from the unit's previous policy of the same plan, members
    of that previous policy): one query for a page of policies. The policies are already in the
    caller's scope, and so are their units' previous policies."""
    if not policies:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT cur.id, prev.member_count,
                   (SELECT count(*) FROM enrollment_enrollment pe
                    WHERE pe.policy_id = prev.id AND EXISTS (
                        SELECT 1 FROM enrollment_enrollment ce
                        WHERE ce.id_hash = pe.id_hash AND ce.period_id = cur.period_id
                          AND ce.status = 'active' AND ce.policy_id = cur.id))
            FROM enrollment_policy cur
            JOIN enrollment_period cp ON cp.id = cur.period_id
            JOIN LATERAL (
                SELECT p.id, p.member_count FROM enrollment_policy p
                JOIN enrollment_period pp ON pp.id = p.period_id
                WHERE p.org_id = cur.org_id AND pp.plan_id = cp.plan_id AND p.ends_on < cur.starts_on
                ORDER BY p.ends_on DESC LIMIT 1
            ) prev ON true
            WHERE cur.id = ANY(%s)
            """,
            [[p.pk for p in policies]],
        )
        return {policy_id: RenewalRate(renewed, before) for policy_id, before, renewed in cursor.fetchall()}


def endorsement_list(*, policy_id: int) -> QuerySet[Endorsement]:
    """A policy's endorsements in scope, in their order."""
    return Endorsement.objects.filter(policy_id=policy_id).order_by("sequence")


def endorsement_members(*, endorsement: Endorsement) -> QuerySet[Enrollment]:
    """The members an endorsement added to its policy, by member number."""
    return Enrollment.objects.filter(
        policy_id=endorsement.policy_id, member_list_id=endorsement.member_list_id
    ).order_by("number")


# What an approver sees before deciding a list (and who that is) ---------------------------------


def member_list_premium_split(*, member_list: MemberList, period: Period, today: date) -> PremiumSplit:
    """Each member's premium and its parts as approval stores them. Every member of a unit holds
    the same number of shares, so one split serves the list; a staged subsidy goes by the day the
    members joined, the day their unit sent the list (a list approved in August that was sent on
    31 July still earns July's stage), or by `today` for a list not yet sent."""
    shares = ListRow.objects.filter(member_list=member_list, ok=True).values_list("shares", flat=True).first() or 1
    joined = timezone.localdate(member_list.submitted_at) if member_list.submitted_at else today
    subsidy = subsidy_for(
        kind=period.subsidy_kind,
        amount=period.subsidy_amount,
        stages=period.subsidy_stages,
        enrolled_on=joined if period.subsidy_kind == SubsidyKind.STAGED else period.starts_on,
    )
    levels = tuple((level.pk, level.per_share) for level in period_subsidy_list(period=period))
    return premium_split(
        shares=shares,
        premium_per_share=period.premium_per_share,
        subsidy=subsidy,
        unit_ratio=period.unit_ratio,
        levels=levels,
    )


def period_subsidy_list(*, period: Period) -> list[PeriodSubsidy]:
    """The union levels' subsidies of a period, in the order they were recorded."""
    with unscoped():  # kept by the office that runs the plan, above the units and offices that read them
        return list(PeriodSubsidy.objects.filter(period_id=period.pk).select_related("payer").order_by("pk"))


def period_subsidy_texts(*, period_ids: list[int]) -> dict[int, str]:
    """Each period's union level subsidies as one line a person reads: "省总工会 5.00元/份；…"."""
    with unscoped():  # the periods offered from above; their subsidies are kept by the offices running them
        rows = list(PeriodSubsidy.objects.filter(period_id__in=period_ids).select_related("payer").order_by("pk"))
    texts: dict[int, list[str]] = {}
    for row in rows:
        texts.setdefault(row.period_id, []).append(
            _("%(level)s (%(payer)s) %(amount)s yuan per share")
            % {"level": row.get_level_display(), "payer": row.payer_label, "amount": money_text(row.per_share)}
        )
    return {period_id: "；".join(lines) for period_id, lines in texts.items()}


def subsidy_share_list(*, policy: Policy) -> list[SubsidyShare]:
    """What each union level owes on a policy, by list (its issue first, then its endorsements)."""
    return list(
        SubsidyShare.objects.filter(policy_id=policy.pk)
        .select_related("subsidy__payer", "endorsement")
        .order_by("endorsement__sequence", "subsidy_id")
    )


@dataclass(frozen=True)
class ApprovalPreview:
    """The figures approving a submitted list would store, computed as the approval computes them."""

    members: int  # the rows that passed, which become enrollments
    by_shares: list[tuple[int, int]]  # (shares, members holding that many), by shares
    each: PremiumSplit  # one member's premium and its parts
    total: PremiumSplit  # the list's premium and its parts
    policy: Policy | None  # the unit's policy for the period, which the list would endorse; None: a new one


def member_list_rows(*, member_list: MemberList) -> QuerySet[ListRow]:
    """The rows that passed, in the workbook's order, with masked ID numbers only."""
    return (
        ListRow.objects.filter(member_list=member_list, ok=True)
        .only("row_number", "name", "id_masked", "gender", "birth_date", "shares")
        .order_by("row_number")
    )


def member_list_approval_preview(*, member_list: MemberList, today: date) -> ApprovalPreview:
    period = member_list.period
    counts = (
        ListRow.objects.filter(member_list=member_list, ok=True)
        .values_list("shares")
        .annotate(n=Count("id"))
        .order_by("shares")
    )
    by_shares = [(shares or 1, n) for shares, n in counts]
    members = sum(n for _shares, n in by_shares)
    each = member_list_premium_split(member_list=member_list, period=period, today=today)
    total = PremiumSplit(
        premium=each.premium * members,
        union_part=each.union_part * members,
        unit_part=each.unit_part * members,
        member_part=each.member_part * members,
        levels_part=each.levels_part * members,
        levels=tuple((level_id, part * members) for level_id, part in each.levels),
    )
    policy = Policy.objects.filter(org_id=member_list.org_id, period_id=member_list.period_id).first()
    return ApprovalPreview(members=members, by_shares=by_shares, each=each, total=total, policy=policy)


OFFICE_KINDS = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY)


def member_list_approvers(*, member_list: MemberList) -> list[User]:
    """Who may approve the list: the active people holding the approving permission at the
    nearest office above the unit that has any (one query). Only their names are shown; the
    office sits above an agent's scope, so the accounts are read through the unscoped
    authentication manager, limited to the unit's own ancestors."""
    ancestors = member_list.org.ancestor_ids()[:-1]
    people = list(
        User.auth_objects.filter(
            org_id__in=ancestors,
            org__kind__in=OFFICE_KINDS,
            is_active=True,
            roles__overlap=sorted(roles_holding("enrollment.approve")),
        )
        .only("display_name", "username", "org_path")
        .order_by("display_name", "username")
    )
    nearest = max((len(user.org_path) for user in people), default=0)
    return [user for user in people if len(user.org_path) == nearest]
