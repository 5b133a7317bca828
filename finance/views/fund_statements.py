"""The statements an office publishes to its members (公示): drafting, approval by another
person, publication, their PDFs, and the public page of a published one (no login)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from finance.fundpaper import fund_statement_pdf
from finance.models import FundStatement, StatementPeriod, StatementStatus
from finance.selectors.publication import fund_statement_list, fund_statement_published_get
from finance.services.publication import statement_approve, statement_draft, statement_publish
from finance.tables import FundStatementFilter, FundStatementTable
from finance.views.base import books_office, show_error
from mutualaid import dates
from mutualaid.badinput import whole_number
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import ListPage
from mutualaid.requests import request_user
from mutualaid.views import StaffView


def _statement(pk: int) -> FundStatement:
    try:
        return fund_statement_list().get(pk=pk)
    except FundStatement.DoesNotExist:
        raise Http404(_("No such statement in your office's tree.")) from None


class FundStatementListView(ListPage):
    """The statements of the caller's tree (sorted, filtered, paged with the total, downloaded),
    and the form to draft the office's own."""

    template_name = "finance/fund_statement_list.html"
    permission_required = "finance.view"
    table_class = FundStatementTable
    filter_class = FundStatementFilter
    title = gettext_lazy("Fund statements to members")
    export_name = gettext_lazy("Fund statements to members")

    def queryset(self) -> QuerySet[Any]:
        return fund_statement_list().select_related("drafted_by", "approved_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = dates.business_today()
        context.update(periods=StatementPeriod.choices, year=today.year if today.month > 3 else today.year - 1)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        books_office(request)
        try:
            statement = statement_draft(
                actor=request_user(request),
                period=request.POST.get("period", ""),
                year=whole_number(request.POST.get("year"), most=9999) or 0,
                quarter=whole_number(request.POST.get("quarter"), most=9) or 0,
                note=request.POST.get("note", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
            return redirect("finance:fund_statement_list")
        messages.success(request, _("%(statement)s drafted: another person approves it.") % {"statement": statement})
        return redirect("finance:fund_statement_detail", fund_statement_pk=statement.pk)


class FundStatementDetailView(StaffView):
    """A statement with its figures, who drafted and approved it, and its public address."""

    template_name = "finance/fund_statement_detail.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        statement = _statement(self.kwargs["fund_statement_pk"])
        user = request_user(self.request)
        own = user.org_id == statement.org_id
        published = statement.status == StatementStatus.PUBLISHED
        context.update(
            statement=statement,
            figures=statement.figures,
            may_redraft=own and statement.status == StatementStatus.DRAFT and user.has_perm("finance.post"),
            may_approve=own and statement.status == StatementStatus.DRAFT and user.has_perm("finance.publish"),
            may_publish=own and statement.status == StatementStatus.APPROVED and user.has_perm("finance.publish"),
            public_url=self.request.build_absolute_uri(
                reverse("public:fund_statement", kwargs={"token": statement.public_token})
            )
            if published
            else "",
        )
        return context

    def post(self, request: HttpRequest, fund_statement_pk: int) -> HttpResponse:
        statement = _statement(fund_statement_pk)
        action = request.POST.get("action", "")
        user = request_user(request)
        try:
            if action == "approve":
                statement_approve(actor=user, statement=statement)
                messages.success(request, _("Statement approved: publish it when it is to be seen."))
            elif action == "publish":
                statement_publish(actor=user, statement=statement)
                messages.success(request, _("Statement published at its public address."))
            elif action == "redraft":
                statement_draft(
                    actor=user,
                    period=statement.period,
                    year=statement.year,
                    quarter=statement.quarter,
                    note=request.POST.get("note", statement.note),
                )
                messages.success(request, _("Statement drafted again from the books."))
            else:
                raise ValidationError(_("Choose what to do: approve, publish or draft again."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("finance:fund_statement_detail", fund_statement_pk=statement.pk)


def _pdf_name(statement: FundStatement) -> str:
    return file_name(_("Fund statement"), statement.org.name, str(statement), suffix="pdf")


class FundStatementPdfView(StaffView):
    """The statement as PDF, at any stage (a draft is printed for its approver)."""

    permission_required = "finance.view"

    def get(self, request: HttpRequest, fund_statement_pk: int) -> HttpResponse:
        statement = _statement(fund_statement_pk)
        return attachment(
            fund_statement_pdf(statement=statement), content_type="application/pdf", name=_pdf_name(statement)
        )


class FundStatementPublicView(TemplateView):
    """The published statement, for anyone who has its address: no login, nothing else of the
    office, and nothing at all for a statement not (or not yet) published."""

    template_name = "finance/fund_statement_public.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        statement = fund_statement_published_get(token=self.kwargs["token"])
        if statement is None:
            raise Http404(_("No published statement at this address."))
        context.update(statement=statement, figures=statement.figures, public=True)
        return context


class FundStatementPublicPdfView(TemplateView):
    """The published statement's PDF, at its public address."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        statement = fund_statement_published_get(token=kwargs["token"])
        if statement is None:
            raise Http404(_("No published statement at this address."))
        return attachment(
            fund_statement_pdf(statement=statement), content_type="application/pdf", name=_pdf_name(statement)
        )
