from django.urls import include, path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("overview.xlsx", views.OverviewWorkbookView.as_view(), name="overview_xlsx"),
    path("snapshots/", views.SnapshotListView.as_view(), name="snapshots"),
    path("", include("reporting.urls_dashboard")),
    path("", include("reporting.urls_rankings")),
]
