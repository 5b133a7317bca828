from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("", views.ClaimListView.as_view(), name="claim_list"),
    path("new/", views.ClaimRegisterView.as_view(), name="claim_register"),
    path("risk/", views.RiskView.as_view(), name="risk"),
    path("deadlines/", views.DeadlinesView.as_view(), name="deadlines"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("schedules/", views.ScheduleListView.as_view(), name="schedule_list"),
    path("schedules/<int:period_pk>/", views.ScheduleEditView.as_view(), name="schedule_edit"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/<int:batch_pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:batch_pk>/transfer.xlsx", views.BatchTransferView.as_view(), name="batch_transfer"),
    path("<int:claim_pk>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    path("<int:claim_pk>/edit/", views.ClaimAmendView.as_view(), name="claim_amend"),
    path("<int:claim_pk>/review/", views.ClaimReviewView.as_view(), name="claim_review"),
    path("<int:claim_pk>/documents/", views.ClaimDocumentsView.as_view(), name="claim_documents"),
    path("<int:claim_pk>/documents/<int:document_pk>/", views.ClaimDocumentView.as_view(), name="claim_document"),
    path("<int:claim_pk>/callback/", views.ClaimCallbackView.as_view(), name="claim_callback"),
]
