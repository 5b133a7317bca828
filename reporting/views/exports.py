"""Exports prepared in the background (reporting/jobs.py): the office's list with their progress,
starting one, and fetching its file."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mutualaid import dates
from mutualaid.downloads import content_disposition
from mutualaid.listing import ListPage
from mutualaid.requests import request_office, request_user
from reporting import exports, jobs, rankings
from reporting.listing import ExportFilter, ExportTable
from reporting.models import ExportJob, ExportKind, ExportStatus
from reporting.selectors import export_job_list


def _content_type(name: str) -> str:
    return exports.PDF if name.lower().endswith(".pdf") else exports.XLSX


class ExportListView(ListPage):
    """The office's exports with their progress, to sort, filter and download as a list; POST
    starts one (from here or from the overview and rankings pages, with their parameters)."""

    template_name = "reporting/exports.html"
    permission_required = "reporting.view"
    table_class = ExportTable
    filter_class = ExportFilter
    title = gettext_lazy("Exports")
    export_name = gettext_lazy("Exports")

    def queryset(self) -> QuerySet[ExportJob]:
        return export_job_list(office=request_office(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_user(self.request).org
        context.update(
            running=self.queryset().filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).exists(),
            kinds=ExportKind.choices,
            plans=rankings.ranking_plan_list(node=office) if office else [],
            month=dates.last_month(),
            year=timezone.localdate().year,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        from reporting.tasks import export

        params = {key: request.POST.get(key, "") for key in ("office", "month", "year", "plan", "sort", "unit_type")}
        try:
            job = jobs.export_job_create(actor=request_user(request), kind=request.POST.get("kind", ""), params=params)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reporting:exports")
        user = request_user(request)
        transaction.on_commit(lambda: export.delay(org_id=job.org_id, export_pk=job.pk, actor_id=user.pk))
        messages.success(
            request, _("The export is being prepared. You can leave this page; the file will be listed here.")
        )
        return redirect("reporting:exports")


class ExportProgressView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The job's progress as JSON, or its file with `?download=1` once done. Only the office
    that asked for it sees it."""

    permission_required = "reporting.view"
    raise_exception = True

    def get(self, request: HttpRequest, export_pk: int) -> HttpResponseBase:
        office = request_user(request).org
        job = export_job_list(office=office).filter(pk=export_pk).first() if office else None
        if job is None:
            raise Http404(_("No such export of your office."))
        if request.GET.get("download"):
            if not (job.status == "done" and job.file):
                raise Http404(_("This export is not ready yet."))
            response = FileResponse(job.file.open("rb"), content_type=_content_type(job.filename))
            response["Content-Disposition"] = content_disposition(job.filename or _("Export") + ".xlsx")
            return response
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "done": job.finished,
                "download": f"{reverse('reporting:export', kwargs={'export_pk': job.pk})}?download=1"
                if job.status == "done"
                else None,
            }
        )
