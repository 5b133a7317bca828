"""A region's reimbursement rules as data: the `Schedule`.

Every region words its reimbursement rules differently (flat 80 %, progressive slices, bands, a
daily hospital allowance, caps per share, a minimum payout, a critical-illness lump sum, a death
condolence…). Writing code per region would make each new region a programming job and each rule
change a deployment, so the rules are a `Schedule`: frozen data built from the JSON that the
office stores with its plan (`from_dict`, parse.py) and written back by `to_dict`, checked as it
is built, and applied to a claim by calculate.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError, check_amount, check_count, check_ratio, in_variant, listing
from claims.benefits.money import ROUNDINGS, ZERO, Rounding
from claims.benefits.parse import AMOUNT_FIELDS, BOOL_FIELDS, FIELDS, parse_fields, unknown_field
from claims.benefits.sections import (
    Band,
    CriticalIllness,
    Death,
    Disability,
    KindTerms,
    Segment,
    Variant,
    VariantFacts,
    Version,
    check_segments,
    dump_field,
)
from claims.benefits.terms import (
    BAND_MODES,
    AddOn,
    Eligibility,
    Exclusive,
    check_band_list,
    check_cycle,
)

SegmentMode = Literal["progressive", "band"]
ThresholdBasis = Literal["per_admission", "per_period", "per_year", "none", "cumulative"]

SEGMENT_MODES: tuple[str, ...] = ("progressive", "band")
# Where the plan deductible (the threshold) applies: once per admission, once on the period's or the
# calendar year's cumulative base of the kind, or not at all. "cumulative" is the old name of per_period.
THRESHOLD_BASES: tuple[str, ...] = ("per_admission", "per_period", "per_year", "none")
# What the ratios are paid on (calculate.base_amount says how each is worked out).
BASES: tuple[str, ...] = (
    "self_paid",
    "whole_self_paid",
    "total_cost",
    "fund_paid",
    "after_other_payers",
    "fund_derived",
)
STAY_BEFORE_COVER: tuple[str, ...] = ("not_paid", "from_cover_date", "in_full")

# The kinds of care, each paid by one form of benefit: the medical ones from the settlement
# statement (base, threshold, segments, allowance); the lump sums from a critical_illness section;
# the deaths from a death section; disability from a disability section.
MEDICAL_CARE: tuple[str, ...] = (
    "inpatient",
    "outpatient_radiotherapy",
    "outpatient_chemotherapy",
    "dialysis",
    "outpatient",
    "outpatient_chronic",
    "accident_medical",
)
LUMP_SUM_CARE: tuple[str, ...] = ("critical_illness", "women_special_illness", "maternity")
DEATH_CARE: tuple[str, ...] = ("death", "accidental_death")
CARE_TYPES: tuple[str, ...] = (
    "inpatient",
    "outpatient_radiotherapy",
    "outpatient_chemotherapy",
    "dialysis",
    "critical_illness",
    "death",
    "outpatient",
    "outpatient_chronic",
    "accident_medical",
    "disability",
    "accidental_death",
    "women_special_illness",
    "maternity",
)


def section_of(kind: str) -> str | None:
    """The schedule section that pays a kind of care (None: the medical fields)."""
    if kind in LUMP_SUM_CARE:
        return "critical_illness"
    if kind in DEATH_CARE:
        return "death"
    if kind == "disability":
        return "disability"
    return None


@dataclass(frozen=True)
class Schedule:
    """A region's reimbursement rules as data; validated on construction so that a bad schedule
    is refused when the office saves it, not when the first member claims."""

    segments: tuple[Segment, ...] = ()
    segment_mode: SegmentMode = "progressive"
    deductible_ratio: Decimal = ZERO
    plan_deductible: Decimal = ZERO
    cap_per_share_per_period: Decimal | None = None
    cap_per_period: Decimal | None = None
    minimum_payout: Decimal = ZERO
    daily_allowance: Decimal = ZERO
    allowance_by_membership_year: tuple[Decimal, ...] = ()
    allowance_from_day: int = 1
    allowance_max_days: int | None = None
    allowance_per_share: bool = False
    caps_include_allowance: bool = True
    multiply_by_shares: bool = False
    rounding: Rounding = "fen_half_up"
    max_claims_per_period: int | None = None
    covered_care: tuple[str, ...] = ("inpatient",)
    waiting_days: int | None = None
    threshold_basis: ThresholdBasis = "per_admission"
    variants: tuple[Variant, ...] = ()
    allowance_max_amount: Decimal | None = None
    critical_illness: CriticalIllness | None = None
    death: Death | None = None
    base: str = "self_paid"
    fund_ratio: Decimal | None = None
    stay_before_cover: str = "not_paid"
    disability: Disability | None = None
    kinds: tuple[KindTerms, ...] = ()
    versions: tuple[Version, ...] = ()
    add_ons: tuple[AddOn, ...] = ()
    band_lump_sums: tuple[Band, ...] = ()
    band_lump_sum_mode: str = "add"
    exclusive: tuple[Exclusive, ...] = ()
    once_per_member: bool = False
    eligibility: Eligibility | None = None
    settlement_cycle: str = "period"
    cap_per_cycle: Decimal | None = None

    def __post_init__(self) -> None:
        check_segments(self.segments)
        if self.segment_mode not in SEGMENT_MODES:
            raise ScheduleError(
                _("Unknown segment_mode %(value)s: use progressive or band.") % {"value": self.segment_mode}
            )
        if self.rounding not in ROUNDINGS:
            raise ScheduleError(
                _("Unknown rounding %(value)s: use fen_half_up, jiao_half_up, yuan_half_up or yuan_down.")
                % {"value": self.rounding}
            )
        check_ratio("deductible_ratio", self.deductible_ratio)
        for name in AMOUNT_FIELDS[1:]:
            value = getattr(self, name)
            if value is not None:
                check_amount(name, value)
        for amount in self.allowance_by_membership_year:
            check_amount("allowance_by_membership_year", amount)
        check_count("allowance_from_day", self.allowance_from_day, minimum=1)
        if self.allowance_max_days is not None:
            check_count("allowance_max_days", self.allowance_max_days, minimum=0)
        if self.max_claims_per_period is not None:
            check_count("max_claims_per_period", self.max_claims_per_period, minimum=1)
        if self.waiting_days is not None:
            check_count("waiting_days", self.waiting_days, minimum=0)
        for name in BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ScheduleError(_("%(name)s must be true or false: check the value.") % {"name": name})
        self._check_threshold()
        check_terms(self)
        check_additions(self)
        self._check_care()
        for number, variant in enumerate(self.variants, start=1):
            try:
                self._apply(variant)
            except ScheduleError as error:
                raise in_variant(number, error) from None
        self._check_kinds()
        self._check_versions()

    def _check_threshold(self) -> None:
        basis = self.threshold_basis
        if basis == "cumulative":
            basis = "per_period"
        elif basis not in THRESHOLD_BASES:
            raise ScheduleError(
                _("Unknown threshold_basis %(value)s: use %(known)s.")
                % {"value": self.threshold_basis, "known": listing(THRESHOLD_BASES)}
            )
        if basis in ("per_period", "per_year") and self.segment_mode != "progressive":
            # With bands one more yuan in the period could re-rate everything paid before it.
            raise ScheduleError(
                _(
                    "threshold_basis %(value)s works only with segment_mode progressive: change segment_mode to "
                    "progressive or threshold_basis to per_admission."
                )
                % {"value": self.threshold_basis}
            )
        if basis == "none" and self.plan_deductible > 0:
            raise ScheduleError(
                _(
                    "threshold_basis none (no threshold) cannot go with a plan_deductible (threshold) of %(amount)s "
                    "yuan: set plan_deductible to 0 or choose where the threshold applies."
                )
                % {"amount": self.plan_deductible}
            )
        object.__setattr__(self, "threshold_basis", basis)

    def _check_kinds(self) -> None:
        """Each kind's terms build a valid schedule, name a covered kind once, and kinds that share a
        cap group share one cap (otherwise which cap would limit their sum?)."""
        for terms in self.kinds:
            if terms.kind not in CARE_TYPES:
                raise ScheduleError(
                    _("kinds: unknown kind of care %(value)s: use %(known)s.")
                    % {"value": terms.kind, "known": listing(CARE_TYPES)}
                )
            if terms.kind not in self.covered_care:
                raise ScheduleError(
                    _(
                        "kinds.%(kind)s gives terms for a kind of care that covered_care does not include: add "
                        "%(kind)s to covered_care or remove its terms."
                    )
                    % {"kind": terms.kind}
                )
        caps: dict[str, tuple[str, tuple[object, object]]] = {}
        for kind in self.covered_care:
            own, rules = self.for_kind(kind)
            group = own.cap_group if own is not None else ""
            cap = (rules.cap_per_share_per_period, rules.cap_per_period)
            if group in caps and caps[group][1] != cap:
                raise ScheduleError(
                    _(
                        "kinds.%(kind)s: its period cap differs from that of %(other)s, with which it shares the cap "
                        "group %(group)s: give both the same cap, or give %(kind)s a cap_group of its own."
                    )
                    % {"kind": kind, "other": caps[group][0], "group": group or "—"}
                )
            caps.setdefault(group, (kind, cap))

    def _check_versions(self) -> None:
        previous: date | None = None
        for number, version in enumerate(self.versions, start=1):
            if previous is not None and version.starts_on <= previous:
                raise ScheduleError(
                    _(
                        "versions, item %(number)s: starts_on (effective from) %(date)s is not after the version "
                        "before it: list the versions by date, each with its own date."
                    )
                    % {"number": number, "date": version.starts_on}
                )
            previous = version.starts_on
            for name, _value in version.set:
                if name not in FIELDS:
                    raise unknown_field(name)
            try:
                replace(self, versions=(), **dict(version.set))
            except ScheduleError as error:
                raise ScheduleError(
                    _("versions, item %(number)s: %(message)s") % {"number": number, "message": error.message}
                ) from None

    def _check_care(self) -> None:
        if not self.covered_care:
            raise ScheduleError(_("covered_care must name at least one care type: add inpatient or another."))
        for care in self.covered_care:
            if care not in CARE_TYPES:
                raise ScheduleError(
                    _("Unknown care type %(value)s in covered_care: use %(known)s.")
                    % {"value": care, "known": listing(CARE_TYPES)}
                )
        if len(set(self.covered_care)) != len(self.covered_care):
            raise ScheduleError(_("covered_care names a care type twice: keep each once."))
        for kind in self.covered_care:
            name = section_of(kind)
            if name is None:
                continue
            _terms, rules = self.for_kind(kind)
            if getattr(rules, name) is None:
                if kind == name:
                    raise ScheduleError(
                        _(
                            "covered_care includes %(name)s but the schedule has no %(name)s section: add the "
                            "section or remove %(name)s from covered_care."
                        )
                        % {"name": name}
                    )
                raise ScheduleError(
                    _(
                        "covered_care includes %(kind)s, which is paid by a %(name)s section, but neither the "
                        "schedule nor kinds.%(kind)s gives one: add it or remove %(kind)s from covered_care."
                    )
                    % {"kind": kind, "name": name}
                )

    def _apply(self, variant: Variant) -> Schedule:
        """This schedule with the variant's fields in place of its own (validated as it is built)."""
        for name, _value in variant.set:
            if name in ("variants", "kinds", "versions", "exclusive"):
                raise ScheduleError(_("set cannot contain %(name)s: give it at the top level.") % {"name": name})
            if name not in FIELDS:
                raise unknown_field(name)
        return replace(self, variants=(), **dict(variant.set))

    def for_kind(self, kind: str) -> tuple[KindTerms | None, Schedule]:
        """The kind's own terms (None: it has none) and the rules they make; the kind's fields
        replace the schedule's, and a kind without variants of its own keeps the schedule's."""
        for terms in self.kinds:
            if terms.kind == kind:
                try:
                    return terms, replace(self, kinds=(), versions=(), **dict(terms.set))
                except ScheduleError as error:
                    raise ScheduleError(f"kinds.{kind}: {error.message}") from None
        return None, self

    def for_date(self, admitted_on: date | None) -> tuple[int | None, Schedule]:
        """The number of the last version in force on the admission date (None: the schedule's own
        rules), and the rules it makes."""
        found: int | None = None
        for number, version in enumerate(self.versions, start=1):
            if admitted_on is not None and version.starts_on <= admitted_on:
                found = number
        if found is None:
            return None, self
        return found, replace(self, versions=(), **dict(self.versions[found - 1].set))

    def for_claim(self, claim: VariantFacts) -> tuple[int | None, Schedule]:
        """The number of the first variant that matches the claim (None: none), and the rules it makes."""
        for number, variant in enumerate(self.variants, start=1):
            if variant.when.matches(claim):
                return number, self._apply(variant)
        return None, self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build a schedule from the JSON stored with a plan; unknown fields are refused because a
        misspelt field silently ignored would pay members by the wrong rule."""
        return cls(**parse_fields(data))

    def to_dict(self) -> dict[str, Any]:
        """The schedule as JSON-able data (amounts as strings) that `from_dict` reads back to an
        equal schedule; every field is written, so a later change of default cannot re-rate it."""
        return {name: dump_field(name, getattr(self, name)) for name in FIELD_ORDER}


FIELD_ORDER: tuple[str, ...] = tuple(Schedule.__dataclass_fields__)


def check_terms(schedule: Schedule) -> None:
    """The base, the stay before cover and caps against the minimum: the new terms of a kind."""
    if not schedule.base:
        raise ScheduleError(
            _("base (what the ratios are paid on) is empty: choose one of %(known)s.") % {"known": listing(BASES)}
        )
    if schedule.base not in BASES:
        raise ScheduleError(
            _("Unknown base %(value)s (what the ratios are paid on): use %(known)s.")
            % {"value": schedule.base, "known": listing(BASES)}
        )
    if schedule.fund_ratio is not None:
        check_ratio("fund_ratio", schedule.fund_ratio)
    if schedule.base == "fund_derived" and not schedule.fund_ratio:
        raise ScheduleError(
            _(
                "base fund_derived needs fund_ratio, the basic scheme's ratio of the policy-scope expense it pays "
                "(such as 0.8): add fund_ratio above 0."
            )
        )
    if schedule.stay_before_cover not in STAY_BEFORE_COVER:
        raise ScheduleError(
            _("Unknown stay_before_cover %(value)s: use %(known)s.")
            % {"value": schedule.stay_before_cover, "known": listing(STAY_BEFORE_COVER)}
        )
    minimum = schedule.minimum_payout
    for name in ("cap_per_period", "cap_per_share_per_period"):
        cap = getattr(schedule, name)
        if cap is not None and minimum > 0 and cap < minimum:
            raise ScheduleError(
                _(
                    "%(name)s (a cap) of %(cap)s yuan is below minimum_payout of %(minimum)s yuan, so the minimum "
                    "could never be paid: raise the cap or lower the minimum."
                )
                % {"name": name, "cap": cap, "minimum": minimum}
            )


def check_additions(schedule: Schedule) -> None:
    """Add-ons, band lump sums, exclusive sets and the settlement cycle: the kinds they name are
    known, the bands do not overlap, a cycle cap has a cycle shorter than the period."""
    check_band_list("band_lump_sums", schedule.band_lump_sums)
    if schedule.band_lump_sum_mode not in BAND_MODES:
        raise ScheduleError(
            _("Unknown band_lump_sum_mode %(value)s: use %(known)s.")
            % {"value": schedule.band_lump_sum_mode, "known": listing(BAND_MODES)}
        )
    check_cycle(schedule.settlement_cycle)
    if schedule.cap_per_cycle is not None and schedule.settlement_cycle == "period":
        raise ScheduleError(
            _(
                "cap_per_cycle (the cap of each settlement cycle) needs a settlement_cycle shorter than the period: "
                "set settlement_cycle to month, quarter or half_year, or remove cap_per_cycle."
            )
        )
    minimum = schedule.minimum_payout
    if schedule.cap_per_cycle is not None and minimum > 0 and schedule.cap_per_cycle < minimum:
        raise ScheduleError(
            _(
                "%(name)s (a cap) of %(cap)s yuan is below minimum_payout of %(minimum)s yuan, so the minimum "
                "could never be paid: raise the cap or lower the minimum."
            )
            % {"name": "cap_per_cycle", "cap": schedule.cap_per_cycle, "minimum": minimum}
        )
    for add_on in schedule.add_ons:
        for kind in add_on.kinds:
            if kind not in CARE_TYPES:
                raise ScheduleError(
                    _("add_ons.%(label)s.kinds: unknown kind of care %(value)s: use %(known)s.")
                    % {"label": add_on.label, "value": kind, "known": listing(CARE_TYPES)}
                )
    seen: set[str] = set()
    for number, group in enumerate(schedule.exclusive, start=1):
        for kind in group.kinds:
            if kind not in CARE_TYPES:
                raise ScheduleError(
                    _("exclusive, set %(number)s: unknown kind of care %(value)s: use %(known)s.")
                    % {"number": number, "value": kind, "known": listing(CARE_TYPES)}
                )
            if kind in seen:
                raise ScheduleError(_("exclusive: %(kind)s is in two sets: put it in one set only.") % {"kind": kind})
            seen.add(kind)
