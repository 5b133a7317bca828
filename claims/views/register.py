"""Registering a claim: find the member by full ID number, or start from the member page with the
member chosen; enter the papers. Scans sent with a refused form are kept for the next try
(claims/services/pending.py), the documents the kind of care requires are marked, and every
error is listed above the form as well as at its field."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from claims import selectors
from claims.forms import ClaimForm
from claims.lifecycle import REQUIRED_DOCUMENTS
from claims.models import CareType
from claims.services.documents import Upload, document_check
from claims.services.pending import claim_register_with_pending, pending_uploads_keep
from claims.views._shared import registration_warning
from enrollment.models import Enrollment
from mutualaid import idcheck
from mutualaid.badinput import whole_number
from mutualaid.requests import request_user
from mutualaid.views import StaffView, attach_errors


def _draft(value: str) -> str:
    """The form's draft id as sent back, or a new one: never anything but a UUID."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return str(uuid.uuid4())


def _checked_uploads(form: ClaimForm) -> list[Upload]:
    """Every chosen scan checked by content; a bad one is named at its own field and not kept."""
    checked = []
    for kind, upload in form.uploads():
        try:
            checked.append(document_check(kind=kind, upload=upload))
        except ValidationError as error:
            form.add_error(f"doc_{kind}", error)
    return checked


def _document_fields(form: ClaimForm) -> list[dict[str, Any]]:
    """The scan inputs, each with the kinds of care that require it and whether the kind of care
    now chosen does (the page's script updates the mark when the kind changes)."""
    care = form["care_type"].value() or CareType.INPATIENT
    fields = []
    for field in form:
        if not field.name.startswith("doc_"):
            continue
        kind = field.name.removeprefix("doc_")
        cares = [str(c) for c, kinds in REQUIRED_DOCUMENTS.items() if kind in kinds]
        fields.append({"field": field, "required_for": " ".join(cares), "required": care in cares})
    return fields


class ClaimRegisterView(StaffView):
    template_name = "claims/register.html"
    permission_required = "claims.register"

    @cached_property
    def member(self) -> Enrollment | None:
        """The member chosen on the member page (404 outside the user's tree), or None."""
        pk = self.kwargs.get("enrollment_pk")
        if pk is None:
            return None
        try:
            return Enrollment.objects.select_related("org").get(pk=pk)
        except Enrollment.DoesNotExist:
            raise Http404(_("No such member in your office's tree.")) from None

    def _enrollments(self, id_number: str) -> tuple[list[Enrollment], str]:
        if (member := self.member) is not None:
            return list(selectors.member_enrollments(enrollment=member)), ""
        if not id_number.strip():
            return [], ""
        try:
            found = list(selectors.person_enrollments(id_number=id_number))
        except idcheck.IdError as error:
            return [], str(error)
        if not found:
            return [], _("Nobody with this ID number is enrolled in your office's tree: check the number.")
        return found, ""

    def _page(self, form: ClaimForm, draft: str, **context: Any) -> HttpResponse:
        context.setdefault("chosen_pk", "")  # every variable set: a failed lookup logs the context
        return self.render_to_response(
            self.get_context_data(
                form=form,
                draft=draft,
                member=self.member,
                pending=list(selectors.pending_uploads(actor=request_user(self.request), draft=draft)),
                document_fields=_document_fields(form),
                **context,
            )
        )

    def get(self, request: HttpRequest, enrollment_pk: int | None = None) -> HttpResponse:
        enrollments, problem = self._enrollments("")
        return self._found("", enrollments, problem)

    def _found(self, id_number: str, enrollments: list[Enrollment], problem: str) -> HttpResponse:
        initial = {"payee_name": enrollments[0].name} if enrollments else {}
        form = ClaimForm(initial=initial)
        return self._page(form, _draft(""), id_number=id_number, enrollments=enrollments, problem=problem)

    def post(self, request: HttpRequest, enrollment_pk: int | None = None) -> HttpResponse:
        """The ID number arrives by POST only, both to find the member and to register: in a
        query string it would be kept by server logs and the browser's history."""
        id_number = "" if self.member else request.POST.get("id_number", "")
        enrollments, problem = self._enrollments(id_number)
        if request.POST.get("step") == "find":
            return self._found(id_number, enrollments, problem)
        actor = request_user(request)
        draft = _draft(request.POST.get("draft", ""))
        keep = [n for n in map(whole_number, request.POST.getlist("keep")) if n is not None]
        form = ClaimForm(request.POST, request.FILES)
        valid = form.is_valid()
        uploads = _checked_uploads(form)
        # Kept before anything else is decided, so that no refusal below loses a scan.
        pending_uploads_keep(actor=actor, draft=draft, keep=keep, uploads=uploads)
        chosen = {str(e.pk): e for e in enrollments}.get(request.POST.get("enrollment", ""))
        context: dict[str, Any] = {"id_number": id_number, "enrollments": enrollments, "problem": problem}
        if chosen is None:
            form.add_error(None, _("Choose the enrollment that covers this care."))
            return self._page(form, draft, **context)
        context["chosen_pk"] = chosen.pk
        if not valid or form.errors:
            return self._page(form, draft, **context)
        try:
            claim = claim_register_with_pending(
                actor=actor, draft=draft, enrollment=chosen, figures=form.figures(), payee=form.payee()
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self._page(form, draft, **context)
        messages.success(request, _("Claim %(number)s registered.") % {"number": claim.number})
        if warning := registration_warning(claim, actor):
            messages.warning(request, warning)
        return redirect("claims:claim_detail", claim_pk=claim.pk)
