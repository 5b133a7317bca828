"""Thin HTML views of claims over their services and selectors."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from claims import rules, selectors, services
from claims.forms import (
    CallbackForm,
    ClaimForm,
    DocumentsForm,
    FiguresForm,
    MarkPaidForm,
    OfficeDayForm,
    SettingsForm,
)
from claims.models import (
    CareType,
    Claim,
    ClaimDocument,
    ClaimSettings,
    ClaimStatus,
    ClaimStep,
    DocumentKind,
    OfficeDay,
    PaymentBatch,
)
from enrollment.models import Enrollment, Period
from mutualaid import dates, idcheck
from mutualaid.officesettings import office_settings
from mutualaid.views import StaffView, attach_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = _("No such claim in your office's tree.")


def _claim(pk: int) -> Claim:
    try:
        return selectors.claim_get(pk=pk)
    except Claim.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def _errors(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))


def _uploads(form: DocumentsForm) -> list[services.Upload]:
    """Every chosen file checked (type by content, size); the first bad one is refused by name."""
    return [services.check_document(kind=kind, upload=upload) for kind, upload in form.uploads()]


class ClaimListView(StaffView):
    template_name = "claims/claim_list.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        status = params.get("status", "")
        queue = params.get("queue", "")
        # The search may be a full ID number: it is only read from a POSTed form, never from
        # the query string, where server logs and the browser's history would keep it.
        search = self.request.POST.get("q", "").strip()
        claims = selectors.claim_list(
            status=status if status in ClaimStatus.values else "",
            search=search,
            queue=queue,
            actor=self.request.user,  # type: ignore[arg-type]
        )
        context.update(
            page=Paginator(claims, 50).get_page(params.get("page")),
            statuses=ClaimStatus.choices,
            status=status,
            queue=queue,
            search=search,
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**kwargs))


class ClaimRegisterView(StaffView):
    """Find the member by full ID number, choose the covering enrollment, enter the papers."""

    template_name = "claims/register.html"
    permission_required = "claims.register"

    def _enrollments(self, id_number: str) -> tuple[list[Enrollment], str]:
        if not id_number.strip():
            return [], ""
        try:
            found = list(selectors.enrollments_for_claim(id_number=id_number))
        except idcheck.IdError as error:
            return [], str(error)
        if not found:
            return [], _("Nobody with this ID number is enrolled in your office's tree: check the number.")
        return found, ""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._found("", [], "")

    def _found(self, id_number: str, enrollments: list[Enrollment], problem: str) -> HttpResponse:
        initial = {"payee_name": enrollments[0].name} if enrollments else {}
        return self.render_to_response(
            self.get_context_data(
                form=ClaimForm(initial=initial),
                id_number=id_number,
                enrollments=enrollments,
                problem=problem,
                chosen_pk="",  # every variable set: a failed lookup logs the context, number included
            )
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        """The ID number arrives by POST only, both to find the member and to register: in a
        query string it would be kept by server logs and the browser's history."""
        id_number = request.POST.get("id_number", "")
        enrollments, problem = self._enrollments(id_number)
        if request.POST.get("step") == "find":
            return self._found(id_number, enrollments, problem)
        form = ClaimForm(request.POST, request.FILES)
        chosen = {str(e.pk): e for e in enrollments}.get(request.POST.get("enrollment", ""))
        context = {"form": form, "id_number": id_number, "enrollments": enrollments, "problem": problem}
        if chosen is None:
            form.is_valid()
            form.add_error(None, _("Choose the enrollment that covers this care."))
            return self.render_to_response(self.get_context_data(**context, chosen_pk=""))
        context["chosen_pk"] = chosen.pk
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context))
        try:
            claim = services.claim_register(
                actor=request.user,  # type: ignore[arg-type]
                enrollment=chosen,
                figures=form.figures(),
                payee=form.payee(),
                documents=_uploads(form),
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(**context))
        messages.success(request, _("Claim %(number)s registered.") % {"number": claim.number})
        return redirect("claims:claim_detail", claim_pk=claim.pk)


class ClaimDetailView(StaffView):
    template_name = "claims/claim_detail.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim = _claim(self.kwargs["claim_pk"])
        user = self.request.user
        level = services.REVIEW_LEVELS.get(claim.status)
        acted_elsewhere = (
            level is not None
            and ClaimStep.objects.filter(claim=claim, actor=user).exclude(level__in=[level[0], "payment"]).exists()
        )
        can_review = (
            level is not None
            and user.has_perm(level[1])
            and user.org_id == claim.review_office_id
            and not acted_elsewhere
        )
        context.update(
            claim=claim,
            diagnosis=services.claim_diagnosis(claim),
            documents=list(claim.documents.select_related("uploaded_by")),
            steps=list(claim.steps.select_related("actor")),
            invoices=list(claim.invoices.values_list("number", flat=True)),
            missing=[DocumentKind(kind).label for kind in services.missing_documents(claim)],
            can_review=can_review,
            level_label=level[0].label if level else "",
            acted_elsewhere=acted_elsewhere,
            open=claim.status in services.OPEN_STATUSES,
            documents_form=DocumentsForm(),
            callback_form=CallbackForm(),
            care_types=dict(CareType.choices),
        )
        return context


class ClaimReviewView(StaffView):
    permission_required = "claims.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        version = request.POST.get("version", "")
        try:
            if not version.isdigit():
                raise ValidationError(_("Reload the page and try again."))
            claim = services.claim_review(
                actor=request.user,  # type: ignore[arg-type]
                claim=claim,
                version=int(version),
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("Claim %(number)s: %(status)s.") % {"number": claim.number, "status": claim.get_status_display()},
            )
        return redirect("claims:claim_detail", claim_pk=claim_pk)


class ClaimDocumentsView(StaffView):
    permission_required = "claims.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = DocumentsForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise ValidationError(_("Choose PDF, JPG or PNG files."))
            claim = services.claim_add_documents(actor=request.user, claim=claim, documents=_uploads(form))  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Documents added."))
        return redirect("claims:claim_detail", claim_pk=claim_pk)


class ClaimCallbackView(StaffView):
    permission_required = "claims.callback"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = CallbackForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Choose how the call went."))
            services.claim_callback(actor=request.user, claim=claim, **form.cleaned_data)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Callback recorded."))
        return redirect("claims:claim_detail", claim_pk=claim_pk)


class ClaimDocumentView(StaffView):
    """A scanned document, decrypted for someone who may see the claim."""

    permission_required = "claims.view"

    def get(self, request: HttpRequest, claim_pk: int, document_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        try:
            document = ClaimDocument.objects.get(pk=document_pk, claim=claim)
        except ClaimDocument.DoesNotExist:
            raise Http404(NOT_FOUND) from None
        if not document.file:  # deleted when its retention period ended
            raise Http404(NOT_FOUND)
        response = HttpResponse(services.document_content(document), content_type=document.content_type)
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(document.original_name)}"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ClaimAmendView(StaffView):
    template_name = "claims/amend.html"
    permission_required = "claims.view"

    def _initial(self, claim: Claim) -> dict[str, Any]:
        fields = [name for name in FiguresForm.base_fields if name not in ("invoices", "diagnosis")]
        initial = {name: getattr(claim, name) for name in fields}
        initial["invoices"] = "\n".join(claim.invoices.values_list("number", flat=True))
        initial["diagnosis"] = services.claim_diagnosis(claim)
        return initial

    def get(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = FiguresForm(initial=self._initial(claim))
        return self.render_to_response(self.get_context_data(claim=claim, form=form))

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = FiguresForm(request.POST)
        version = request.POST.get("version", "")
        if form.is_valid():
            try:
                services.claim_amend(
                    actor=request.user,  # type: ignore[arg-type]
                    claim=claim,
                    version=int(version) if version.isdigit() else -1,
                    figures=form.figures(),
                    note=request.POST.get("note", ""),
                )
            except ValidationError as error:
                attach_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Figures changed; the payout was computed again."))
                return redirect("claims:claim_detail", claim_pk=claim.pk)
        return self.render_to_response(self.get_context_data(claim=claim, form=form))


class RiskView(StaffView):
    template_name = "claims/risk.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = Paginator(selectors.risk_list(), 50).get_page(self.request.GET.get("page"))
        return context


class DeadlinesView(StaffView):
    """The office's clock: what runs, what is past the target and past the hard limit."""

    template_name = "claims/deadlines.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = self.request.user.org
        context.update(
            summary=selectors.deadline_summary(office=office),
            settings=office_settings(ClaimSettings, office),
            overdue=selectors.overdue_claims(office=office)[:200],
            offices=selectors.deadlines_by_office(),
            today=dates.business_today(),
            calendar_known=services.calendar_for(office).knows_year(dates.business_today().year),
        )
        return context


class SettingsView(StaffView):
    """The office's targets, flag thresholds and its own closed and open days."""

    template_name = "claims/settings.html"
    permission_required = "claims.configure"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        current = office_settings(ClaimSettings, self.request.user.org)
        fields = ("target_days", "limit_days", "early_claim_days", "claims_per_member", "large_amount")
        context.setdefault("form", SettingsForm(initial={name: getattr(current, name) for name in fields}))
        context.setdefault("day_form", OfficeDayForm())
        context["days"] = OfficeDay.objects.filter(org=self.request.user.org)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        try:
            if action == "settings":
                form = SettingsForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                services.claim_settings_save(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
                messages.success(request, _("Settings saved; the due dates of running claims follow them."))
            elif action == "add_day":
                day_form = OfficeDayForm(request.POST)
                if not day_form.is_valid():
                    return self.render_to_response(self.get_context_data(day_form=day_form))
                services.office_day_set(actor=request.user, **day_form.cleaned_data)  # type: ignore[arg-type]
                messages.success(request, _("Day saved."))
            elif action == "remove_day":
                day = OfficeDayForm(request.POST).fields["day"].clean(request.POST.get("day", ""))
                services.office_day_remove(actor=request.user, day=day)  # type: ignore[arg-type]
                messages.success(request, _("Day removed."))
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        return redirect("claims:settings")


class ScheduleListView(StaffView):
    template_name = "claims/schedule_list.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.schedule_periods(org=self.request.user.org)
        return context


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
)


def _example_claim(data: Any) -> tuple[rules.Claim | None, dict[str, str], str]:
    """The example claim of the preview, from the form; a problem is named, never raised."""
    values = {name: str(data.get(name, default)).strip() for name, default in _EXAMPLE_FIELDS}
    try:
        claim = rules.Claim(
            care_type=values["care_type"] or "inpatient",
            self_paid=Decimal(values["self_paid"] or "0"),
            deductible_part=Decimal(values["deductible_part"] or "0"),
            days_in_hospital=int(values["days_in_hospital"] or 0),
            shares=int(values["shares"] or 1),
            membership_year=int(values["membership_year"] or 1),
            admission_order=int(values["admission_order"] or 1),
            paid_before_in_period=Decimal(values["paid_before_in_period"] or "0"),
            member_category=values["member_category"],
            severity=values["severity"],
            illness_days=int(values["illness_days"] or 0),
        )
    except (ValueError, InvalidOperation):
        return None, values, _("The example claim needs amounts of 0 or more and whole numbers of days and shares.")
    return claim, values, ""


class ScheduleEditView(StaffView):
    """A period's rules as JSON, validated and previewed on an example claim before saving."""

    template_name = "claims/schedule_edit.html"
    permission_required = "claims.view"

    def _period(self) -> Period:
        try:
            return selectors.period_for_schedule(org=self.request.user.org, pk=self.kwargs["period_pk"])
        except Period.DoesNotExist:
            raise Http404(_("No such period offered in your office's tree.")) from None

    def _context(self, period: Period, text: str, example: Any, **extra: Any) -> dict[str, Any]:
        schedule = getattr(period, "benefit_schedule", None)
        values = _example_claim(example)[1]
        return self.get_context_data(
            period=period,
            schedule=schedule,
            text=text,
            example=values,
            care_types=CareType.choices,
            field_help=[
                (item.name, item.description, json.dumps(item.example, ensure_ascii=False)) for item in rules.FIELD_HELP
            ],
            presets=rules.PRESETS,
            may_edit=self.request.user.has_perm("plans.manage")
            and period.plan.org_id == self.request.user.org_id
            and not (schedule and schedule.frozen_at),
            **extra,
        )

    def get(self, request: HttpRequest, period_pk: int) -> HttpResponse:
        period = self._period()
        schedule = getattr(period, "benefit_schedule", None)
        preset = rules.PRESETS.get(request.GET.get("preset", ""))
        data = preset.schedule if preset is not None else (schedule.rules if schedule else {})
        return self.render_to_response(self._context(period, json.dumps(data, ensure_ascii=False, indent=2), {}))

    def post(self, request: HttpRequest, period_pk: int) -> HttpResponse:
        period = self._period()
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
                services.schedule_save(actor=request.user, period=period, rules_data=data)  # type: ignore[arg-type]
            except ValidationError as error:
                return self.render_to_response(
                    self._context(period, text, request.POST, problem=" ".join(error.messages))
                )
            except PermissionDenied as error:
                return self.render_to_response(self._context(period, text, request.POST, problem=str(error)))
            messages.success(request, _("Schedule saved."))
            return redirect("claims:schedule_edit", period_pk=period.pk)
        try:
            schedule = rules.Schedule.from_dict(data)
        except rules.ScheduleError as error:
            return self.render_to_response(self._context(period, text, request.POST, problem=error.message))
        example, _values, problem = _example_claim(request.POST)
        result = rules.calculate(schedule, example) if example is not None else None
        return self.render_to_response(
            self._context(period, text, request.POST, problem=problem, result=result, valid=True)
        )


class BatchListView(StaffView):
    template_name = "claims/batch_list.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["batches"] = Paginator(selectors.batch_list(), 50).get_page(self.request.GET.get("page"))
        context["payable"] = (
            list(selectors.payable_claims(office=user.org)[:500]) if user.has_perm("claims.pay") else []
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = [int(v) for v in request.POST.getlist("claim") if v.isdigit()]
        try:
            batch = services.batch_create(actor=request.user, claim_ids=ids)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
            return redirect("claims:batch_list")
        messages.success(request, _("Batch %(number)s prepared.") % {"number": batch.number})
        return redirect("claims:batch_detail", batch_pk=batch.pk)


def _batch(pk: int) -> PaymentBatch:
    try:
        return selectors.batch_list().get(pk=pk)
    except PaymentBatch.DoesNotExist:
        raise Http404(_("No such payment batch in your office's tree.")) from None


class BatchDetailView(StaffView):
    template_name = "claims/batch_detail.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        batch = _batch(self.kwargs["batch_pk"])
        context.update(
            batch=batch,
            claims=batch.claims.select_related("org").order_by("number"),
            today=dates.business_today(),
            may_pay=self.request.user.has_perm("claims.pay") and batch.org_id == self.request.user.org_id,
        )
        return context

    def post(self, request: HttpRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(batch_pk)
        form = MarkPaidForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Enter the payment date and the bank's reference of the transfer."))
            services.batch_mark_paid(actor=request.user, batch=batch, **form.cleaned_data)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Batch marked paid; the members are being notified."))
        return redirect("claims:batch_detail", batch_pk=batch_pk)


class BatchTransferView(StaffView):
    """The bank-transfer workbook; downloading it marks the batch as sent to the bank."""

    permission_required = "claims.pay"

    def get(self, request: HttpRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(batch_pk)
        try:
            data = services.batch_export(actor=request.user, batch=batch)  # type: ignore[arg-type]
        except PermissionDenied:
            raise Http404(_("No such payment batch in your office's tree.")) from None
        response = HttpResponse(data, content_type=XLSX)
        filename = f"{_('Payment batch')}-{batch.number}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
