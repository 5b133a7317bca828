"""An office's books for a plan and a month, and one entry with its reversal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from finance.models import JournalEntry
from finance.rules import money_text
from finance.selectors import books
from finance.services.ledger import entry_reverse
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView


class BooksView(StaffView):
    """An office's books for a plan and a month: balances by account and the month's entries."""

    template_name = "finance/books.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        own = request_office(self.request)
        params = self.request.GET
        offices = list(books.book_office_list(root=own))
        chosen = params.get("office", "")
        office = next((o for o in offices if str(o.pk) == chosen), None) or (
            own if own in offices else (offices[0] if offices else None)
        )
        if office is None:
            raise Http404(_("Your office keeps no books."))
        plans = books.book_plan_list(office=office)
        plan = next((p for p in plans if str(p.pk) == params.get("plan", "")), None)
        month = dates.parse_month(params.get("month", "")) or dates.month_start(dates.business_today())
        debits, credits = books.trial_balance_get(office=office)
        rows = books.account_balance_list(office=office, plan=plan, month=month)
        context.update(
            overdrawn=[(row.label, money_text(row.closing)) for row in rows if row.overdrawn],
            offices=offices,
            office=office,
            plans=plans,
            plan=plan,
            month=month,
            rows=rows,
            entries=books.entry_list(office=office, plan=plan, month=month),
            debits=debits,
            credits=credits,
        )
        return context


class EntryView(StaffView):
    template_name = "finance/entry.html"
    permission_required = "finance.view"

    def _entry(self) -> JournalEntry:
        try:
            return JournalEntry.objects.select_related("org", "plan", "created_by", "reverses").get(
                pk=self.kwargs["entry_pk"]
            )
        except JournalEntry.DoesNotExist:
            raise Http404(_("No such entry in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        entry = self._entry()
        context.update(
            entry=entry,
            lines=list(entry.lines.all()),
            reversed_by=JournalEntry.objects.filter(reverses=entry).first(),
        )
        return context

    def post(self, request: HttpRequest, entry_pk: int) -> HttpResponse:
        entry = self._entry()
        try:
            reversal = entry_reverse(actor=request_user(request), entry=entry, reason=request.POST.get("reason", ""))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
            return redirect("finance:entry", entry_pk=entry.pk)
        messages.success(request, _("Reversed by entry %(number)s.") % {"number": reversal.number})
        return redirect("finance:entry", entry_pk=reversal.pk)
