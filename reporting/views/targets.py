"""The annual targets of the offices and units directly below an office: office heads set them,
a table at a time (all rows at once, all or nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualaid.models import Organisation, OrgKind, UnitType
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView
from reporting import jobs, rankings
from reporting.models import Target
from reporting.services import target_set
from reporting.views.rankings import unit_type_asked

ROW_FIELD = re.compile(r"^(people|premium|coverage)_(\d+)$")
HUNDRED = Decimal(100)


@dataclass
class TargetRow:
    office: Organisation
    target: Target | None
    people: str = ""
    premium: str = ""
    coverage: str = ""


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{(value * HUNDRED).normalize():f}"


class TargetsView(StaffView):
    """The annual targets of the offices and units directly below, one table per year and plan;
    offices heads edit them (all rows at once, all or nothing)."""

    template_name = "reporting/targets.html"
    permission_required = "reporting.view"

    def _choice(self, data: Any) -> tuple[int | None, Any, list[Any]]:
        office = request_office(self.request)
        plans = rankings.ranking_plan_list(node=office)
        year = jobs.parse_year(data.get("year")) if data.get("year") else timezone.localdate().year
        wanted = data.get("plan", "")
        plan = next((p for p in plans if str(p.pk) == wanted), None) if wanted else (plans[0] if plans else None)
        return year, plan, plans

    def _rows(self, year: int | None, plan: Any, unit_type: str = "") -> list[TargetRow]:
        office = request_office(self.request)
        below = Organisation.objects.filter(parent=office)
        children = list((below.filter(unit_type=unit_type) if unit_type else below).order_by("path"))
        targets = {}
        if year and plan:
            targets = {t.target_org_id: t for t in Target.objects.filter(org=office, plan=plan, year=year)}
        rows = []
        for child in children:
            target = targets.get(child.pk)
            rows.append(
                TargetRow(
                    child,
                    target,
                    people="" if target is None or target.people is None else str(target.people),
                    premium="" if target is None or target.premium is None else str(target.premium),
                    coverage="" if target is None else _percent(target.coverage_rate),
                )
            )
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year, plan, plans = self._choice(kwargs.get("data", self.request.GET))
        unit_type = unit_type_asked(self.request) if "data" not in kwargs else ""
        rows = kwargs.get("rows") or self._rows(year, plan, unit_type)
        context.update(
            year=year or timezone.localdate().year,
            plan=plan,
            plans=plans,
            rows=rows,
            unit_type=unit_type,
            unit_types=UnitType.choices,
            by_unit_type=_targets_by_unit_type(rows),
            can_edit=self.request.user.has_perm("reporting.targets"),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("reporting.targets"):
            raise PermissionDenied(_("Your roles do not allow this."))
        office = request_office(request)
        year, plan, _plans = self._choice(request.POST)
        errors: list[str] = []
        if year is None:
            errors.append(_("Give the year as four digits."))
        if plan is None:
            errors.append(_("Choose a plan."))
        wanted = _posted_rows(request.POST)
        children = {o.pk: o for o in Organisation.objects.filter(pk__in=wanted)}
        existing = (
            {t.target_org_id: t for t in Target.objects.filter(org=office, plan=plan, year=year)}
            if year and plan
            else {}
        )
        figures: list[tuple[Organisation, dict[str, Any]]] = []
        for pk, fields in wanted.items():
            child = children.get(pk)
            if child is None or child.parent_id != office.pk:
                errors.append(
                    _("%(office)s is not directly below your office: targets are set only for those directly below.")
                    % {"office": child.name if child else f"#{pk}"}
                )
                continue
            parsed, problems = _parse_target(child, fields)
            errors += problems
            if problems:
                continue
            if all(value is None for value in parsed.values()):
                if pk in existing:
                    errors.append(
                        _("%(office)s: a target needs people, premium or a coverage rate; it cannot be left empty.")
                        % {"office": child.name}
                    )
                continue
            figures.append((child, parsed))
        if not errors and not figures:
            errors.append(_("Set a target in people, premium or coverage rate."))
        if not errors and year is not None:
            try:
                with transaction.atomic():
                    for child, parsed in figures:
                        target_set(actor=request_user(request), target_org=child, plan=plan, year=year, **parsed)
            except (ValidationError, PermissionDenied) as error:
                errors += error.messages if isinstance(error, ValidationError) else [str(error)]
        if errors:
            for message in errors:
                messages.error(request, message)
            rows = self._rows(year, plan)
            for row in rows:
                posted = wanted.get(row.office.pk, {})
                row.people, row.premium, row.coverage = (
                    posted.get("people", ""),
                    posted.get("premium", ""),
                    posted.get("coverage", ""),
                )
            return self.render_to_response(self.get_context_data(data=request.POST, rows=rows))
        messages.success(
            request,
            _("Targets of %(year)s for %(plan)s saved: %(count)s.")
            % {"year": year, "plan": plan.name, "count": len(figures)},
        )
        return redirect(f"{request.path}?{urlencode({'year': year, 'plan': plan.pk})}")


def _targets_by_unit_type(rows: list[TargetRow]) -> list[dict[str, Any]]:
    """The targets of the units directly below, totalled by type of unit (the rows shown)."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.office.kind != OrgKind.UNIT or row.target is None:
            continue
        kind = row.office.unit_type
        label = str(UnitType(kind).label) if kind else _("Type not recorded")
        total = totals.setdefault(kind, {"label": label, "units": 0, "people": 0, "premium": Decimal(0)})
        total["units"] += 1
        total["people"] += row.target.people or 0
        total["premium"] += row.target.premium or Decimal(0)
    order = [*UnitType.values, ""]
    return [totals[kind] for kind in sorted(totals, key=order.index)]


def _posted_rows(data: Any) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in data:
        match = ROW_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(2)), {})[match.group(1)] = data.get(key, "").strip()
    return rows


def _parse_target(child: Organisation, fields: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """People, premium and coverage (entered as a percentage) of one row, with what is wrong."""
    problems: list[str] = []
    parsed: dict[str, Any] = {"people": None, "premium": None, "coverage_rate": None}
    name = {"office": child.name}
    people = fields.get("people", "").replace(",", "")
    if people:
        # ASCII digits only: `\d` and int() take full-width and other digits, which the rest of
        # the product refuses (mutualaid/badinput.py).
        if not re.fullmatch(r"-?[0-9]+", people) or int(people) <= 0 or int(people) > 10**8:
            problems.append(_("%(office)s: the target in people must be a whole number above zero.") % name)
        else:
            parsed["people"] = int(people)
    premium = _amount(fields.get("premium", ""), top=Decimal(10**12))
    if premium is False:
        problems.append(
            _("%(office)s: the premium target must be an amount in yuan above zero, with at most two decimals.") % name
        )
    else:
        parsed["premium"] = premium
    coverage = _amount(fields.get("coverage", "").rstrip("%"), top=HUNDRED)
    if coverage is False:
        problems.append(
            _("%(office)s: the coverage rate must be a percentage above 0 and at most 100, with at most two decimals.")
            % name
        )
    elif coverage is not None:
        parsed["coverage_rate"] = (coverage / HUNDRED).quantize(Decimal("0.0001"))
    return parsed, problems


def _amount(text: str, *, top: Decimal) -> Decimal | bool | None:
    """A positive figure with at most two decimals; None when empty, False when not."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    if not text.isascii():  # Decimal() takes full-width and other digits too
        return False
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    if not value.is_finite() or value <= 0 or value > top or -int(value.as_tuple().exponent) > 2:
        return False
    return value
