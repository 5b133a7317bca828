"""Bank reconciliation: importing a statement, and matching its lines with the books."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance import bankstatement
from finance.models import BankLine, BankStatement, JournalLine
from finance.selectors import bank
from finance.services import reconciliation
from finance.tables import BankStatementFilter, BankStatementTable
from finance.views.base import books_office, show_error
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.listing import ListPage
from mutualaid.requests import request_user
from mutualaid.views import StaffView, attach_errors


class StatementForm(StrictNumbers, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bank statement (xlsx or csv)"),
        help_text=gettext_lazy(
            "The statement of the dedicated account as online banking exports it, with its header row: "
            "date, money in and money out (or one signed amount), counterparty, description, reference."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > bankstatement.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: export the statement for a shorter period.")
                % {"mb": bankstatement.MAX_BYTES // (1024 * 1024)}
            )
        return upload


class BankListView(ListPage):
    """Import a statement; the imported statements to sort, filter and download; what is in the
    bank but not in the books, and the other way round."""

    template_name = "finance/bank_list.html"
    permission_required = "finance.view"
    table_class = BankStatementTable
    filter_class = BankStatementFilter
    title = gettext_lazy("Bank reconciliation")
    export_name = gettext_lazy("Bank statements")

    def queryset(self) -> QuerySet[BankStatement]:
        return bank.statement_list(office=books_office(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = books_office(self.request)
        context.setdefault("form", StatementForm())
        context.update(
            office=office,
            statements=self.queryset().exists(),
            reconciliation=bank.reconciliation_get(office=office),
            list_limit=bank.LIST_LIMIT,
            may_import=self.request.user.has_perm("finance.post"),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        books_office(request)
        if request.POST.get("action") == "rematch":
            try:
                count = reconciliation.bank_lines_rematch(actor=request_user(request))
            except (ValidationError, PermissionDenied) as error:
                show_error(request, error)
            else:
                messages.success(request, _("%(count)s more lines matched.") % {"count": count})
            return redirect("finance:bank_list")
        form = StatementForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        try:
            statement = reconciliation.statement_import(
                actor=request_user(request),
                data=upload.read(),
                filename=upload.name,
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:bank_list")
        matched = statement.lines.filter(matched__isnull=False).count()
        messages.success(
            request,
            _("Statement “%(name)s” imported: %(lines)s lines, %(matched)s of them matched with the books.")
            % {"name": statement.original_name, "lines": statement.line_count, "matched": matched},
        )
        return redirect("finance:bank_detail", statement_pk=statement.pk)


def _closest_to(line: BankLine) -> Callable[[JournalLine], tuple[int, int]]:
    """Ledger lines closest in date to the bank line first, then the oldest."""
    return lambda ledger: (abs((ledger.posted_on - line.booked_on).days), ledger.pk)


class BankDetailView(StaffView):
    """A statement's lines with the ledger entry each is matched to, or a choice to match it."""

    template_name = "finance/bank_detail.html"
    permission_required = "finance.view"

    def _statement(self) -> BankStatement:
        try:
            return BankStatement.objects.select_related("org", "imported_by").get(pk=self.kwargs["statement_pk"])
        except BankStatement.DoesNotExist:
            raise Http404(_("No such bank statement in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        statement = self._statement()
        user = request_user(self.request)
        lines = list(bank.statement_line_list(statement=statement))
        may_match = user.has_perm("finance.post") and statement.org_id == user.org_id
        choices = (
            bank.ledger_line_unmatched_by_amount(
                office=statement.org, amounts={line.amount for line in lines if line.matched_id is None}
            )
            if may_match
            else {}
        )
        rows = [
            (
                line,
                sorted(choices.get(line.amount, []), key=_closest_to(line)),
            )
            for line in lines
        ]
        context.update(
            statement=statement,
            rows=rows,
            matched_count=sum(1 for line in lines if line.matched_id is not None),
            may_match=may_match,
        )
        return context

    def post(self, request: HttpRequest, statement_pk: int) -> HttpResponse:
        statement = self._statement()
        try:
            bank_line = BankLine.objects.get(statement=statement, pk=whole_number(request.POST.get("bank_line")) or 0)
        except BankLine.DoesNotExist:
            raise Http404(_("No such line in this statement.")) from None
        try:
            if request.POST.get("action") == "unmatch":
                reconciliation.bank_line_unmatch(actor=request_user(request), bank_line=bank_line)
                messages.success(request, _("Row %(row)s is unmatched.") % {"row": bank_line.row_number})
            else:
                ledger_line = self._ledger_line(request.POST.get("ledger_line", ""))
                reconciliation.bank_line_match(
                    actor=request_user(request),
                    bank_line=bank_line,
                    ledger_line=ledger_line,
                )
                messages.success(
                    request,
                    _("Row %(row)s is matched with entry %(number)s.")
                    % {"row": bank_line.row_number, "number": ledger_line.entry.number},
                )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("finance:bank_detail", statement_pk=statement.pk)

    @staticmethod
    def _ledger_line(value: str) -> JournalLine:
        if (pk := whole_number(value)) is None:
            raise ValidationError(_("Choose the entry in the books to match the line with."))
        try:
            return JournalLine.objects.select_related("entry").get(pk=pk)
        except JournalLine.DoesNotExist:
            raise ValidationError(_("Choose the entry in the books to match the line with.")) from None
