"""The project's URLs: each app's pages under its own prefix, and every app's API routes under
one versioned prefix."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from claims.apis import api_urls as claims_api_urls
from config.schema import DocsView, SchemaView
from enrollment.apis import api_urls as enrollment_api_urls
from finance.allocapis import api_urls as finance_allocation_api_urls
from finance.apis import api_urls as finance_api_urls
from finance.fundapis import api_urls as finance_fund_api_urls
from mutualaid.urls import api_urls as core_api_urls
from reporting.apis import api_urls as reporting_api_urls

api_v1 = [
    *core_api_urls,
    *enrollment_api_urls,
    *claims_api_urls,
    *finance_api_urls,
    *finance_fund_api_urls,
    *finance_allocation_api_urls,
    *reporting_api_urls,
]

urlpatterns = [
    path("", include("mutualaid.urls")),
    path("enrollment/", include("enrollment.urls")),
    path("claims/", include("claims.urls")),
    path("finance/", include("finance.urls")),
    path("public/", include("finance.public_urls")),
    path("reporting/", include("reporting.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    re_path(r"^api/(?P<version>v1)/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(api_version="v1"), name="api_schema"),
    path("api/docs/", DocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/", RedirectView.as_view(pattern_name="api_docs", permanent=False), name="api_root"),
    path("admin/", admin.site.urls),
]

# A 503 with Retry-After while the database is away (mutualaid/outage.py); otherwise templates/500.html
# (templates/400.html for a bad request).
handler500 = "mutualaid.outage.server_error"
handler400 = "mutualaid.outage.bad_request"
