"""The ledger of audit findings and their rectification, a finding's page with its evidence, and
the pack for an audit of a leader leaving office."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.forms import MultipleFileField
from claims.models import DocumentKind
from claims.services.documents import document_check
from finance.rules import MONEY_OFFICES
from mutualaid import dates
from mutualaid.badinput import StrictNumbers
from mutualaid.downloads import attachment, content_disposition, file_name
from mutualaid.forms import DayInput
from mutualaid.listing import DayColumn, ListFilter, ListPage, ListTable, StatusColumn
from mutualaid.models import Organisation, User
from mutualaid.requests import request_user
from mutualaid.views import StaffView
from reporting import rectification
from reporting.leaving_audit import default_term, leaving_audit_pdf
from reporting.models import AuditFinding, FindingEvidence, FindingSource, FindingStatus

DATE = DayInput()


def form_errors(form: forms.Form) -> ValidationError:
    return ValidationError(
        [
            f"{form.fields[name].label if name in form.fields else ''}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        ]
    )


def show(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))


def _offices() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=MONEY_OFFICES, is_active=True).order_by("path")


class FindingForm(StrictNumbers, forms.Form):
    office: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=gettext_lazy("Office concerned"), queryset=Organisation.objects.none()
    )
    source = forms.ChoiceField(label=gettext_lazy("Found by"), choices=FindingSource.choices)
    title = forms.CharField(label=gettext_lazy("Finding"), max_length=200)
    detail = forms.CharField(
        label=gettext_lazy("Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=gettext_lazy("Responsible person"), queryset=User.objects.none(), required=False
    )
    deadline = forms.DateField(label=gettext_lazy("Rectify by"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = _offices()  # type: ignore[attr-defined]
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, org__kind__in=MONEY_OFFICES).select_related("org").order_by("org_path")
        )


class RectifyForm(StrictNumbers, forms.Form):
    rectification = forms.CharField(
        label=gettext_lazy("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = MultipleFileField(label=gettext_lazy("Evidence (PDF, JPG or PNG)"))


class VerifyForm(StrictNumbers, forms.Form):
    note = forms.CharField(label=gettext_lazy("Note (required to send it back)"), max_length=500, required=False)


class FindingTable(ListTable):
    title = tables.Column(gettext_lazy("Finding"), linkify=("reporting:finding_detail", {"finding_pk": tables.A("pk")}))
    office = tables.Column(gettext_lazy("Office"), accessor="org__name")
    source = tables.Column(gettext_lazy("Found by"))
    owner = tables.Column(gettext_lazy("Responsible person"), accessor="owner", order_by=("owner__username",))
    deadline = DayColumn(gettext_lazy("Rectify by"))
    status = StatusColumn(gettext_lazy("Status"))


def _state(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    today = dates.business_today()
    if value == "overdue":
        return queryset.filter(status=FindingStatus.OPEN, deadline__lt=today)
    if value in FindingStatus.values:
        return queryset.filter(status=value)
    return queryset


class FindingFilter(ListFilter):
    state = django_filters.ChoiceFilter(
        choices=[("overdue", gettext_lazy("Past the deadline")), *FindingStatus.choices],
        method=_state,
        label=gettext_lazy("Status"),
        empty_label=gettext_lazy("All statuses"),
    )

    class Meta:
        model = AuditFinding
        fields: list[str] = []


class FindingListView(ListPage):
    """The rectification ledger in scope (`?state=overdue|open|rectified|closed`, `?state=mine`:
    those the reader must rectify), and the form that records a finding."""

    template_name = "reporting/finding_list.html"
    permission_required = "oversight.view"
    table_class = FindingTable
    filter_class = FindingFilter
    title = gettext_lazy("Audit findings and rectification")
    export_name = gettext_lazy("Audit findings and rectification")

    def queryset(self) -> QuerySet[Any]:
        rows = rectification.finding_list()
        if self.request.GET.get("state") == "mine":
            rows = rows.filter(Q(owner=request_user(self.request)) & Q(status=FindingStatus.OPEN))
        return rows

    def filtered(self) -> tuple[QuerySet[Any], ListFilter | None]:
        if self.request.GET.get("state") == "mine":
            return self.queryset(), None
        return super().filtered()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("oversight.record"):
            context["form"] = FindingForm(initial={"office": request_user(self.request).org_id})
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FindingForm(request.POST)
        try:
            if not form.is_valid():
                raise form_errors(form)
            finding = rectification.finding_record(actor=request_user(request), **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show(request, error)
            return redirect("reporting:finding_list")
        messages.success(request, _("Finding recorded: %(title)s.") % {"title": finding.title})
        return redirect("reporting:finding_detail", finding_pk=finding.pk)


def _finding(pk: int) -> AuditFinding:
    try:
        found: AuditFinding = rectification.finding_list().get(pk=pk)
    except AuditFinding.DoesNotExist:
        raise Http404(_("No such finding in your office's tree.")) from None
    return found


class FindingDetailView(StaffView):
    template_name = "reporting/finding_detail.html"
    permission_required = "oversight.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        finding = _finding(self.kwargs["finding_pk"])
        user = request_user(self.request)
        context.update(
            finding=finding,
            evidence=list(finding.evidence.select_related("uploaded_by")),
            overdue=finding.status == FindingStatus.OPEN and finding.deadline < dates.business_today(),
            may_rectify=finding.status == FindingStatus.OPEN
            and (user.pk == finding.owner_id or user.has_perm("oversight.record")),
            may_verify=finding.status == FindingStatus.RECTIFIED
            and user.has_perm("oversight.record")
            and user.pk != finding.owner_id,
            rectify_form=RectifyForm(),
            verify_form=VerifyForm(),
        )
        return context

    def post(self, request: HttpRequest, finding_pk: int) -> HttpResponse:
        finding = _finding(finding_pk)
        action = request.POST.get("action", "")
        user = request_user(request)
        try:
            if action == "rectify":
                form: forms.Form = RectifyForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise form_errors(form)
                evidence = [document_check(kind=DocumentKind.OTHER, upload=f) for f in form.cleaned_data["evidence"]]
                rectification.finding_rectify(
                    actor=user, finding=finding, rectification=form.cleaned_data["rectification"], evidence=evidence
                )
            elif action in {"accept", "send_back"}:
                form = VerifyForm(request.POST)
                if not form.is_valid():
                    raise form_errors(form)
                rectification.finding_verify(
                    actor=user, finding=finding, accept=action == "accept", note=form.cleaned_data["note"]
                )
            else:
                raise ValidationError(_("Reload the page and try again."))
        except (ValidationError, PermissionDenied) as error:
            show(request, error)
        else:
            messages.success(request, _("Finding updated."))
        return redirect("reporting:finding_detail", finding_pk=finding_pk)


class FindingEvidenceView(StaffView):
    """A file of a finding's evidence, decrypted for whoever may see the finding."""

    permission_required = "oversight.view"

    def get(self, request: HttpRequest, finding_pk: int, evidence_pk: int) -> HttpResponse:
        finding = _finding(finding_pk)
        evidence = FindingEvidence.objects.filter(pk=evidence_pk, finding=finding).first()
        if evidence is None or not evidence.file:
            raise Http404(_("No such finding in your office's tree."))
        response = HttpResponse(rectification.encrypted_file_content(evidence), content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition(evidence.original_name, inline=True)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class LeavingAuditForm(StrictNumbers, forms.Form):
    office: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=gettext_lazy("Office"), queryset=Organisation.objects.none()
    )
    leader = forms.CharField(label=gettext_lazy("Leader leaving office"), max_length=60)
    start = forms.DateField(label=gettext_lazy("Term from"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("Term to"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = _offices()  # type: ignore[attr-defined]


class LeavingAuditView(StaffView):
    """The form, and with its fields filled (`?office=&leader=&start=&end=`), the pack as a PDF."""

    template_name = "reporting/leaving_audit.html"
    permission_required = "oversight.view"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "office" not in request.GET:
            start, end = default_term(dates.business_today())
            form = LeavingAuditForm(initial={"office": request_user(request).org_id, "start": start, "end": end})
            return self.render_to_response(self.get_context_data(form=form))
        form = LeavingAuditForm(request.GET)
        try:
            if not form.is_valid():
                raise form_errors(form)
            data = form.cleaned_data
            pdf = leaving_audit_pdf(actor=request_user(request), **data)
        except ValidationError as error:
            response = self.render_to_response(self.get_context_data(form=form, errors=error.messages))
            response.status_code = 400
            return response
        name = file_name(_("Leaving audit pack"), data["office"].name, data["leader"], suffix="pdf")
        return attachment(pdf, content_type="application/pdf", name=name)
