from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self) -> None:
        """Register with the core what enrollment adds: permissions, menu entries, URL objects,
        encrypted personal data, retention rules and the demo's data."""
        from mutualaid.badinput import register_query_ids

        register_query_ids("plan", "period", "policy", "list", "enrollment")
        from enrollment import demo, permissions, retention
        from mutualaid import pii
        from mutualaid.demo import register_demo
        from mutualaid.nav import NavItem, register_nav
        from mutualaid.retention import register_rules
        from mutualaid.roles import register_permissions
        from mutualaid.routes import register_url_objects

        register_permissions(permissions.PERMISSIONS, deciding=permissions.DECIDING)
        register_nav(
            NavItem(_("Member lists"), "enrollment:list_list", "enrollment.view", 20, "underwriting"),
            NavItem(_("Policies"), "enrollment:policy_list", "enrollment.view", 21, "underwriting"),
            NavItem(_("Member search"), "enrollment:member_search", "enrollment.view", 22, "underwriting"),
            NavItem(_("Card printing"), "enrollment:card_jobs", "enrollment.view", 23, "underwriting"),
            NavItem(_("Plans"), "enrollment:plan_list", "enrollment.view", 24, "underwriting"),
        )
        register_url_objects(
            {
                "plan_pk": "enrollment.Plan",
                "period_pk": "enrollment.Period",
                "list_pk": "enrollment.MemberList",
                "policy_pk": "enrollment.Policy",
                "endorsement_pk": "enrollment.Endorsement",
                "job_pk": "enrollment.CardPrintJob",
                "enrollment_pk": "enrollment.Enrollment",
                "unit_pk": "mutualaid.Organisation",  # a unit (its contact for notices)
            }
        )
        pii.register_encrypted("enrollment.Enrollment", columns=("id_cipher", "phone_cipher"))
        pii.register_encrypted("enrollment.ListRow", columns=("id_cipher", "phone_cipher"))
        pii.register_encrypted("enrollment.MemberList", file=True)
        pii.register_encrypted("enrollment.CardPrintJob", file=True)
        pii.register_encrypted("enrollment.UnitContact", columns=("phone_cipher",))
        register_rules(*retention.RULES)
        register_demo(demo.seed)
        from enrollment import notices, tasks
        from enrollment.events import EndorsementIssued, PolicyIssued
        from mutualaid import events
        from mutualaid.notices import register_notice_kinds, register_phone_source

        register_notice_kinds(*notices.KINDS)
        register_phone_source("renewal_notice", notices.renewal_phones)
        register_phone_source("enrollment_confirmed", notices.enrolled_phones)
        from enrollment.notice_views import unit_contact_panel
        from mutualaid.panels import register_panel

        register_panel("mutualaid.org", unit_contact_panel)
        events.subscribe(PolicyIssued, tasks.on_list_approved)
        events.subscribe(EndorsementIssued, tasks.on_list_approved)
        register_nav(NavItem(_("Renewal notices"), "enrollment:renewal_notices", "notices.manage", 25, "underwriting"))
        from enrollment.todo import enrollment_todo
        from mutualaid.todo import register_todo

        register_todo(enrollment_todo)
