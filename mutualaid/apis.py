"""The versioned REST API of the core (`/api/v1/…`), in the caller's scope.

Browser sessions are scoped by the middleware, tokens by `mutualaid.drf.ScopedTokenAuthentication`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mutualaid.drf import HasPermission
from mutualaid.models import Organisation, User
from mutualaid.requests import request_user
from mutualaid.selectors import org_subtree


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    # The province has none. `parent` is also DRF's name for a field's enclosing serializer; the
    # serializer's metaclass takes declared fields out of the class, so only the type checker sees it.
    parent: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        read_only=True, allow_null=True
    )
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "code", "name", "kind", "kind_label", "parent", "depth", "headcount", "is_active"]


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("kind", OpenApiTypes.STR, description="Only nodes of this kind.")])
)
class OrganisationList(generics.ListAPIView[Organisation]):
    """The organisations of the caller's subtree, in tree order."""

    serializer_class = OrganisationSerializer
    permission_classes = [HasPermission]
    required_permission = "org.view"

    def get_queryset(self) -> Any:
        return org_subtree(kind=self.request.query_params.get("kind", ""))


class OrganisationDetail(generics.RetrieveAPIView[Organisation]):
    serializer_class = OrganisationSerializer
    permission_classes = [HasPermission]
    required_permission = "org.view"
    lookup_url_kwarg = "org_pk"

    def get_queryset(self) -> Any:
        return Organisation.objects.all()


class MeSerializer(serializers.ModelSerializer[User]):
    org = OrganisationSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "roles", "org"]


class Me(APIView):
    """Who the caller is: their node and roles."""

    permission_classes = [HasPermission]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request, version: str = "v1") -> Response:
        return Response(MeSerializer(request_user(request)).data)
