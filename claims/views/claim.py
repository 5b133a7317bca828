"""Claims: the list, registration, a claim's page and what is done on it (review, documents,
callback, amendment), and the list of claims with risk flags."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from claims import selectors
from claims.forms import CallbackForm, DocumentsForm, FiguresForm, HospitalCheckForm
from claims.lifecycle import OPEN_STATUSES
from claims.listing import ClaimFilter, ClaimTable, RiskFilter, RiskTable
from claims.models import CareType, Claim, ClaimDocument, ClaimStatus, DocumentKind
from claims.paperwork import notice_refusal
from claims.services.callback import claim_callback
from claims.services.documents import Upload, claim_add_documents, document_check
from claims.services.registration import claim_amend
from claims.services.review import claim_review
from claims.views._shared import show_errors
from mutualaid.audit import audit_disclosure
from mutualaid.badinput import whole_number
from mutualaid.downloads import content_disposition
from mutualaid.listing import ListPage
from mutualaid.panels import render_panels
from mutualaid.requests import request_user
from mutualaid.reveal import confirmation_needed
from mutualaid.views import StaffView, attach_errors

NOT_FOUND = _("No such claim in your office's tree.")


def _claim(pk: int) -> Claim:
    try:
        return selectors.claim_get(pk=pk)
    except Claim.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def _uploads(form: DocumentsForm) -> list[Upload]:
    """Every chosen file checked (type by content, size); the first bad one is refused by name."""
    return [document_check(kind=kind, upload=upload) for kind, upload in form.uploads()]


class ClaimListView(ListPage):
    """Claims in scope: every claim, those waiting for the reader (`?queue=mine`) or past their
    target date (`?queue=overdue`), filtered, sorted, searched by number, name or full ID number."""

    template_name = "claims/claim_list.html"
    permission_required = "claims.view"
    table_class = ClaimTable
    filter_class = ClaimFilter
    title = gettext_lazy("Claims")
    export_name = gettext_lazy("Claims")
    search_label = gettext_lazy("Claim number, full name or full ID number")

    def queryset(self) -> QuerySet[Claim]:
        return selectors.claim_list(queue=self._queue(), actor=self.request.user)

    def searched(self, rows: QuerySet[Any], text: str) -> QuerySet[Any]:
        return selectors.claim_search(rows, search=text)

    def _queue(self) -> str:
        queue = self.request.GET.get("queue", "")
        return queue if queue in {"mine", "overdue"} else ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {**context, "queue": self._queue(), "has_queue": selectors.claim_queue_applies(actor=self.request.user)}


class ClaimDetailView(StaffView):
    template_name = "claims/claim_detail.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim = _claim(self.kwargs["claim_pk"])
        access = selectors.claim_review_access(claim=claim, actor=self.request.user)
        context.update(
            claim=claim,
            diagnosis=selectors.claim_diagnosis(claim=claim),
            documents=list(claim.documents.select_related("uploaded_by")),
            steps=list(claim.steps.select_related("actor")),
            invoices=list(claim.invoices.values_list("number", flat=True)),
            missing=[DocumentKind(kind).label for kind in selectors.claim_missing_documents(claim=claim)],
            can_review=access.can_review,
            level_label=access.level.label if access.level else "",
            acted_elsewhere=access.acted_elsewhere,
            open=claim.status in OPEN_STATUSES,
            # Correcting the figures and adding documents are for whoever registers claims or
            # reviews this one now (the services refuse anyone else): not offered to an auditor.
            may_change=claim.status in OPEN_STATUSES
            and (self.request.user.has_perm("claims.register") or access.can_review),
            documents_form=DocumentsForm(),
            callback_form=CallbackForm(),
            care_types=dict(CareType.choices),
            handoff=selectors.claim_handoff(claim=claim, actor=request_user(self.request)),
            notice_refusal=notice_refusal(claim),
            hospital_checks=selectors.claim_hospital_checks(claim=claim),
            check_form=HospitalCheckForm(auto_id="check_%s"),
            rechecks=selectors.claim_recheck_items(claim=claim),
            panels=render_panels("claims.claim", self.request, claim),
        )
        return context


class ClaimReviewView(StaffView):
    permission_required = "claims.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        level_status = claim.status
        version = request.POST.get("version", "")
        try:
            if (number := whole_number(version)) is None:
                raise ValidationError(_("Reload the page and try again."))
            claim = claim_review(
                actor=self.request.user,
                claim=claim,
                version=number,
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
            return redirect("claims:claim_detail", claim_pk=claim_pk)
        done = _("Claim %(number)s: %(status)s.") % {"number": claim.number, "status": claim.get_status_display()}
        return _next_after_review(request, done=done, level_status=level_status, claim=claim)


def _next_after_review(request: HttpRequest, *, done: str, level_status: str, claim: Claim) -> HttpResponse:
    """The reviewer goes on to the next claim waiting for them at the same level, or to their
    queue when none is left, with what was done and where they are now."""
    following = selectors.claim_next_to_review(actor=request_user(request), status=level_status, after=claim)
    if following is None:
        messages.success(request, done + " " + _("No other claim waits for you at this level: here is your queue."))
        return redirect(reverse("claims:claim_list") + "?queue=mine")
    messages.success(
        request,
        done
        + " "
        + _("Next claim waiting for you at this level: %(number)s (%(name)s).")
        % {"number": following.number, "name": following.name},
    )
    return redirect("claims:claim_detail", claim_pk=following.pk)


class ClaimDocumentsView(StaffView):
    permission_required = "claims.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = DocumentsForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise ValidationError(_("Choose PDF, JPG or PNG files."))
            before = claim.status
            claim = claim_add_documents(actor=self.request.user, claim=claim, documents=_uploads(form))
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Documents added."))
            if _sent_back(before, claim.status):
                messages.warning(request, _("It had passed a review: it goes back to the first level."))
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
            claim_callback(actor=self.request.user, claim=claim, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Callback recorded."))
        return redirect("claims:claim_detail", claim_pk=claim_pk)


# Copies whose very content is a full number: given as a revealed ID number is (mutualaid/reveal.py).
# The audit page names them as stored here, in the reader's language.
FULL_NUMBER_COPIES = {
    DocumentKind.ID_CARD.value: (gettext_noop("ID card copy of claim"), "id_number"),
    DocumentKind.BANK_CARD.value: (gettext_noop("Bank card copy of claim"), "account"),
}


class ClaimDocumentView(StaffView):
    """A scanned document, decrypted for someone who may see the claim; an ID card or bank card
    copy only after a fresh confirmation of the password, and recorded in the audit trail."""

    permission_required = "claims.view"

    def get(self, request: HttpRequest, claim_pk: int, document_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        try:
            document = ClaimDocument.objects.get(pk=document_pk, claim=claim)
        except ClaimDocument.DoesNotExist:
            raise Http404(NOT_FOUND) from None
        if not document.file:  # deleted when its retention period ended
            raise Http404(NOT_FOUND)
        copy = FULL_NUMBER_COPIES.get(document.kind)
        if copy is not None:
            back_to = reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})
            if (confirm := confirmation_needed(request, back_to=back_to)) is not None:
                return confirm
        response = HttpResponse(selectors.document_content(document=document), content_type=document.content_type)
        if copy is not None:
            audit_disclosure(
                actor=request_user(request),
                record=document,
                document=copy[0],
                label=claim.number,
                people=1,
                numbers=[copy[1]],
            )
        response["Content-Disposition"] = content_disposition(document.original_name, inline=True)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ClaimAmendView(StaffView):
    template_name = "claims/amend.html"
    permission_required = "claims.view"

    def _initial(self, claim: Claim) -> dict[str, Any]:
        fields = [name for name in FiguresForm.base_fields if name not in ("invoices", "diagnosis")]
        initial = {name: getattr(claim, name) for name in fields}
        initial["invoices"] = "\n".join(claim.invoices.values_list("number", flat=True))
        initial["diagnosis"] = selectors.claim_diagnosis(claim=claim)
        return initial

    def get(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = FiguresForm(initial=self._initial(claim))
        return self.render_to_response(self.get_context_data(claim=claim, form=form))

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        form = FiguresForm(request.POST)
        version = whole_number(request.POST.get("version", ""))
        if form.is_valid():
            try:
                before = claim.status
                amended = claim_amend(
                    actor=self.request.user,
                    claim=claim,
                    version=-1 if version is None else version,
                    figures=form.figures(),
                    note=request.POST.get("note", ""),
                )
            except ValidationError as error:
                attach_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Figures changed; the payout was computed again."))
                if _sent_back(before, amended.status):
                    messages.warning(request, _("It had passed a review: it goes back to the first level."))
                return redirect("claims:claim_detail", claim_pk=claim.pk)
        return self.render_to_response(self.get_context_data(claim=claim, form=form))


class RiskView(ListPage):
    """Open claims with an abnormal-claim sign, blocking or a warning, to sort and filter."""

    template_name = "claims/risk.html"
    permission_required = "claims.view"
    table_class = RiskTable
    filter_class = RiskFilter
    title = gettext_lazy("Risk flags")
    export_name = gettext_lazy("Risk flags")

    def queryset(self) -> QuerySet[Claim]:
        return selectors.risk_list()


def _sent_back(before: str, after: str) -> bool:
    """A change after a pass sent the claim from a later level back to the first."""
    return before != after and after == ClaimStatus.FIRST_REVIEW
