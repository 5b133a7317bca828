"""The product's only pages without a login: the statements offices have published (公示)."""

from django.urls import path

from finance.views import fund_statements

app_name = "public"

urlpatterns = [
    path("fund/<str:token>/", fund_statements.FundStatementPublicView.as_view(), name="fund_statement"),
    path(
        "fund/<str:token>/statement.pdf",
        fund_statements.FundStatementPublicPdfView.as_view(),
        name="fund_statement_pdf",
    ),
]
