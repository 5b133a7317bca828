"""Oversight of claims: hospital checks recorded on a claim's page, and the re-checks of paid
claims (the sample drawn by the office above, and a finding per sampled claim)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims import selectors
from claims.forms import FindingForm, HospitalCheckForm, RecheckForm
from claims.models import DocumentKind, HospitalCheckDocument, Recheck, RecheckItem
from claims.services.documents import document_check
from claims.services.oversight import hospital_check_record, recheck_draw, recheck_review
from claims.views._shared import show_errors
from claims.views.claim import NOT_FOUND, _claim
from mutualaid.downloads import content_disposition
from mutualaid.listing import CountColumn, DayColumn, ListPage, ListTable, MoneyColumn
from mutualaid.models import Organisation
from mutualaid.requests import request_office
from mutualaid.views import StaffView

RECHECK_NOT_FOUND = gettext_lazy("No such re-check in your office's tree.")


def _form_errors(form: Any) -> ValidationError:
    return ValidationError(
        [f"{form.fields[name].label}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()]
    )


class ClaimHospitalCheckView(StaffView):
    """Record a hospital check on the claim's page."""

    permission_required = "claims.inspect"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = HospitalCheckForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise _form_errors(form)
            data = form.cleaned_data
            scans = [document_check(kind=DocumentKind.OTHER, upload=upload) for upload in data.pop("scans")]
            hospital_check_record(actor=self.request.user, claim=claim, documents=scans, **data)
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Hospital check recorded."))
        return redirect("claims:claim_detail", claim_pk=claim_pk)


class HospitalCheckScanView(StaffView):
    """A scan brought back from a hospital check, decrypted for whoever may see the claim."""

    permission_required = "claims.view"

    def get(self, request: HttpRequest, claim_pk: int, check_document_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        document = HospitalCheckDocument.objects.filter(pk=check_document_pk, hospital_check__claim=claim).first()
        if document is None or not document.file:
            raise Http404(NOT_FOUND)
        response = HttpResponse(selectors.check_document_content(document=document), content_type=document.content_type)
        response["Content-Disposition"] = content_disposition(document.original_name, inline=True)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class RecheckTable(ListTable):
    drawn_at = DayColumn(gettext_lazy("Drawn"))
    target = tables.Column(
        gettext_lazy("Office re-checked"),
        accessor="target__name",
        linkify=("claims:recheck_detail", {"recheck_pk": tables.A("pk")}),
    )
    office = tables.Column(gettext_lazy("Drawn by office"), accessor="drawn_by_office__name")
    paid_from = DayColumn(gettext_lazy("Paid from"))
    paid_to = DayColumn(gettext_lazy("Paid to"))
    claim_count = CountColumn(gettext_lazy("Claims"))
    reviewed = CountColumn(gettext_lazy("Reviewed"))
    overpaid_total = MoneyColumn(gettext_lazy("Overpaid (yuan)"))


def _offices(request: HttpRequest) -> list[tuple[int, str]]:
    return [(office.pk, office.name) for office in selectors.recheck_offices(office=request_office(request))]


class RecheckListView(ListPage):
    """The re-checks of paid claims in scope, and the form that draws a new sample."""

    template_name = "claims/recheck_list.html"
    permission_required = "claims.recheck"
    table_class = RecheckTable
    title = gettext_lazy("Re-checks of paid claims")
    export_name = gettext_lazy("Re-checks of paid claims")

    def queryset(self) -> QuerySet[Any]:
        return selectors.recheck_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RecheckForm(offices=_offices(self.request)))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RecheckForm(request.POST, offices=_offices(request))
        try:
            if not form.is_valid():
                raise _form_errors(form)
            data = form.cleaned_data
            target = Organisation.objects.get(pk=data.pop("target"))
            recheck = recheck_draw(actor=self.request.user, target=target, **data)
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
            return redirect("claims:recheck_list")
        messages.success(
            request,
            _("Sample drawn: %(count)s claims of %(office)s (seed %(seed)s).")
            % {"count": recheck.items.count(), "office": recheck.target.name, "seed": recheck.seed},
        )
        return redirect("claims:recheck_detail", recheck_pk=recheck.pk)


def _recheck(pk: int) -> Recheck:
    try:
        found: Recheck = selectors.recheck_list().get(pk=pk)
    except Recheck.DoesNotExist:
        raise Http404(RECHECK_NOT_FOUND) from None
    return found


class RecheckDetailView(StaffView):
    template_name = "claims/recheck_detail.html"
    permission_required = "claims.recheck"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        recheck = _recheck(self.kwargs["recheck_pk"])
        items = list(selectors.recheck_items(recheck=recheck))
        for item in items:
            item.form = FindingForm(auto_id=f"finding{item.pk}_%s")  # type: ignore[attr-defined]
        office = request_office(self.request)
        may_record = not office.path.startswith(recheck.target.path)
        context.update(recheck=recheck, items=items, may_record=may_record)
        return context


class RecheckFindingView(StaffView):
    """Record the finding on one sampled claim."""

    permission_required = "claims.recheck"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, recheck_pk: int, claim_pk: int) -> HttpResponse:
        recheck = _recheck(recheck_pk)
        item = RecheckItem.objects.filter(recheck=recheck, claim_id=claim_pk).select_related("claim").first()
        if item is None:
            raise Http404(NOT_FOUND)
        form = FindingForm(request.POST)
        try:
            if not form.is_valid():
                raise _form_errors(form)
            data = form.cleaned_data
            item = recheck_review(
                actor=self.request.user,
                item=item,
                finding=data["finding"],
                overpaid=data["overpaid"] or Decimal(0),
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        else:
            messages.success(
                request,
                _("Claim %(number)s: %(finding)s.")
                % {"number": item.claim.number, "finding": item.get_finding_display()},
            )
        return redirect("claims:recheck_detail", recheck_pk=recheck_pk)
