"""The published OpenAPI schema, generated once per version and language.

drf-spectacular builds the schema from the code on every request (about a second here): it
changes only with a new release, so it is kept for the life of the process.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.utils import translation
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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


class DocsView(SpectacularSwaggerSplitView):
    """The interactive API docs (Swagger UI) at /api/docs/, from the product's own static files.

    The split view serves the page's script as a file of its own (`?script`), and the page's
    template (templates/drf_spectacular/swagger_ui.html) keeps its styles in a static file, so the
    page runs under the product's CSP (script-src and style-src 'self') with no CDN."""

    template_name = "drf_spectacular/swagger_ui.html"

    @method_decorator(csp_update({"img-src": ["data:"]}))
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Swagger UI's stylesheet draws its icons as inline SVG (data: images): allowed on this
        page only; scripts and styles stay 'self'."""
        return super().dispatch(request, *args, **kwargs)
