from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("overview.xlsx", views.OverviewWorkbookView.as_view(), name="overview_xlsx"),
    path("snapshots/", views.SnapshotListView.as_view(), name="snapshots"),
]
