from django.urls import path

from claims.views import batch, claim, handoff, office, oversight, paperwork, register, schedule

app_name = "claims"

urlpatterns = [
    path("", claim.ClaimListView.as_view(), name="claim_list"),
    path("new/", register.ClaimRegisterView.as_view(), name="claim_register"),
    path("new/member/<int:enrollment_pk>/", register.ClaimRegisterView.as_view(), name="claim_register_member"),
    path("risk/", claim.RiskView.as_view(), name="risk"),
    path("nobody/", handoff.NobodyCanTakeView.as_view(), name="nobody_can_take"),
    path("deadlines/", office.DeadlinesView.as_view(), name="deadlines"),
    path("settings/", office.SettingsView.as_view(), name="settings"),
    path("schedules/", schedule.ScheduleListView.as_view(), name="schedule_list"),
    path("schedules/<int:period_pk>/", schedule.ScheduleEditView.as_view(), name="schedule_edit"),
    path("batches/", batch.BatchListView.as_view(), name="batch_list"),
    path("batches/<int:batch_pk>/", batch.BatchDetailView.as_view(), name="batch_detail"),
    path("rechecks/", oversight.RecheckListView.as_view(), name="recheck_list"),
    path("rechecks/<int:recheck_pk>/", oversight.RecheckDetailView.as_view(), name="recheck_detail"),
    path(
        "rechecks/<int:recheck_pk>/claims/<int:claim_pk>/",
        oversight.RecheckFindingView.as_view(),
        name="recheck_finding",
    ),
    path("<int:claim_pk>/", claim.ClaimDetailView.as_view(), name="claim_detail"),
    path("<int:claim_pk>/checks/", oversight.ClaimHospitalCheckView.as_view(), name="claim_hospital_check"),
    path(
        "<int:claim_pk>/checks/<int:check_document_pk>/",
        oversight.HospitalCheckScanView.as_view(),
        name="hospital_check_scan",
    ),
    path("<int:claim_pk>/edit/", claim.ClaimAmendView.as_view(), name="claim_amend"),
    path("<int:claim_pk>/review/", claim.ClaimReviewView.as_view(), name="claim_review"),
    path("<int:claim_pk>/handoff/", handoff.ClaimHandoffView.as_view(), name="claim_handoff"),
    path("<int:claim_pk>/documents/", claim.ClaimDocumentsView.as_view(), name="claim_documents"),
    path("<int:claim_pk>/documents/<int:document_pk>/", claim.ClaimDocumentView.as_view(), name="claim_document"),
    path("<int:claim_pk>/approval-form.pdf", paperwork.ClaimApprovalFormView.as_view(), name="claim_approval_form"),
    path("<int:claim_pk>/notice.pdf", paperwork.ClaimNoticeView.as_view(), name="claim_notice"),
    path("<int:claim_pk>/callback/", claim.ClaimCallbackView.as_view(), name="claim_callback"),
]
