from django.urls import path

from enrollment import approval_views, card_views, document_views, notice_views, subsidy_views, views

app_name = "enrollment"

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/new/", views.PlanCreateView.as_view(), name="plan_create"),
    path("plans/<int:plan_pk>/periods/new/", views.PeriodCreateView.as_view(), name="period_create"),
    path("periods/<int:period_pk>/subsidies/", subsidy_views.PeriodSubsidyView.as_view(), name="period_subsidies"),
    path("template.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    path("lists/", views.ListListView.as_view(), name="list_list"),
    path("lists/upload/", views.UploadView.as_view(), name="upload"),
    path("lists/<int:list_pk>/", views.ListDetailView.as_view(), name="list_detail"),
    path("lists/<int:list_pk>/progress/", views.ListProgressView.as_view(), name="list_progress"),
    path("lists/<int:list_pk>/checked.xlsx", views.ListAnnotatedView.as_view(), name="list_annotated"),
    path("lists/<int:list_pk>/to-correct.xlsx", views.ListFailedRowsView.as_view(), name="list_failed_rows"),
    path("lists/<int:list_pk>/approval/", approval_views.ListApprovalView.as_view(), name="list_approval"),
    path("lists/<int:list_pk>/<str:action>/", views.ListActionView.as_view(), name="list_action"),
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/<int:policy_pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("endorsements/<int:endorsement_pk>/", views.EndorsementDetailView.as_view(), name="endorsement_detail"),
    path("policies/<int:policy_pk>/renew/", views.RenewalView.as_view(), name="renewal"),
    path(
        "policies/<int:policy_pk>/<str:document>",
        document_views.PolicyDocumentView.as_view(),
        name="policy_document",
    ),
    path("renewal-notices/", notice_views.RenewalNoticesView.as_view(), name="renewal_notices"),
    path("units/<int:unit_pk>/contact/", notice_views.UnitContactView.as_view(), name="unit_contact"),
    path("members/", views.MemberSearchView.as_view(), name="member_search"),
    path("members/<int:enrollment_pk>/", views.MemberView.as_view(), name="member"),
    path("cards/", card_views.CardJobView.as_view(), name="card_jobs"),
    path("cards/<int:job_pk>/", card_views.CardJobProgressView.as_view(), name="card_job"),
]
