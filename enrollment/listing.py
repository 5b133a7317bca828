"""Filters on a plan or a period for the list pages of enrollment and of the apps above it.

A unit's rows belong to the plans of the offices above it, which lie outside its scope: the
choices are the plans and periods offered to the caller's node and those of its own tree
(`period_ids_relevant`), but only those that are relevant to the caller: a period of an active
plan, or one the caller's tree holds policies in (and with them members, claims, remittances and
receipts). A plan no longer offered that the tree never joined (a region's example, a closed plan
of another city under the province) is not offered as a filter that could only find nothing. Every
list page's plan and period filters take their choices from here, so they agree; the finance
pages' plan choice (`finance.selectors.books.book_plan_list`) keeps the same rule, with the
office's books as its data too. Filtering the scoped rows by one of them can only narrow them; an
id that is not among the choices is refused by the form (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from enrollment import selectors
from enrollment.models import Period, Plan
from mutualaid.requests import request_office


def _period_ids(request: HttpRequest) -> set[tuple[int, int]]:
    """Read once per request: the plan and the period filter of a page both start from them."""
    cached: set[tuple[int, int]] | None = getattr(request, "_list_period_ids", None)
    if cached is None:
        cached = selectors.period_ids_relevant(org=request_office(request))
        request._list_period_ids = cached  # type: ignore[attr-defined]
    return cached


def plan_choices(request: HttpRequest) -> QuerySet[Plan]:
    ids = {plan_id for _period_id, plan_id in _period_ids(request)}
    return Plan.objects.with_scopes_disabled().filter(pk__in=ids).order_by("name")  # the ids come from the scope


def period_choices(request: HttpRequest) -> QuerySet[Period]:
    ids = {period_id for period_id, _plan_id in _period_ids(request)}
    return (
        Period.objects.with_scopes_disabled()  # the ids come from the scope (see above)
        .filter(pk__in=ids)
        .select_related("plan")
        .order_by("plan__name", "-starts_on")
    )


def plan_filter(field_name: str = "period__plan", **kwargs: Any) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name, queryset=plan_choices, label=_("Plan"), empty_label=_("All plans"), **kwargs
    )


def period_filter(field_name: str = "period", **kwargs: Any) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name, queryset=period_choices, label=_("Period"), empty_label=_("All periods"), **kwargs
    )
