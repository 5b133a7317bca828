"""Allocations down the tree (划拨): asking the office that pools a plan for funds, signing the
request there layer by layer, the transfer and its receipt."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import PaymentBatch
from enrollment.models import Plan
from finance.models import APPROVAL_LAYERS, LAYER_LABELS, Allocation, AllocationPurpose, AllocationStatus
from finance.selectors.allocations import allocation_list, allocation_room_get
from finance.selectors.books import book_plan_list
from finance.services import allocations
from finance.tables import AllocationFilter, AllocationTable
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.forms import DayInput, MoneyField
from mutualaid.listing import ListPage
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user
from mutualaid.twofactor import reauth_redirect
from mutualaid.views import StaffView, attach_errors

DATE = DayInput()


class AllocationForm(StrictNumbers, forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("For"), choices=AllocationPurpose.choices)
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.none()
    )
    claims_batch: forms.ModelChoiceField[PaymentBatch] = forms.ModelChoiceField(
        label=gettext_lazy("Claims payment batch"), queryset=PaymentBatch.objects.none(), required=False
    )
    amount = MoneyField(
        label=gettext_lazy("Amount (yuan)"),
        required=False,
        help_text=gettext_lazy("For a claims batch what it pays on the plan is taken."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, office: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only plans pooled above this office are allocated to it (the ids come from its books).
        plan_ids = [p.pk for p in book_plan_list(office=office) if p.org_id != office.pk]
        # Plans of the offices above, as a form's choices: they lie outside the office's scope.
        plans = Plan.objects.with_scopes_disabled().filter(pk__in=plan_ids)
        cast("forms.ModelChoiceField[Plan]", self.fields["plan"]).queryset = plans
        batches = PaymentBatch.objects.filter(org=office).order_by("-created_at")
        cast("forms.ModelChoiceField[PaymentBatch]", self.fields["claims_batch"]).queryset = batches


class AllocationListView(ListPage):
    template_name = "finance/allocation_list.html"
    permission_required = "finance.view"
    table_class = AllocationTable
    filter_class = AllocationFilter
    title = gettext_lazy("Allocations down the tree")
    export_name = gettext_lazy("Allocations")

    def queryset(self) -> QuerySet[Any]:
        return allocation_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", AllocationForm(office=request_office(self.request)))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AllocationForm(request.POST, office=request_office(request))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            allocation = allocations.allocation_request(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:allocation_list")
        messages.success(
            request,
            _("Allocation %(number)s asked of %(office)s.")
            % {"number": allocation.number, "office": allocation.pooling_office.name},
        )
        return redirect("finance:allocation_detail", allocation_pk=allocation.pk)


class AllocationDetailView(StaffView):
    template_name = "finance/allocation_detail.html"
    permission_required = "finance.view"

    def _allocation(self) -> Allocation:
        try:
            return allocation_list().get(pk=self.kwargs["allocation_pk"])
        except Allocation.DoesNotExist:
            raise Http404(_("No such allocation in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        allocation = self._allocation()
        user = request_user(self.request)
        pooling = user.org_id == allocation.pooling_office_id
        pending = allocation.status == AllocationStatus.REQUESTED
        layer = allocations.allocation_next_layer(allocation=allocation) if pending else None
        signed = {a.layer: a for a in allocation.approvals.select_related("approver")}
        may_sign = (
            layer is not None
            and pooling
            and user.has_perm(layer[1])
            and user.pk != allocation.requested_by_id
            and user.pk not in {a.approver_id for a in signed.values()}
        )
        may_transfer = pooling and user.has_perm("finance.post") and allocation.status == AllocationStatus.APPROVED
        context.update(
            allocation=allocation,
            layers=[(name, LAYER_LABELS[name], signed.get(name)) for name, _perm in APPROVAL_LAYERS],
            may_sign=may_sign,
            last_layer=may_sign and len(signed) == len(APPROVAL_LAYERS) - 1,
            layer_label=LAYER_LABELS[layer[0]] if layer else "",
            may_transfer=may_transfer,
            may_receive=user.org_id == allocation.org_id
            and user.has_perm("finance.remit")
            and allocation.status == AllocationStatus.TRANSFERRED,
            # The pooling office sees what it has left for the plan before it signs or transfers.
            room=allocation_room_get(pooling_office=allocation.pooling_office, plan=allocation.plan, exclude=allocation)
            if pooling and (pending or may_transfer)
            else None,
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest, allocation_pk: int) -> HttpResponse:
        allocation = self._allocation()
        action = request.POST.get("action", "")
        version = whole_number(request.POST.get("version"))
        version = -1 if version is None else version
        actor = request_user(request)
        day = forms.DateField(required=False)
        try:
            if action == "approve":
                # Signing takes a password and code confirmed within REAUTH_SECONDS, as for a payment.
                if (reauth := reauth_redirect(request, back_to=request.path)) is not None:
                    return reauth
                allocations.allocation_approve(
                    actor=actor,
                    allocation=allocation,
                    version=version,
                    meeting=request.POST.get("meeting", ""),
                    meeting_on=day.clean(request.POST.get("meeting_on", "")),
                )
                messages.success(request, _("Approved."))
            elif action == "reject":
                allocations.allocation_reject(
                    actor=actor, allocation=allocation, version=version, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Rejected."))
            elif action == "transfer":
                allocations.allocation_transfer(
                    actor=actor,
                    allocation=allocation,
                    version=version,
                    transferred_on=forms.DateField().clean(request.POST.get("transferred_on", "")),
                    bank_reference=request.POST.get("bank_reference", ""),
                )
                messages.success(request, _("Transfer booked: the allocation is in transit."))
            elif action == "receive":
                allocations.allocation_receive(
                    actor=actor,
                    allocation=allocation,
                    version=version,
                    received_on=day.clean(request.POST.get("received_on", "")),
                )
                messages.success(request, _("Allocation received into the bank account."))
            else:
                messages.error(request, _("Choose an action on the page."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("finance:allocation_detail", allocation_pk=allocation.pk)
