"""Proposals of a plan's next period: the list, one proposal (its draft, its simulations, their
results, adopting it), a simulation's progress, and up to three compared (page, xlsx, PDF)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from claims.benefits.editor import FIELD_HELP
from enrollment.models import Period, Plan, SubsidyKind
from mutualaid import dates
from mutualaid.badinput import amount, whole_number, whole_numbers
from mutualaid.downloads import attachment
from mutualaid.requests import request_user
from mutualaid.views import StaffView
from reporting import proposal_exports, proposals, rankings, simulations
from reporting.models import Proposal, SimulationRun
from reporting.views.dashboard import charts_available

PERMISSION = "reporting.proposals"


def _proposal(request: HttpRequest, pk: Any) -> Proposal:
    office = request_user(request).org
    number = whole_number(pk)
    if office is None or number is None:
        raise Http404(_("No such proposal of your office."))
    try:
        return simulations.proposal_get(office=office, pk=number)
    except Proposal.DoesNotExist:
        raise Http404(_("No such proposal of your office.")) from None


def _problems(error: ValidationError) -> list[str]:
    return list(error.messages)


class ProposalListView(StaffView):
    """The office's proposals by plan; POST drafts a new one from a plan's latest period."""

    template_name = "reporting/proposals.html"
    permission_required = PERMISSION

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_user(self.request).org
        items = list(simulations.proposal_list(office=office)) if office else []
        context.update(
            proposals=[(p, simulations.latest_result(proposal=p)) for p in items],
            # The office's own plans that are active or that its tree holds policies in, those with
            # policies first (as every plan choice of the product: reporting/rankings.py), not an
            # inactive example first by its name.
            plans=[p for p in rankings.ranking_plan_list(node=office) if p.org_id == office.pk] if office else [],
            max_compared=proposals.MAX_COMPARED,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        number = whole_number(request.POST.get("plan"))
        plan = Plan.objects.filter(org=user.org, pk=number).first() if user.org and number is not None else None
        if plan is None:
            messages.error(request, _("Choose one of your office's plans."))
            return redirect("reporting:proposals")
        try:
            proposal = proposals.proposal_create(actor=user, plan=plan, name=request.POST.get("name", ""))
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(_problems(error)) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
            return redirect("reporting:proposals")
        messages.success(request, _("Proposal drafted from %(period)s.") % {"period": proposal.base_period.label})
        return redirect("reporting:proposal", proposal_pk=proposal.pk)


def _terms(data: Any) -> tuple[proposals.Terms, dict[str, str]]:
    """The edit as typed; what cannot be read at all is named here, the rest by the service."""
    problems: dict[str, str] = {}
    rules: Any = None
    try:
        rules = json.loads(data.get("rules") or "{}")
    except json.JSONDecodeError as error:
        problems["rules"] = _("The rules are not valid JSON (line %(line)s, column %(column)s): %(msg)s.") % {
            "line": error.lineno,
            "column": error.colno,
            "msg": error.msg,
        }
    stages: Any = []
    if (data.get("subsidy_stages") or "").strip():
        try:
            stages = json.loads(data["subsidy_stages"])
        except json.JSONDecodeError:
            problems["subsidy_stages"] = _('List the stages as [{"until": "YYYY-MM-DD", "amount": "30"}].')
    premium = amount(data.get("premium_per_share", ""))
    if premium is None:
        problems["premium_per_share"] = _("Enter the premium per share in yuan, above 0, with at most two decimals.")
    subsidy = amount(data.get("subsidy_amount") or "0")
    if subsidy is None:
        problems["subsidy_amount"] = _("Enter the subsidy per member in yuan, 0 or more, with at most two decimals.")
    terms = proposals.Terms(
        name=data.get("name", ""),
        note=data.get("note", ""),
        rules=rules if "rules" not in problems else None,
        premium_per_share=premium,
        subsidy_kind=data.get("subsidy_kind", SubsidyKind.NONE),
        subsidy_amount=subsidy,
        subsidy_stages=stages,
    )
    return terms, problems


class ProposalView(StaffView):
    """One proposal: its draft (rules, premium, subsidy), its simulations and the latest result,
    and the adoption form. POST `action` = save, simulate or adopt."""

    template_name = "reporting/proposal.html"
    permission_required = PERMISSION

    def _context(self, proposal: Proposal, **extra: Any) -> dict[str, Any]:
        today = dates.business_today()
        run = simulations.latest_result(proposal=proposal)
        rules_text = extra.pop("rules_text", None) or json.dumps(proposal.rules, ensure_ascii=False, indent=2)
        starts, ends = proposals.next_dates(proposal.base_period)
        return self.get_context_data(
            proposal=proposal,
            rules_text=rules_text,
            stages_text=json.dumps(proposal.subsidy_stages, ensure_ascii=False) if proposal.subsidy_stages else "",
            subsidy_kinds=SubsidyKind.choices,
            periods=list(Period.objects.filter(plan=proposal.plan, starts_on__lte=today).order_by("-starts_on")),
            runs=list(simulations.simulation_list(proposal=proposal)[:10]),
            result=run,
            chart_data=proposal_exports.chart_data([proposal_exports.Compared(proposal, run)]) if run else None,
            next_starts=starts,
            next_ends=ends,
            field_help=[(i.name, i.description, json.dumps(i.example, ensure_ascii=False)) for i in FIELD_HELP],
            today=today,
            charts=charts_available(),
            **extra,
        )

    def get(self, request: HttpRequest, proposal_pk: int) -> HttpResponse:
        return self.render_to_response(self._context(_proposal(request, proposal_pk)))

    def post(self, request: HttpRequest, proposal_pk: int) -> HttpResponse:
        proposal = _proposal(request, proposal_pk)
        action = request.POST.get("action", "")
        if action == "simulate":
            return self._simulate(request, proposal)
        if action == "adopt":
            return self._adopt(request, proposal)
        terms, problems = _terms(request.POST)
        if not problems:
            try:
                proposals.proposal_update(
                    actor=request_user(request),
                    proposal=proposal,
                    version=whole_number(request.POST.get("version")) or 0,
                    terms=terms,
                )
            except ValidationError as error:
                found = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                problems = {key: " ".join(texts) for key, texts in found.items()}
            except PermissionDenied as error:
                problems = {"": str(error)}
        if problems:
            context = self._context(proposal, problems=problems, rules_text=request.POST.get("rules", ""))
            return self.render_to_response(context, status=400)
        messages.success(request, _("Proposal saved. Start a simulation to see what it would have cost."))
        return redirect("reporting:proposal", proposal_pk=proposal.pk)

    def _simulate(self, request: HttpRequest, proposal: Proposal) -> HttpResponse:
        from reporting.tasks import simulate

        user = request_user(request)
        try:
            run = simulations.simulation_start(
                actor=user,
                proposal=proposal,
                period_ids=request.POST.getlist("periods"),
                years=request.POST.get("years"),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reporting:proposal", proposal_pk=proposal.pk)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("reporting:proposal", proposal_pk=proposal.pk)
        transaction.on_commit(lambda: simulate.delay(org_id=run.org_id, run_pk=run.pk, actor_id=user.pk))
        messages.success(request, _("The simulation has started. You can leave this page; its result is kept here."))
        return redirect("reporting:proposal", proposal_pk=proposal.pk)

    def _adopt(self, request: HttpRequest, proposal: Proposal) -> HttpResponse:
        run = simulations.latest_result(proposal=proposal)
        decided = simulations.decided_on(request.POST.get("decided_on", ""))
        if run is None or decided is None:
            text = (
                _(
                    "Adopt a proposal after a finished simulation of it as it stands now: start a simulation and "
                    "wait for it."
                )
                if run is None
                else _("Enter the date of the meeting as YYYY-MM-DD.")
            )
            messages.error(request, text)
            return redirect("reporting:proposal", proposal_pk=proposal.pk)
        try:
            period = proposals.proposal_adopt(
                actor=request_user(request),
                proposal=proposal,
                run=run,
                label=request.POST.get("label", ""),
                meeting=request.POST.get("meeting", ""),
                decided_on=decided,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reporting:proposal", proposal_pk=proposal.pk)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("reporting:proposal", proposal_pk=proposal.pk)
        messages.success(
            request, _("Adopted: %(period)s has been created from the proposal.") % {"period": period.label}
        )
        return redirect("reporting:proposal", proposal_pk=proposal.pk)


class SimulationProgressView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A simulation's progress as JSON; only the office that runs the plan sees it."""

    permission_required = PERMISSION
    raise_exception = True

    def get(self, request: HttpRequest, simulation_pk: int) -> HttpResponseBase:
        office = request_user(request).org
        run = SimulationRun.objects.filter(org=office, pk=simulation_pk).first() if office else None
        if run is None:
            raise Http404(_("No such simulation of your office."))
        return JsonResponse(
            {"status": run.status, "progress": run.progress, "done": run.finished, "error": run.error or None}
        )


class CompareView(StaffView):
    """Up to three proposals side by side (`?p=1&p=2&p=3`), with charts; `?export=xlsx|pdf` for
    the meeting's documents."""

    template_name = "reporting/proposal_compare.html"
    permission_required = PERMISSION

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        office = request_user(request).org
        ids = whole_numbers(request.GET.getlist("p"))
        if len(ids) > proposals.MAX_COMPARED:
            return HttpResponse(
                _("Compare at most %(count)s proposals at once: untick some.") % {"count": proposals.MAX_COMPARED},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        chosen = list(simulations.proposal_list(office=office).filter(pk__in=ids)) if office and ids else []
        chosen.sort(key=lambda p: ids.index(p.pk))
        items = proposal_exports.compared(chosen)
        kind = request.GET.get("export", "")
        if kind in ("xlsx", "pdf"):
            if not items:
                raise Http404(_("Choose the proposals to compare."))
            document = proposal_exports.compare_document(items, pdf=kind == "pdf")
            return attachment(document.data, content_type=document.content_type, name=document.filename)
        context = self.get_context_data(
            items=items,
            table=proposal_exports.table(items),
            chart_data=proposal_exports.chart_data(items),
            query="&".join(f"p={item.proposal.pk}" for item in items),
            all_proposals=list(simulations.proposal_list(office=office)) if office else [],
            chosen_ids=[item.proposal.pk for item in items],
            charts=charts_available(),
        )
        return self.render_to_response(context)
