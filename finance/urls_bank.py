"""Bank reconciliation pages, included from finance/urls.py (app_name "finance")."""

from django.urls import path

from finance import views_bank

urlpatterns = [
    path("bank/", views_bank.BankListView.as_view(), name="bank_list"),
    path("bank/<int:statement_pk>/", views_bank.BankDetailView.as_view(), name="bank_detail"),
]
