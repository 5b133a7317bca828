"""The benefit schedules: the list of periods with their schedule, and the editor that validates
a period's rules and previews them on an example claim before saving."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims import selectors
from claims.benefits.calculate import Claim as ClaimFacts
from claims.benefits.calculate import calculate
from claims.benefits.checks import ScheduleError
from claims.benefits.editor import FIELD_HELP, PRESETS
from claims.benefits.schedule import Schedule
from claims.listing import ScheduleFilter, ScheduleTable
from claims.models import CareType
from claims.schedule_fields import LABELS, ROWS, fields_of, read_form
from claims.services.schedules import schedule_save
from enrollment.models import Period
from mutualaid.badinput import amount, whole_number
from mutualaid.listing import ListPage
from mutualaid.requests import request_office
from mutualaid.views import StaffView


class ScheduleListView(ListPage):
    """The plan periods offered to the office or run in its tree, each with its schedule."""

    template_name = "claims/schedule_list.html"
    permission_required = "claims.view"
    table_class = ScheduleTable
    filter_class = ScheduleFilter
    title = gettext_lazy("Benefit schedules")
    export_name = gettext_lazy("Benefit schedules")

    def queryset(self) -> QuerySet[Any]:
        rows, self._schedules = selectors.schedule_rows(org=request_office(self.request))
        return rows

    def prepare(self, records: list[Any]) -> None:
        for period in records:
            period.schedule = self._schedules.get(period.pk)


_EXAMPLE_FIELDS = (
    ("care_type", "inpatient"),
    ("self_paid", "8000"),
    ("deductible_part", "800"),
    ("days_in_hospital", "10"),
    ("shares", "1"),
    ("membership_year", "1"),
    ("admission_order", "1"),
    ("paid_before_in_period", "0"),
    ("member_category", ""),
    ("severity", ""),
    ("illness_days", "0"),
    ("disability_grade", "0"),
    ("admitted_on", ""),
    ("total_cost", ""),
    ("insurance_paid", "0"),
    ("other_payers_paid", "0"),
    ("gender", ""),
    ("age", ""),
)


_EXAMPLE_AMOUNTS = ("self_paid", "deductible_part", "paid_before_in_period", "insurance_paid", "other_payers_paid")
_EXAMPLE_COUNTS = {
    "days_in_hospital": "0",
    "shares": "1",
    "membership_year": "1",
    "admission_order": "1",
    "illness_days": "0",
    "disability_grade": "0",
}


def _example_extras(values: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """The admission date and the total cost of the example, both optional; False: one is bad."""
    extras: dict[str, Any] = {}
    if values["gender"]:
        if values["gender"] not in ("F", "M"):
            return {}, False
        extras["gender"] = values["gender"]
    if values["age"]:
        age = whole_number(values["age"], most=150)
        if age is None:
            return {}, False
        extras["age"] = age
    if values["admitted_on"]:
        try:
            extras["admitted_on"] = date.fromisoformat(values["admitted_on"])
        except ValueError:
            return {}, False
    if values["total_cost"]:
        total = amount(values["total_cost"])
        if total is None or total < 0:
            return {}, False
        extras["total_cost"] = total
    return extras, True


def _example_claim(data: Any) -> tuple[ClaimFacts | None, dict[str, str], str]:
    """The example claim of the preview, from the form; a problem is named, never raised."""
    values = {name: str(data.get(name, default)).strip() for name, default in _EXAMPLE_FIELDS}
    # The claim's own columns bound what an example may hold: amounts as money, counts as days.
    amounts = {name: amount(values[name] or "0") for name in _EXAMPLE_AMOUNTS}
    counts = {name: whole_number(values[name] or default, most=36_500) for name, default in _EXAMPLE_COUNTS.items()}
    money = {name: value for name, value in amounts.items() if value is not None and value >= 0}
    whole = {name: value for name, value in counts.items() if value is not None}
    problem = _(
        "The example claim needs amounts of 0 or more, whole numbers of days, shares and age, and a gender of F or M."
    )
    extras, good = _example_extras(values)
    if len(money) < len(amounts) or len(whole) < len(counts) or not good:
        return None, values, problem
    try:
        claim = ClaimFacts(
            care_type=values["care_type"] or "inpatient",
            self_paid=money["self_paid"],
            deductible_part=money["deductible_part"],
            days_in_hospital=whole["days_in_hospital"],
            shares=whole["shares"],
            membership_year=whole["membership_year"],
            admission_order=whole["admission_order"],
            paid_before_in_period=money["paid_before_in_period"],
            member_category=values["member_category"],
            severity=values["severity"],
            illness_days=whole["illness_days"],
            disability_grade=whole["disability_grade"],
            fund_paid=money["insurance_paid"],
            other_payers=(("other_mutual_aid_paid", money["other_payers_paid"]),),
            **extras,
        )
    except ValueError:  # the calculator's own checks: a care type it does not know, no shares
        return None, values, problem
    return claim, values, ""


class ScheduleEditView(StaffView):
    """A period's rules as JSON, validated and previewed on an example claim before saving."""

    template_name = "claims/schedule_edit.html"
    permission_required = "claims.view"

    def _period(self) -> Period:
        try:
            return selectors.schedule_period_get(org=request_office(self.request), pk=self.kwargs["period_pk"])
        except Period.DoesNotExist:
            raise Http404(_("No such period offered in your office's tree.")) from None

    def _context(
        self,
        period: Period,
        text: str,
        example: Any,
        *,
        errors: dict[str, str] | None = None,
        posted: Any = None,
        **extra: Any,
    ) -> dict[str, Any]:
        schedule = getattr(period, "benefit_schedule", None)
        values = _example_claim(example)[1]
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            data = schedule.rules if schedule else {}
        if not isinstance(data, dict):
            data = {}
        return self.get_context_data(
            period=period,
            schedule=schedule,
            text=text,
            fields=fields_of(data, errors, posted),
            field_errors=errors or {},
            row_numbers=range(1, ROWS + 1),
            example=values,
            care_types=CareType.choices,
            field_help=[
                (item.name, LABELS[item.name], item.description, json.dumps(item.example, ensure_ascii=False))
                for item in FIELD_HELP
            ],
            presets=PRESETS,
            may_edit=self.request.user.has_perm("plans.manage")
            and period.plan.org_id == self.request.user.org_id
            and not (schedule and schedule.frozen_at),
            **extra,
        )

    def get(self, request: HttpRequest, period_pk: int) -> HttpResponse:
        period = self._period()
        schedule = getattr(period, "benefit_schedule", None)
        preset = PRESETS.get(request.GET.get("preset", ""))
        data = preset.for_the_editor() if preset is not None else (schedule.rules if schedule else {})
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if preset is None or not preset.to_fill:
            return self.render_to_response(self._context(period, text, {}))
        # The seeds give no figure for these fields: the office fills them, nothing is invented.
        to_fill = _("To be filled in by your office: the source gives no figure for this field.")
        problem = _("To be filled in by your office (the source gives no figures): %(fields)s.") % {
            "fields": "、".join(preset.to_fill)
        }
        return self.render_to_response(
            self._context(period, text, {}, errors=dict.fromkeys(preset.to_fill, to_fill), problem=problem)
        )

    def post(self, request: HttpRequest, period_pk: int) -> HttpResponse:
        period = self._period()
        if request.POST.get("action") in ("fields_preview", "fields_save"):
            return self._post_fields(request, period)
        text = request.POST.get("rules", "")
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError as error:
            problem = _("The rules are not valid JSON (line %(line)s, column %(column)s): %(msg)s.") % {
                "line": error.lineno,
                "column": error.colno,
                "msg": error.msg,
            }
            return self.render_to_response(self._context(period, text, request.POST, problem=problem))
        if request.POST.get("action") == "save":
            try:
                schedule_save(actor=self.request.user, period=period, rules_data=data)
            except ValidationError as error:
                return self.render_to_response(
                    self._context(period, text, request.POST, problem=" ".join(error.messages))
                )
            except PermissionDenied as error:
                return self.render_to_response(self._context(period, text, request.POST, problem=str(error)))
            messages.success(request, _("Schedule saved."))
            return redirect("claims:schedule_edit", period_pk=period.pk)
        try:
            schedule = Schedule.from_dict(data)
        except ScheduleError as error:
            return self.render_to_response(self._context(period, text, request.POST, problem=error.message))
        return self._preview(request, period, schedule, text)

    def _post_fields(self, request: HttpRequest, period: Period) -> HttpResponse:
        """The form field by field: each problem beside its field, the rules kept as typed."""
        data, errors, problem = read_form(request.POST)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if errors or problem:
            general = problem or _("Some fields need correcting: see the messages beside them.")
            return self.render_to_response(
                self._context(period, text, request.POST, errors=errors, posted=request.POST, problem=general)
            )
        if request.POST.get("action") == "fields_save":
            try:
                schedule_save(actor=self.request.user, period=period, rules_data=data)
            except ValidationError as error:
                message = " ".join(error.messages)
                return self.render_to_response(
                    self._context(period, text, request.POST, posted=request.POST, problem=message)
                )
            except PermissionDenied as error:
                return self.render_to_response(
                    self._context(period, text, request.POST, posted=request.POST, problem=str(error))
                )
            messages.success(request, _("Schedule saved."))
            return redirect("claims:schedule_edit", period_pk=period.pk)
        return self._preview(request, period, Schedule.from_dict(data), text)

    def _preview(self, request: HttpRequest, period: Period, schedule: Schedule, text: str) -> HttpResponse:
        example, _values, problem = _example_claim(request.POST)
        if example is not None:  # the waiting period is the period's
            example = replace(example, waiting_days=period.waiting_days)
        result = calculate(schedule, example) if example is not None else None
        return self.render_to_response(
            self._context(period, text, request.POST, problem=problem, result=result, valid=True)
        )
