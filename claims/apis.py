"""The claims API (`/api/v1/claims/…`), in the caller's scope: an office's own system registers
claims, adds scanned documents, reads the calculation and acts at its review level; the
schedules are read and written as the same JSON the browser editor shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors
from claims.apis_oversight import api_urls as oversight_api_urls
from claims.lifecycle import REVIEW_LEVELS
from claims.models import (
    BatchStatus,
    BenefitSchedule,
    CareType,
    Claim,
    ClaimDocument,
    ClaimStep,
    DocumentKind,
    PaymentBatch,
)
from claims.services.documents import claim_add_documents, document_check
from claims.services.figures import Figures, Payee
from claims.services.handoff import claim_override, claim_reassign
from claims.services.registration import claim_register
from claims.services.review import claim_review
from claims.services.schedules import schedule_save
from claims.views.claim import FULL_NUMBER_COPIES
from enrollment.models import Enrollment, Period
from mutualaid.audit import audit_disclosure
from mutualaid.downloads import content_disposition
from mutualaid.drf import BoundedJSONParser, HasPermission, WholeNumberField, money_field
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user


def _api_error(error: ValidationError | PermissionDenied) -> Exception:
    if isinstance(error, PermissionDenied):
        return ApiPermissionDenied(str(error) or None)
    return ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class StepSerializer(serializers.ModelSerializer[ClaimStep]):
    actor = serializers.CharField(source="actor.__str__")

    class Meta:
        model = ClaimStep
        fields = ["level", "action", "actor", "at", "note"]


class ClaimSerializer(serializers.ModelSerializer[Claim]):
    """Masked ID and account numbers only; the diagnosis is given on the detail endpoint."""

    unit: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    unit_name = serializers.CharField(source="org.name", read_only=True)
    review_office_name = serializers.CharField(source="review_office.name", read_only=True)
    pay_office_name = serializers.CharField(source="pay_office.name", read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "unit",
            "unit_name",
            "enrollment",
            "period",
            "review_office",
            "review_office_name",
            "pay_office",
            "pay_office_name",
            "name",
            "id_masked",
            "care_type",
            "admitted_on",
            "discharged_on",
            "hospital",
            "total_cost",
            "insurance_paid",
            "deductible_part",
            "self_paid",
            "not_covered",
            "serious_illness_paid",
            "medical_assistance_paid",
            "other_mutual_aid_paid",
            "commercial_insurance_paid",
            "disability_grade",
            "benefit_base",
            "status",
            "version",
            "payout",
            "calculation",
            "cap_left_after",
            "refused_reason",
            "flags",
            "needs_leader",
            "documents_complete_on",
            "target_due_on",
            "limit_due_on",
            "reason",
            "registered_at",
            "approved_at",
            "paid_on",
            "account_masked",
        ]


class ClaimDetailSerializer(ClaimSerializer):
    diagnosis = serializers.SerializerMethodField()
    steps = StepSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "diagnosis", "steps", "documents"]

    def get_diagnosis(self, claim: Claim) -> str:
        return selectors.claim_diagnosis(claim=claim)

    def get_documents(self, claim: Claim) -> list[dict[str, Any]]:
        return [
            {"id": d.pk, "kind": d.kind, "name": d.original_name, "size": d.size, "uploaded_at": d.uploaded_at}
            for d in claim.documents.all()
        ]


class RegisterSerializer(serializers.Serializer[Any]):
    enrollment = WholeNumberField()
    care_type = serializers.ChoiceField(choices=CareType.choices)
    admitted_on = serializers.DateField()
    discharged_on = serializers.DateField(required=False, allow_null=True)
    hospital = serializers.CharField(max_length=100)
    diagnosis = serializers.CharField(max_length=200)
    total_cost = money_field()
    insurance_paid = money_field()
    deductible_part = money_field()
    self_paid = money_field()
    not_covered = money_field()
    invoices = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=50
    )
    member_category = serializers.CharField(required=False, default="", allow_blank=True, max_length=30)
    severity = serializers.CharField(required=False, default="", allow_blank=True, max_length=30)
    illness_days = WholeNumberField(required=False, default=0, max_value=36_500)  # a lifetime of days
    disability_grade = WholeNumberField(required=False, default=0, max_value=10)
    serious_illness_paid = money_field(required=False, default=Decimal(0), min_value=Decimal(0))
    medical_assistance_paid = money_field(required=False, default=Decimal(0), min_value=Decimal(0))
    other_mutual_aid_paid = money_field(required=False, default=Decimal(0), min_value=Decimal(0))
    commercial_insurance_paid = money_field(required=False, default=Decimal(0), min_value=Decimal(0))
    payee_name = serializers.CharField(max_length=50)
    bank_name = serializers.CharField(max_length=60)
    account_number = serializers.CharField(max_length=40)


class ReviewSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=["pass", "return", "reject"])
    version = WholeNumberField()
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class DocumentUploadSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField()


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="Only claims in this state."),
            OpenApiParameter("q", OpenApiTypes.STR, description="A claim number, a name or a full ID number."),
        ]
    )
)
class ClaimList(generics.ListCreateAPIView[Claim]):
    """Claims in scope (`?status=`, `?q=` claim number, name or full ID number); POST registers
    one (JSON), documents follow through the claim's documents endpoint."""

    serializer_class = ClaimSerializer
    permission_classes = [HasPermission]
    required_permission = "claims.view"
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return selectors.claim_list(status=params.get("status", ""), search=params.get("q", ""))

    @extend_schema(request=RegisterSerializer, responses={201: ClaimSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        if not request.user.has_perm("claims.register"):
            raise ApiPermissionDenied()
        form = RegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        enrollment = Enrollment.objects.filter(pk=data["enrollment"]).first()
        if enrollment is None:  # outside the caller's scope: as if it did not exist
            raise ApiValidationError({"enrollment": [_("No such enrollment in your office's tree.")]})
        figures = Figures(
            **{name: data.get(name) for name in Figures.__dataclass_fields__ if name != "invoices"},
            invoices=data["invoices"],
        )
        payee = Payee(name=data["payee_name"], bank_name=data["bank_name"], account_number=data["account_number"])
        try:
            claim = claim_register(actor=request_user(request), enrollment=enrollment, figures=figures, payee=payee)
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDetail(generics.RetrieveAPIView[Claim]):
    serializer_class = ClaimDetailSerializer
    permission_classes = [HasPermission]
    required_permission = "claims.view"
    lookup_url_kwarg = "claim_pk"

    def get_queryset(self) -> Any:
        return Claim.objects.select_related("org", "review_office", "pay_office").prefetch_related(
            "steps__actor", "documents"
        )


def _claim_or_404(pk: int) -> Claim:
    try:
        return selectors.claim_get(pk=pk)
    except Claim.DoesNotExist:
        raise Http404 from None


class ClaimReview(APIView):
    """Pass, return or reject at the level the claim waits at; `version` is the one you read, so
    an action on a claim someone else has just moved is refused (409)."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=ReviewSerializer, responses={200: ClaimSerializer})
    def post(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim_or_404(claim_pk)
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            claim = claim_review(
                actor=request_user(request),
                claim=claim,
                version=data["version"],
                action=data["action"],
                reason=data["reason"],
            )
        except ValidationError as error:
            current = Claim.objects.filter(pk=claim_pk).values_list("version", flat=True).first()
            code = status.HTTP_409_CONFLICT if current != data["version"] else status.HTTP_400_BAD_REQUEST
            return Response({"detail": error.messages}, status=code)
        except PermissionDenied as error:
            raise _api_error(error) from None
        return Response(ClaimSerializer(claim).data)


class DocumentSerializer(serializers.ModelSerializer[ClaimDocument]):
    """A scan kept with a claim; `download` is where its file is read (an ID card or bank card
    copy only by someone who may see full numbers, recorded in the audit trail)."""

    name = serializers.CharField(source="original_name")
    kind_label = serializers.CharField(source="get_kind_display")
    full_numbers = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = ClaimDocument
        fields = ["id", "kind", "kind_label", "name", "content_type", "size", "sha256", "uploaded_at"]
        fields += ["full_numbers", "download"]

    def get_full_numbers(self, document: ClaimDocument) -> bool:
        return document.kind in FULL_NUMBER_COPIES

    def get_download(self, document: ClaimDocument) -> str:
        return reverse(
            "api_claim_document", kwargs={"version": "v1", "claim_pk": document.claim_id, "document_pk": document.pk}
        )


class ClaimDocuments(APIView):
    """The scans kept with a claim (GET, in the order they were uploaded); POST adds one
    (multipart: kind, file)."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: DocumentSerializer(many=True)})
    def get(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim_or_404(claim_pk)
        documents = ClaimDocument.objects.filter(claim=claim).exclude(file="").order_by("uploaded_at", "pk")
        return Response(DocumentSerializer(documents, many=True).data)

    @extend_schema(request=DocumentUploadSerializer, responses={201: ClaimSerializer})
    def post(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim_or_404(claim_pk)
        form = DocumentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            upload = document_check(kind=form.validated_data["kind"], upload=form.validated_data["file"])
            claim = claim_add_documents(actor=request_user(request), claim=claim, documents=[upload])
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDocumentFile(APIView):
    """One scan as it was uploaded (PDF, JPG or PNG). An ID card or bank card copy shows full
    numbers: it is given only to whoever may see them (`pii.reveal`), and recorded in the audit
    trail as the browser's download is."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        }
    )
    def get(self, request: Request, claim_pk: int, document_pk: int, version: str = "v1") -> HttpResponse:
        claim = _claim_or_404(claim_pk)
        document = ClaimDocument.objects.filter(pk=document_pk, claim=claim).first()
        if document is None or not document.file:  # another claim's, or deleted when its retention ended
            raise Http404
        copy = FULL_NUMBER_COPIES.get(document.kind)
        actor = request_user(request)
        if copy is not None and not actor.has_perm("pii.reveal"):
            raise ApiPermissionDenied(
                _("“%(kind)s” shows full numbers: only someone who may see full numbers can download it.")
                % {"kind": document.get_kind_display()}
            )
        response = HttpResponse(selectors.document_content(document=document), content_type=document.content_type)
        if copy is not None:
            audit_disclosure(
                actor=actor, record=document, document=copy[0], label=claim.number, people=1, numbers=[copy[1]]
            )
        response["Content-Disposition"] = content_disposition(document.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class HandoffSerializer(serializers.Serializer[Any]):
    """`reassign`: hand the level to `assignee` (one of the claim page's people); `override`: the
    office head decides the level, with `reason` (at least five characters)."""

    action = serializers.ChoiceField(choices=["reassign", "override"])
    version = WholeNumberField()
    assignee = WholeNumberField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class HandedClaimSerializer(ClaimSerializer):
    """A claim with who decides the level it waits at."""

    waiting_level = serializers.SerializerMethodField()
    handed_to = serializers.SerializerMethodField()
    handed_to_name = serializers.SerializerMethodField()
    overrides = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [
            *ClaimSerializer.Meta.fields,
            "waiting_level",
            "handed_to",
            "handed_to_name",
            "overrides",
            "escalated",
        ]

    def get_waiting_level(self, claim: Claim) -> str:
        waiting = REVIEW_LEVELS.get(claim.status)
        return str(waiting[0].label) if waiting else ""

    def get_handed_to(self, claim: Claim) -> int | None:
        return claim.handed_to_id

    def get_handed_to_name(self, claim: Claim) -> str:
        return str(claim.assignee) if claim.handed_to_id else ""

    def get_overrides(self, claim: Claim) -> bool:
        return bool(claim.handed_to_id and claim.assignee_overrides)

    def get_escalated(self, claim: Claim) -> bool:
        """Waiting for an override at the office above: the reviewing office's heads may not."""
        return bool(getattr(claim, "escalated", False))


class ClaimHandoff(APIView):
    """Hand the level the claim waits at to one person, or decide it as office head (override),
    with the browser's rules: the claims supervisor or office head of the reviewing office (the
    office above when its heads acted on the claim at another level), `version` as read (409 when
    the claim moved meanwhile); a refusal is 400/403 with the reason and changes nothing."""

    permission_classes = [HasPermission]
    required_permission = "claims.assign"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=HandoffSerializer, responses={200: HandedClaimSerializer})
    def post(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim_or_404(claim_pk)
        form = HandoffSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        actor = request_user(request)
        try:
            if data["action"] == "reassign":
                if data["assignee"] is None:
                    raise ValidationError({"assignee": _("Choose the person who decides this level.")})
                claim = claim_reassign(actor=actor, claim=claim, version=data["version"], assignee_id=data["assignee"])
            else:
                claim = claim_override(actor=actor, claim=claim, version=data["version"], reason=data["reason"])
        except ValidationError as error:
            current = Claim.objects.filter(pk=claim_pk).values_list("version", flat=True).first()
            if current != data["version"]:
                return Response({"detail": error.messages}, status=status.HTTP_409_CONFLICT)
            raise _api_error(error) from None
        except PermissionDenied as error:
            raise _api_error(error) from None
        return Response(HandedClaimSerializer(claim).data)


class NobodyCanTake(APIView):
    """无人可审的理赔: the caller's office's claims waiting at a level that nobody who holds its
    role may decide, and those escalated from the offices directly below (`escalated`)."""

    permission_classes = [HasPermission]
    required_permission = "claims.assign"

    @extend_schema(responses={200: HandedClaimSerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        claims = selectors.claim_list_nobody_can_take(office=request_office(request))
        return Response(HandedClaimSerializer(claims, many=True).data)


class ScheduleSerializer(serializers.Serializer[Any]):
    period = serializers.IntegerField(source="pk")
    plan = serializers.CharField(source="plan.name")
    # Named like Field.label, which it does not replace: DRF's metaclass takes fields off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    version = serializers.SerializerMethodField()
    frozen = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    def _schedule(self, period: Period) -> BenefitSchedule | None:
        schedules: dict[int, BenefitSchedule] = self.context["schedules"]
        return schedules.get(period.pk)

    def get_version(self, period: Period) -> int | None:
        schedule = self._schedule(period)
        return schedule.version if schedule else None

    def get_frozen(self, period: Period) -> bool:
        schedule = self._schedule(period)
        return bool(schedule and schedule.frozen_at)

    def get_rules(self, period: Period) -> dict[str, Any] | None:
        schedule = self._schedule(period)
        return schedule.rules if schedule else None


class ScheduleList(APIView):
    """Every plan period offered in the caller's tree with its benefit schedule."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"

    @extend_schema(responses={200: ScheduleSerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        rows = selectors.schedule_list(org=request_office(request))
        schedules = {period.pk: schedule for period, schedule in rows if schedule}
        data = ScheduleSerializer([p for p, _s in rows], many=True, context={"schedules": schedules}).data
        return Response(data)


class ScheduleDetail(APIView):
    """GET one period's schedule; PUT its rules (the JSON object), validated as in the browser."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"
    parser_classes = [BoundedJSONParser]

    def _period(self, request: Request, period_pk: int) -> Period:
        try:
            return selectors.schedule_period_get(org=request_office(request), pk=period_pk)
        except Period.DoesNotExist:
            raise Http404 from None

    @extend_schema(responses={200: ScheduleSerializer})
    def get(self, request: Request, period_pk: int, version: str = "v1") -> Response:
        period = self._period(request, period_pk)
        found = {p.pk: s for p, s in selectors.schedule_list(org=request_office(request)) if s}
        return Response(ScheduleSerializer(period, context={"schedules": found}).data)

    @extend_schema(request={"application/json": {"type": "object"}}, responses={200: ScheduleSerializer})
    def put(self, request: Request, period_pk: int, version: str = "v1") -> Response:
        period = self._period(request, period_pk)
        if not isinstance(request.data, dict):
            raise ApiValidationError({"rules": [_("The schedule must be a JSON object of field names and values.")]})
        try:
            schedule = schedule_save(actor=request_user(request), period=period, rules_data=dict(request.data))
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(ScheduleSerializer(period, context={"schedules": {period.pk: schedule}}).data)


class BatchSerializer(serializers.ModelSerializer[PaymentBatch]):
    """A batch and what has become of its claims; its payment is finance's (finance/payments/)."""

    status = serializers.SerializerMethodField()
    paid_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = PaymentBatch
        fields = ["id", "number", "status", "claim_count", "total", "created_at", "paid_on"]

    @extend_schema_field(serializers.ChoiceField(choices=BatchStatus.choices))
    def get_status(self, batch: PaymentBatch) -> str:
        return str(BatchStatus.OPEN if getattr(batch, "awaiting", 0) else BatchStatus.PAID)


class BatchList(generics.ListAPIView[PaymentBatch]):
    serializer_class = BatchSerializer
    permission_classes = [HasPermission]
    required_permission = "claims.view"

    def get_queryset(self) -> Any:
        return selectors.batch_list()


api_urls = [
    path("claims/", ClaimList.as_view(), name="api_claim_list"),
    path("claims/<int:claim_pk>/", ClaimDetail.as_view(), name="api_claim_detail"),
    path("claims/<int:claim_pk>/review/", ClaimReview.as_view(), name="api_claim_review"),
    path("claims/<int:claim_pk>/documents/", ClaimDocuments.as_view(), name="api_claim_documents"),
    path("claims/<int:claim_pk>/documents/<int:document_pk>/", ClaimDocumentFile.as_view(), name="api_claim_document"),
    path("claims/<int:claim_pk>/handoff/", ClaimHandoff.as_view(), name="api_claim_handoff"),
    path("claims/nobody-can-take/", NobodyCanTake.as_view(), name="api_claims_nobody_can_take"),
    path("claim-schedules/", ScheduleList.as_view(), name="api_schedule_list"),
    path("claim-schedules/<int:period_pk>/", ScheduleDetail.as_view(), name="api_schedule_detail"),
    path("payment-batches/", BatchList.as_view(), name="api_batch_list"),
    *oversight_api_urls,
]
