"""The leaders' dashboard, included from reporting/urls.py (app "reporting")."""

from django.urls import path

from reporting import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.DashboardView.as_view(), name="dashboard"),
]
