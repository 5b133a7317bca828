from django.urls import include, path

from finance import views

app_name = "finance"

urlpatterns = [
    path("", views.BooksView.as_view(), name="books"),
    path("entries/<int:entry_pk>/", views.EntryView.as_view(), name="entry"),
    path("premiums/", views.PremiumsView.as_view(), name="premiums"),
    path("remittances/", views.RemittanceListView.as_view(), name="remittance_list"),
    path("remittances/<int:remittance_pk>/", views.RemittanceDetailView.as_view(), name="remittance_detail"),
    path("payments/", views.PaymentListView.as_view(), name="payment_list"),
    path("payments/<int:payment_pk>/", views.PaymentDetailView.as_view(), name="payment_detail"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("", include("finance.urls_bank")),
    path("", include("finance.urls_reports")),
]
