"""Targets, rankings, the overview as PDF and the background exports (names under "reporting")."""

from django.urls import path

from reporting import views_rankings as views

urlpatterns = [
    path("targets/", views.TargetsView.as_view(), name="targets"),
    path("rankings/", views.RankingsView.as_view(), name="rankings"),
    path("rankings.xlsx", views.RankingsDownloadView.as_view(pdf=False), name="rankings_xlsx"),
    path("rankings.pdf", views.RankingsDownloadView.as_view(pdf=True), name="rankings_pdf"),
    path("overview.pdf", views.OverviewPdfView.as_view(), name="overview_pdf"),
    path("exports/", views.ExportListView.as_view(), name="exports"),
    path("exports/<int:export_pk>/", views.ExportProgressView.as_view(), name="export"),
]
