"""Statements and budgets, under /finance/."""

from django.urls import path

from finance import views_reports

urlpatterns = [
    path("statement/", views_reports.StatementView.as_view(), name="statement"),
    path("statement.xlsx", views_reports.StatementXlsxView.as_view(), name="statement_xlsx"),
    path("statement.pdf", views_reports.StatementPdfView.as_view(), name="statement_pdf"),
    path("budget/", views_reports.BudgetView.as_view(), name="budget"),
]
