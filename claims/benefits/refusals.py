"""Why a claim is not paid: the reasons the calculation gives, as the member reads them."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from claims.benefits.checks import listing
from claims.benefits.explain import BASE_LABELS, CARE_TYPE_LABELS
from claims.benefits.wording import _, worded


@worded
def not_covered(care_type: str, covered: Iterable[str]) -> str:
    return _("Refused: the plan does not cover %(care)s (%(care_type)s); it covers %(covered)s.") % {
        "care": CARE_TYPE_LABELS[care_type],
        "care_type": care_type,
        "covered": listing([CARE_TYPE_LABELS[care] for care in covered]),
    }


@worded
def in_waiting_period(days: int, waiting: int) -> str:
    return _(
        "Refused: the claim falls %(days)s days after the cover started, inside the waiting period of %(waiting)s days."
    ) % {"days": days, "waiting": waiting}


@worded
def too_many_claims(count: int, limit: int) -> str:
    return _(
        "Refused: this member has already had %(count)s claims in this period, and the plan allows at most %(limit)s."
    ) % {"count": count, "limit": limit}


@worded
def unknown_severity(severity: str, known: Iterable[str]) -> str:
    return _(
        "Refused: the severity %(severity)s is not in the plan's critical illness table; the known "
        "severities are %(known)s."
    ) % {"severity": severity or "—", "known": listing(known)}


@worded
def not_before_cover(days: int) -> str:
    return _(
        "Refused: the stay began %(days)s days before the cover started, and the plan does not pay a stay that "
        "began before cover."
    ) % {"days": days}


@worded
def missing_total(base: str) -> str:
    return _("Refused for now: the base is the %(base)s, and the claim has no total expense: enter it.") % {
        "base": BASE_LABELS[base]
    }


@worded
def no_grade() -> str:
    return _("Refused for now: enter the disability grade, 1 to 10, from the appraisal.")


# --- Eligibility, once for life, exclusive kinds -----------------------------------------------

GENDER_LABELS: dict[str, Promise] = {"F": gettext_lazy("women"), "M": gettext_lazy("men")}


@worded
def gender_unknown(kind: str) -> str:
    return _("Refused for now: %(kind)s depends on the member's gender, which the enrollment does not record.") % {
        "kind": kind
    }


@worded
def wrong_gender(kind: str, genders: Iterable[str], gender: str) -> str:
    return _("Refused: %(kind)s is for %(genders)s members only; this member is recorded as %(gender)s.") % {
        "kind": kind,
        "genders": listing(GENDER_LABELS[item] for item in genders),
        "gender": GENDER_LABELS.get(gender, gender),
    }


@worded
def age_unknown(kind: str) -> str:
    return _("Refused for now: %(kind)s has an age limit, and the member's birth date is not recorded.") % {
        "kind": kind
    }


@worded
def too_young(kind: str, age: int, least: int) -> str:
    return _("Refused: %(kind)s may be claimed from the age of %(least)s; the member was %(age)s on admission.") % {
        "kind": kind,
        "least": least,
        "age": age,
    }


@worded
def too_old(kind: str, age: int, most: int, gender: str) -> str:
    values = {"kind": kind, "most": most, "age": age}
    if gender:
        values["gender"] = GENDER_LABELS.get(gender, gender)
        return (
            _(
                "Refused: for %(gender)s, %(kind)s may be claimed up to the age of %(most)s; the member was "
                "%(age)s on admission."
            )
            % values
        )
    return (
        _("Refused: %(kind)s may be claimed up to the age of %(most)s; the member was %(age)s on admission.") % values
    )


@worded
def too_new(kind: str, year: int, least: int) -> str:
    return _("Refused: %(kind)s is paid from membership year %(least)s on; this is the member's year %(year)s.") % {
        "kind": kind,
        "least": least,
        "year": year,
    }


@worded
def wrong_category(kind: str, category: str, allowed: Iterable[str]) -> str:
    return _("Refused: %(kind)s is for the member categories %(allowed)s; this member's category is %(category)s.") % {
        "kind": kind,
        "allowed": listing(allowed),
        "category": category or "—",
    }


@worded
def paid_once(kind: str) -> str:
    return _("Refused: %(kind)s is paid once per member for life, and it has been paid to this member already.") % {
        "kind": kind
    }


@worded
def exclusive_first(kind: str, paid: Iterable[str]) -> str:
    return _("Refused: %(kind)s is not paid once %(paid)s has been paid in the period; only the first is paid.") % {
        "kind": kind,
        "paid": listing(CARE_TYPE_LABELS[item] for item in paid),
    }
