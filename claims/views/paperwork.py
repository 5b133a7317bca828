"""A claim's printed forms: the approval form (理赔审批表) and the payout notice (赔付通知书).
Whoever may see the claim may print them (the claim is read in the caller's scope: another
office's claim is a 404)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from claims.paperwork import claim_approval_form_pdf, claim_notice_pdf, notice_refusal
from claims.views.claim import ClaimDetailView, _claim
from mutualaid.downloads import attachment, file_name
from mutualaid.views import StaffView

PDF = "application/pdf"


def pdf_download(data: bytes, filename: str) -> HttpResponse:
    return attachment(data, content_type=PDF, name=filename)


class ClaimApprovalFormView(StaffView):
    permission_required = "claims.view"

    def get(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        return pdf_download(
            claim_approval_form_pdf(claim=claim), file_name(_("Claim approval form"), claim.number, suffix="pdf")
        )


class ClaimNoticeView(ClaimDetailView):
    """The payout notice once the claim is approved; before, the claim page answers (409) with why."""

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        claim = _claim(self.kwargs["claim_pk"])
        if refusal := notice_refusal(claim):
            messages.error(request, refusal)
            return self.render_to_response(self.get_context_data(), status=409)
        return pdf_download(
            claim_notice_pdf(claim=claim), file_name(_("Payout notice"), claim.number, claim.name, suffix="pdf")
        )
