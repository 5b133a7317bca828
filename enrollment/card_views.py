"""Card printing: start a background job for the office's tree, one unit, only the members new
since the last print, or one endorsement (or a large policy's member list, from its page);
follow it while it runs; download one PDF."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from enrollment import selectors
from enrollment.models import CardPrintJob, Endorsement, JobStatus, PrintedDocument
from enrollment.services import cards
from enrollment.tables import CardJobFilter, CardJobTable
from enrollment.tasks import print_cards
from mutualaid.badinput import whole_number
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import ListPage
from mutualaid.models import Organisation, OrgKind
from mutualaid.requests import request_office, request_user

RUNNING = {JobStatus.QUEUED, JobStatus.RUNNING}
# The most units the page's select lists; past it the page says where a unit's cards are printed.
UNITS_LISTED = 2_000


def _job_state(job: CardPrintJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "done": job.status in {JobStatus.DONE, JobStatus.FAILED},
        "cards": job.card_count,
    }


class CardJobView(ListPage):
    """The jobs of the office's tree to sort, filter and download; POST starts one (or answers
    with the same one still running)."""

    template_name = "enrollment/card_jobs.html"
    permission_required = "enrollment.view"
    table_class = CardJobTable
    filter_class = CardJobFilter
    title = gettext_lazy("Card printing")
    export_name = gettext_lazy("Card print jobs")

    def queryset(self) -> QuerySet[CardPrintJob]:
        return selectors.card_job_rows()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        org = self.request.user.org
        # One past the most a select lists: a province's ten thousand units are not a list to scroll.
        units = list(Organisation.objects.filter(kind=OrgKind.UNIT).order_by("path")[: UNITS_LISTED + 1])
        endorsement = self._endorsement(self.request.GET.get("endorsement"))
        context.update(
            periods=selectors.period_list_held(org=org) if org else [],
            units=units[:UNITS_LISTED],
            units_beyond=len(units) > UNITS_LISTED,
            busy=self.queryset().filter(status__in=RUNNING).exists(),
            endorsement=endorsement,
            chosen=self.request.POST if self.request.method == "POST" else {},
        )
        return context

    @staticmethod
    def _endorsement(raw: object) -> Endorsement | None:
        if not raw:
            return None
        pk = whole_number(raw)
        found = Endorsement.objects.select_related("policy__org").filter(pk=pk).first() if pk else None
        if found is None:
            raise Http404(_("No such endorsement in your office's tree."))
        return found

    def _refused(self, request: HttpRequest, message: str, status: int) -> HttpResponse:
        messages.error(request, message)
        return self.render_to_response(self.get_context_data(), status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        periods = {p.pk: p for p in selectors.period_list_held(org=request_office(request))}
        period = periods.get(whole_number(request.POST.get("period", "")) or 0)
        if period is None:
            return self._refused(request, _("Choose a plan period."), 400)
        unit = None
        if raw_unit := request.POST.get("unit", ""):
            unit = Organisation.objects.filter(pk=whole_number(raw_unit) or 0, kind=OrgKind.UNIT).first()
            if unit is None:
                return self._refused(request, _("Choose a unit of your office's tree."), 400)
        try:
            job, created = cards.card_job_request(
                actor=user,
                period=period,
                unit=unit,
                endorsement=self._endorsement(request.POST.get("endorsement")),
                only_new=request.POST.get("only_new") == "1",
                document=request.POST.get("document") or PrintedDocument.CARDS,
            )
        except ValidationError as error:
            return self._refused(request, " ".join(error.messages), 400)
        except PermissionDenied as error:
            return self._refused(request, str(error) or _("Your roles do not allow this."), 403)
        if created:
            transaction.on_commit(lambda: print_cards.delay(org_id=user.org_id, job_id=job.pk, actor_id=user.pk))
            messages.success(request, _("Printing started. You can leave this page; the file will be listed here."))
        else:
            messages.info(request, _("This is being printed already: follow that job below."))
        return redirect("enrollment:card_jobs")


class CardJobProgressView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A job's state as JSON (for the page's polling), or its PDF with `?download=1`."""

    permission_required = "enrollment.view"
    raise_exception = True

    def get(self, request: HttpRequest, job_pk: int) -> HttpResponse:
        job = CardPrintJob.objects.filter(pk=job_pk).first()
        if job is None:
            raise Http404(_("No such print job in your office's tree."))
        if request.GET.get("download") and job.file:
            data = cards.card_job_file_read(job=job)
            return attachment(data, content_type="application/pdf", name=_download_name(job))
        return JsonResponse(_job_state(job))


def _download_name(job: CardPrintJob) -> str:
    if job.document == PrintedDocument.MEMBER_LIST:
        policy = cards.card_job_policy(job)
        return file_name(_("member list"), policy.number if policy else job.pk, suffix="pdf")
    return file_name(_("member cards"), job.pk, suffix="pdf")
