"""The published OpenAPI schema, generated once per version and language.

drf-spectacular builds the schema from the code on every request (about a second here): it
changes only with a new release, so it is kept for the life of the process.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

_SCHEMAS: dict[tuple[str | None, str | None], Any] = {}


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version
        key = (version, translation.get_language())
        if key not in _SCHEMAS:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            # drf-spectacular's generator is untyped.
            _SCHEMAS[key] = generator.get_schema(request=request, public=self.serve_public)  # type: ignore[no-untyped-call]
        filename = self._get_filename(request, version)  # type: ignore[no-untyped-call] # drf-spectacular is untyped
        return Response(data=_SCHEMAS[key], headers={"Content-Disposition": f'inline; filename="{filename}"'})
