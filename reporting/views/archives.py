"""Archives: the register of volumes (filing a year, the register as PDF, each volume's cover
sheet), and the register of documents exchanged with other offices."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.forms import MultipleFileField
from claims.models import DocumentKind
from claims.services.documents import document_check
from mutualaid import dates
from mutualaid.badinput import StrictNumbers
from mutualaid.downloads import attachment, content_disposition, file_name
from mutualaid.forms import DayInput
from mutualaid.listing import CountColumn, DayColumn, ListFilter, ListPage, ListTable
from mutualaid.paperwork import report_signatures
from mutualaid.requests import request_user
from mutualaid.views import StaffView
from reporting import archives
from reporting.models import ArchiveCategory, ArchiveVolume, Correspondence, LetterDirection
from reporting.rectification import encrypted_file_content
from reporting.views.oversight import form_errors, show

DATE = DayInput()
PDF = "application/pdf"


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    data: bytes = HTML(string=render_to_string(template, context), base_url=None).write_pdf()
    return data


class CompileForm(StrictNumbers, forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)


class ArchiveTable(ListTable):
    number = tables.Column(gettext_lazy("Archive number"))
    title = tables.Column(gettext_lazy("Title"))
    year = tables.Column(gettext_lazy("Year"))
    category = tables.Column(gettext_lazy("Category"))
    item_count = CountColumn(gettext_lazy("Items"))
    first_on = DayColumn(gettext_lazy("First day"))
    last_on = DayColumn(gettext_lazy("Last day"))
    keep_years = tables.Column(gettext_lazy("Kept for (years, 0: permanently)"))
    cover = tables.LinkColumn(
        "reporting:archive_cover",
        args=[tables.A("pk")],
        text=gettext_lazy("Cover sheet (PDF)"),
        verbose_name=gettext_lazy("Cover sheet"),
        orderable=False,
        exclude_from_export=True,
        empty_values=(),
    )


class ArchiveFilter(ListFilter):
    year = django_filters.NumberFilter(label=gettext_lazy("Year"))
    category = django_filters.ChoiceFilter(
        choices=ArchiveCategory.choices, label=gettext_lazy("Category"), empty_label=gettext_lazy("All categories")
    )

    class Meta:
        model = ArchiveVolume
        fields: list[str] = []


class ArchiveListView(ListPage):
    """The register of archive volumes in scope (its download is the register as a workbook), and
    filing a year."""

    template_name = "reporting/archive_list.html"
    permission_required = "oversight.view"
    table_class = ArchiveTable
    filter_class = ArchiveFilter
    title = gettext_lazy("Archive register")
    export_name = gettext_lazy("Archive register")

    def queryset(self) -> QuerySet[Any]:
        return archives.archive_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["compile_form"] = CompileForm(initial={"year": dates.business_today().year - 1})
        context["can_file"] = self.request.user.has_perm("archives.manage")
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CompileForm(request.POST)
        try:
            if not form.is_valid():
                raise form_errors(form)
            filed = archives.archive_compile(actor=request_user(request), year=form.cleaned_data["year"])
        except (ValidationError, PermissionDenied) as error:
            show(request, error)
        else:
            messages.success(request, _("%(count)s volumes filed.") % {"count": len(filed)})
        return redirect("reporting:archive_list")


class ArchiveRegisterPdfView(StaffView):
    """The register of a year's volumes as a PDF (`?year=`; this year when left out)."""

    permission_required = "oversight.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = CompileForm(request.GET or {"year": dates.business_today().year})
        if not form.is_valid():
            return HttpResponse(" ".join(form_errors(form).messages), status=400, content_type="text/plain")
        year = form.cleaned_data["year"]
        volumes = list(archives.archive_list().filter(year=year).order_by("org_path", "category", "number"))
        office = request_user(request).org
        context = {
            "year": year,
            "office": office,
            "volumes": volumes,
            "printed": timezone.localdate(),
            "signatures": report_signatures(filled_by=request_user(request)),
        }
        name = file_name(_("Archive register"), office.name if office else "", year, suffix="pdf")
        return attachment(_pdf("reporting/pdf/archive_register.html", context), content_type=PDF, name=name)


class ArchiveCoverView(StaffView):
    """A volume's cover sheet (案卷封面) and the list of what it holds (卷内目录), as a PDF."""

    permission_required = "oversight.view"

    def get(self, request: HttpRequest, volume_pk: int) -> HttpResponse:
        volume = archives.archive_list().filter(pk=volume_pk).first()
        if volume is None:
            raise Http404(_("No such archive volume in your office's tree."))
        name = file_name(_("Archive cover sheet"), volume.number, suffix="pdf")
        return attachment(archives.cover_pdf(volume), content_type=PDF, name=name)


class LetterForm(StrictNumbers, forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), choices=LetterDirection.choices)
    reference = forms.CharField(label=gettext_lazy("Document number"), max_length=60)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    counterpart = forms.CharField(label=gettext_lazy("Sent by / sent to"), max_length=100)
    dated = forms.DateField(label=gettext_lazy("Date"), widget=DATE)
    scans = MultipleFileField(label=gettext_lazy("Scan (PDF, JPG or PNG; optional)"))


class LetterTable(ListTable):
    dated = DayColumn(gettext_lazy("Date"))
    direction = tables.Column(gettext_lazy("Direction"))
    reference = tables.Column(gettext_lazy("Document number"))
    title = tables.Column(gettext_lazy("Title"))
    counterpart = tables.Column(gettext_lazy("Sent by / sent to"))
    office = tables.Column(gettext_lazy("Registered by office"), accessor="org__name")
    scan = tables.Column(gettext_lazy("Scan"), accessor="original_name", orderable=False, exclude_from_export=True)

    def render_scan(self, value: str, record: Correspondence) -> Any:
        from django.urls import reverse
        from django.utils.html import format_html

        url = reverse("reporting:letter_file", kwargs={"letter_pk": record.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, value)


class LetterListView(ListPage):
    """The register of documents exchanged with other offices, and the form that registers one."""

    template_name = "reporting/letter_list.html"
    permission_required = "oversight.view"
    table_class = LetterTable
    title = gettext_lazy("Documents exchanged with other offices")
    export_name = gettext_lazy("Documents exchanged with other offices")

    def queryset(self) -> QuerySet[Any]:
        return archives.letter_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("archives.manage"):
            context["form"] = LetterForm(initial={"dated": dates.business_today()})
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LetterForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise form_errors(form)
            data = form.cleaned_data
            scans = [document_check(kind=DocumentKind.OTHER, upload=upload) for upload in data.pop("scans")]
            letter = archives.letter_register(actor=request_user(request), scans=scans, **data)
        except (ValidationError, PermissionDenied) as error:
            show(request, error)
        else:
            messages.success(request, _("Document %(reference)s registered.") % {"reference": letter.reference})
        return redirect("reporting:letter_list")


class LetterFileView(StaffView):
    permission_required = "oversight.view"

    def get(self, request: HttpRequest, letter_pk: int) -> HttpResponse:
        letter = archives.letter_list().filter(pk=letter_pk).first()
        if letter is None or not letter.file:
            raise Http404(_("No such document in your office's tree."))
        response = HttpResponse(encrypted_file_content(letter), content_type=letter.content_type)
        response["Content-Disposition"] = content_disposition(letter.original_name, inline=True)
        response["X-Content-Type-Options"] = "nosniff"
        return response
