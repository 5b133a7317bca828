"""The core's pages (home, login, organisations, accounts, audit trail, health) and API routes;
config/urls.py mounts them beside the domain apps'."""

from django.contrib.auth import views as auth_views
from django.urls import path

from mutualaid import account_views, apis, audit_views, list_views, notice_views, unit_views, views

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
    path("orgs/", list_views.OrgTreeView.as_view(), name="org_tree"),
    path("orgs/new/", views.OrgCreateView.as_view(), name="org_create"),
    path("orgs/units.xlsx", unit_views.UnitExportView.as_view(), name="unit_export"),
    path("orgs/units/import/", unit_views.UnitImportView.as_view(), name="unit_import"),
    path("orgs/<int:org_pk>/", views.OrgDetailView.as_view(), name="org_detail"),
    path("users/", list_views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:user_pk>/toggle-active/", views.UserToggleActiveView.as_view(), name="user_toggle_active"),
    path("users/<int:user_pk>/reset-otp/", account_views.OtpResetView.as_view(), name="user_otp_reset"),
    path("users/grants/", list_views.GrantListView.as_view(), name="grant_list"),
    path("users/<int:user_pk>/grants/", views.UserGrantDecideView.as_view(), name="user_grant_decide"),
    path("users/<int:user_pk>/enrolment-code/", views.UserEnrolmentCodeView.as_view(), name="user_enrolment_code"),
    path("audit/", audit_views.AuditListView.as_view(), name="audit_list"),
    path("notices/", notice_views.NoticeListView.as_view(), name="notice_list"),
    path("notices/<int:notice_pk>/retry/", notice_views.NoticeRetryView.as_view(), name="notice_retry"),
    path("notices/wording/", notice_views.NoticeTemplateListView.as_view(), name="notice_templates"),
    path("notices/wording/<str:kind>/", notice_views.NoticeTemplateEditView.as_view(), name="notice_template_edit"),
    path("healthz", views.healthz, name="healthz"),
]

api_urls = [
    path("me/", apis.Me.as_view(), name="api_me"),
    path("orgs/", apis.OrganisationList.as_view(), name="api_org_list"),
    path("orgs/<int:org_pk>/", apis.OrganisationDetail.as_view(), name="api_org_detail"),
]
