"""The proposals API: draft a proposal, start a simulation of it, read the simulation's result.
Only the office that runs the plan sees its proposals; a simulation's result is given once the run
is done, never a partial one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.models import Period, Plan, SubsidyKind
from mutualaid.drf import HasPermission, WholeNumberField, money_field
from mutualaid.requests import request_user
from reporting import proposals, simulations
from reporting.models import Proposal, SimulationRun, SimulationStatus


def _api_error(error: ValidationError | PermissionDenied) -> Exception:
    if isinstance(error, PermissionDenied):
        return ApiPermissionDenied(str(error) or None)
    return ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class ProposalOut(serializers.ModelSerializer[Proposal]):
    plan = serializers.IntegerField(source="plan_id")
    base_period = serializers.IntegerField(source="base_period_id")
    adopted_period = serializers.IntegerField(source="adopted_period_id", allow_null=True)
    adopted_run = serializers.IntegerField(source="adopted_run_id", allow_null=True)
    rules = serializers.DictField(help_text="The benefit schedule, as the schedule editor's JSON")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "plan",
            "base_period",
            "name",
            "note",
            "rules",
            "premium_per_share",
            "subsidy_kind",
            "subsidy_amount",
            "subsidy_stages",
            "version",
            "created_at",
            "adopted_period",
            "adopted_meeting",
            "adopted_on",
            "adopted_run",
        ]


class ProposalIn(serializers.Serializer):  # type: ignore[type-arg]
    plan = WholeNumberField(help_text="A plan your office runs")
    name = serializers.CharField(max_length=60)
    base_period = WholeNumberField(required=False, help_text="The period to draft from (default: the plan's latest)")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    rules = serializers.DictField(required=False, help_text="The schedule; default: the base period's")
    premium_per_share = money_field(required=False)
    subsidy_kind = serializers.ChoiceField(choices=SubsidyKind.choices, required=False)
    subsidy_amount = money_field(required=False)
    subsidy_stages = serializers.ListField(child=serializers.DictField(), required=False)


class RunOut(serializers.ModelSerializer[SimulationRun]):
    proposal = serializers.IntegerField(source="proposal_id")
    periods = serializers.ListField(child=serializers.IntegerField())
    results = serializers.SerializerMethodField(
        help_text="The figures once the run is done (null before: a partial result is never given)"
    )

    class Meta:
        model = SimulationRun
        fields = [
            "id",
            "proposal",
            "proposal_version",
            "periods",
            "years",
            "status",
            "progress",
            "error",
            "created_at",
            "finished_at",
            "results",
        ]

    def get_results(self, run: SimulationRun) -> dict[str, Any] | None:
        return run.results if run.status == SimulationStatus.DONE else None


class RunIn(serializers.Serializer):  # type: ignore[type-arg]
    periods = serializers.ListField(child=WholeNumberField(), help_text="Past periods of the plan to re-run")
    years = serializers.IntegerField(min_value=1, max_value=3, default=3, help_text="Years of fund projection")


def _office_proposal(request: Request, pk: Any) -> Proposal:
    office = request_user(request).org
    if office is None:
        raise Http404
    try:
        return simulations.proposal_get(office=office, pk=pk)
    except Proposal.DoesNotExist:
        raise Http404 from None


class ProposalListApi(APIView):
    """The office's proposals (GET), or a new one drafted from a period of one of its plans (POST)."""

    permission_classes = [HasPermission]
    required_permission = "reporting.proposals"

    @extend_schema(responses=ProposalOut(many=True))
    def get(self, request: Request, version: str = "v1") -> Response:
        office = request_user(request).org
        items = simulations.proposal_list(office=office) if office else Proposal.objects.none()
        return Response(ProposalOut(items, many=True).data)

    @extend_schema(request=ProposalIn, responses={201: ProposalOut})
    def post(self, request: Request, version: str = "v1") -> Response:
        body = ProposalIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request_user(request)
        plan = Plan.objects.filter(pk=data["plan"], org=user.org).first() if user.org else None
        if plan is None:
            raise ApiValidationError({"plan": [_("Choose one of the plans your office runs.")]})
        base = None
        if "base_period" in data:
            base = Period.objects.filter(pk=data["base_period"], plan=plan).first()
            if base is None:
                raise ApiValidationError({"base_period": [_("Choose a period of this plan.")]})
        terms = proposals.Terms(
            note=data.get("note"),
            rules=data.get("rules"),
            premium_per_share=data.get("premium_per_share"),
            subsidy_kind=data.get("subsidy_kind"),
            subsidy_amount=data.get("subsidy_amount"),
            subsidy_stages=data.get("subsidy_stages"),
        )
        try:
            with transaction.atomic():
                proposal = proposals.proposal_create(actor=user, plan=plan, name=data["name"], base_period=base)
                if any(value is not None for value in vars(terms).values()):
                    proposal = proposals.proposal_update(
                        actor=user, proposal=proposal, version=proposal.version, terms=terms
                    )
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(ProposalOut(proposal).data, status=status.HTTP_201_CREATED)


class ProposalDetailApi(APIView):
    permission_classes = [HasPermission]
    required_permission = "reporting.proposals"

    @extend_schema(responses=ProposalOut)
    def get(self, request: Request, proposal_pk: int, version: str = "v1") -> Response:
        return Response(ProposalOut(_office_proposal(request, proposal_pk)).data)


class SimulationStartApi(APIView):
    """Start a simulation of the proposal as it stands (202); refused while one runs."""

    permission_classes = [HasPermission]
    required_permission = "reporting.proposals"

    @extend_schema(request=RunIn, responses={202: RunOut})
    def post(self, request: Request, proposal_pk: int, version: str = "v1") -> Response:
        from reporting.tasks import simulate

        proposal = _office_proposal(request, proposal_pk)
        body = RunIn(data=request.data)
        body.is_valid(raise_exception=True)
        user = request_user(request)
        try:
            run = simulations.simulation_start(
                actor=user,
                proposal=proposal,
                period_ids=body.validated_data["periods"],
                years=body.validated_data["years"],
            )
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        transaction.on_commit(lambda: simulate.delay(org_id=run.org_id, run_pk=run.pk, actor_id=user.pk))
        return Response(RunOut(run).data, status=status.HTTP_202_ACCEPTED)


class SimulationDetailApi(APIView):
    """A simulation's status and progress, and its result once done."""

    permission_classes = [HasPermission]
    required_permission = "reporting.proposals"

    @extend_schema(responses=RunOut)
    def get(self, request: Request, simulation_pk: int, version: str = "v1") -> Response:
        office = request_user(request).org
        run = SimulationRun.objects.filter(org=office, pk=simulation_pk).first() if office else None
        if run is None:
            raise Http404
        return Response(RunOut(run).data)


api_urls = [
    path("reporting/proposals/", ProposalListApi.as_view(), name="api_reporting_proposals"),
    path("reporting/proposals/<int:proposal_pk>/", ProposalDetailApi.as_view(), name="api_reporting_proposal"),
    path(
        "reporting/proposals/<int:proposal_pk>/simulations/",
        SimulationStartApi.as_view(),
        name="api_reporting_simulation_start",
    ),
    path("reporting/simulations/<int:simulation_pk>/", SimulationDetailApi.as_view(), name="api_reporting_simulation"),
]
