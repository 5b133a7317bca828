"""The office's monthly roll-ups (snapshots): submitting one, and, for a province, which cities
have submitted the month."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualaid import dates
from mutualaid.listing import ListPage
from mutualaid.numbers import month_text
from mutualaid.requests import request_office, request_user
from reporting.listing import SnapshotFilter, SnapshotTable
from reporting.models import Snapshot
from reporting.selectors import snapshot_submission_list
from reporting.services import snapshot_consolidate, snapshot_rollup
from reporting.views.base import RefusesFutureMonths, month_asked


class SnapshotListView(RefusesFutureMonths, ListPage):
    """The office's snapshots (to sort, filter and download) and, for a province, which cities
    have submitted the month (`?month=`)."""

    template_name = "reporting/snapshots.html"
    permission_required = "reporting.view"
    table_class = SnapshotTable
    filter_class = SnapshotFilter
    title = gettext_lazy("Monthly roll-ups")
    export_name = gettext_lazy("Monthly roll-ups")

    def queryset(self) -> QuerySet[Snapshot]:
        return Snapshot.objects.select_related("org", "created_by").order_by("-period_start", "org__path", "-revision")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        month = month_asked(self.request, default=dates.last_month())  # a roll-up is of a closed month
        context.update(
            month=month,
            status=snapshot_submission_list(province=office, period=month) if office.parent_id is None else [],
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("reporting.rollup"):
            raise PermissionDenied(_("Your roles do not allow this."))
        month = dates.parse_month(request.POST.get("month", ""))
        try:
            if month is None:
                raise ValidationError(_("Choose the month."))
            office = request_office(request)
            if office.parent_id is None:
                snapshot = snapshot_consolidate(province=office, period=month, actor=request_user(request))
                created = True
            else:
                snapshot, created = snapshot_rollup(
                    office=office,
                    period=month,
                    actor=request_user(request),
                    reason=request.POST.get("reason", ""),
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{request.path}?month={request.POST.get('month', '')}")
        if created:
            messages.success(
                request,
                _("Revision %(revision)s of %(month)s submitted.")
                % {"revision": snapshot.revision, "month": month_text(month)},
            )
        else:
            messages.info(
                request, _("The figures are unchanged: revision %(revision)s stands.") % {"revision": snapshot.revision}
            )
        return redirect(f"{request.path}?month={month:%Y-%m}")
