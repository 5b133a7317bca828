"""The office head's workbook of the units of their tree: export, and import after a dry run.

The file checked by the dry run waits in the session (never named by the form, so nobody can
confirm another person's file) until the head confirms it or checks another one; confirming runs
the whole import again, so a change made by someone else in between is checked too.
"""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mutualaid import dates
from mutualaid.badinput import StrictNumbers
from mutualaid.downloads import attachment, file_name
from mutualaid.requests import request_user
from mutualaid.resources import MAX_FILE_MB, MAX_ROWS, UnitImport, unit_export, unit_import
from mutualaid.spreadsheets.read import SpreadsheetError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKED_FILE = "unit_import_file"


class UnitImportForm(StrictNumbers, forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook of units (xlsx)"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: split the list into several files.") % {"mb": MAX_FILE_MB}
            )
        return bytes(upload.read())


class UnitExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "org.manage"
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        name = file_name(_("Employer units"), f"{dates.business_today():%Y-%m-%d}", suffix="xlsx")
        return attachment(unit_export(actor=request_user(request)), content_type=XLSX, name=name)


class UnitImportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """GET: the form. POST with a file: the dry run. POST "confirm": the import of the file the
    dry run checked, all rows or none."""

    permission_required = "org.manage"
    raise_exception = True
    template_name = "mutualaid/unit_import.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, UnitImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "confirm" in request.POST:
            return self._confirm(request)
        form = UnitImportForm(request.POST, request.FILES)
        request.session.pop(CHECKED_FILE, None)
        if not form.is_valid():
            return self._page(request, form)
        data = form.cleaned_data["file"]
        try:
            report = unit_import(actor=request_user(request), data=data, dry_run=True)
        except SpreadsheetError as error:
            form.add_error("file", error.message)
            return self._page(request, form)
        if report.ok and report.counts["new"] + report.counts["update"]:
            request.session[CHECKED_FILE] = base64.b64encode(data).decode("ascii")
        return self._page(request, UnitImportForm(), report=report)

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        encoded = request.session.pop(CHECKED_FILE, None)
        if encoded is None:
            messages.error(request, _("Check the file first: upload it, read the outcome of each row, then import."))
            return redirect("unit_import")
        report = unit_import(actor=request_user(request), data=base64.b64decode(encoded), dry_run=False)
        if not report.written:
            return self._page(request, UnitImportForm(), report=report)
        messages.success(
            request,
            _("Units imported: %(new)s new, %(changed)s changed.")
            % {"new": report.counts["new"], "changed": report.counts["update"]},
        )
        return redirect("org_tree")

    def _page(self, request: HttpRequest, form: UnitImportForm, report: UnitImport | None = None) -> HttpResponse:
        context: dict[str, Any] = {
            "form": form,
            "report": report,
            "max_rows": MAX_ROWS,
            "can_confirm": CHECKED_FILE in request.session,
        }
        return render(request, self.template_name, context)
