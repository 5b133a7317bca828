from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from claims import apis as claims_apis
from enrollment import apis as enrollment_apis
from finance.apis import api_urls as finance_api_urls
from mutualaid import account_views, apis, views
from reporting.apis import api_urls as reporting_api_urls

api_v1 = [
    path("me/", apis.Me.as_view(), name="api_me"),
    path("orgs/", apis.OrganisationList.as_view(), name="api_org_list"),
    path("orgs/<int:org_pk>/", apis.OrganisationDetail.as_view(), name="api_org_detail"),
    path("periods/", enrollment_apis.PeriodList.as_view(), name="api_period_list"),
    path("member-lists/", enrollment_apis.MemberListList.as_view(), name="api_member_list_list"),
    path("member-lists/<int:list_pk>/", enrollment_apis.MemberListDetail.as_view(), name="api_member_list_detail"),
    path("policies/", enrollment_apis.PolicyList.as_view(), name="api_policy_list"),
    path("policies/<int:policy_pk>/", enrollment_apis.PolicyDetail.as_view(), name="api_policy_detail"),
    path("enrollments/", enrollment_apis.EnrollmentList.as_view(), name="api_enrollment_list"),
    path("claims/", claims_apis.ClaimList.as_view(), name="api_claim_list"),
    path("claims/<int:claim_pk>/", claims_apis.ClaimDetail.as_view(), name="api_claim_detail"),
    path("claims/<int:claim_pk>/review/", claims_apis.ClaimReview.as_view(), name="api_claim_review"),
    path("claims/<int:claim_pk>/documents/", claims_apis.ClaimDocuments.as_view(), name="api_claim_documents"),
    path("claim-schedules/", claims_apis.ScheduleList.as_view(), name="api_schedule_list"),
    path("claim-schedules/<int:period_pk>/", claims_apis.ScheduleDetail.as_view(), name="api_schedule_detail"),
    path("payment-batches/", claims_apis.BatchList.as_view(), name="api_batch_list"),
    *finance_api_urls,
    *reporting_api_urls,
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", account_views.OtpVerifyView.as_view(), name="otp_verify"),
    path("accounts/otp/setup/", account_views.OtpSetupView.as_view(), name="otp_setup"),
    path("accounts/reauth/", account_views.ReauthView.as_view(), name="reauth"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("orgs/", views.OrgTreeView.as_view(), name="org_tree"),
    path("orgs/new/", views.OrgCreateView.as_view(), name="org_create"),
    path("orgs/<int:org_pk>/", views.OrgDetailView.as_view(), name="org_detail"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:user_pk>/toggle-active/", views.UserToggleActiveView.as_view(), name="user_toggle_active"),
    path("users/<int:user_pk>/reset-otp/", account_views.OtpResetView.as_view(), name="user_otp_reset"),
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("enrollment/", include("enrollment.urls")),
    path("claims/", include("claims.urls")),
    path("finance/", include("finance.urls")),
    path("reporting/", include("reporting.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^api/(?P<version>v1)/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api_schema"),
    path("admin/", admin.site.urls),
]

# A 503 with Retry-After while the database is away (mutualaid/outage.py); otherwise templates/500.html.
handler500 = "mutualaid.outage.server_error"
