from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def member_claims_panel(request: HttpRequest, enrollment: Any) -> tuple[str, dict[str, Any]] | None:
    """The member page's list of the person's claims in the viewer's scope."""
    if not request.user.has_perm("claims.view"):
        return None
    from claims.selectors import person_claims

    return "claims/partials/member_claims.html", {"claims": person_claims(enrollment=enrollment)}


def member_register_panel(request: HttpRequest, enrollment: Any) -> tuple[str, dict[str, Any]] | None:
    """The member page's "Register a claim", with the member chosen: the ID is not typed again."""
    if not request.user.has_perm("claims.register"):
        return None
    return "claims/partials/member_register.html", {"member": enrollment}


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        """Register with the core what claims adds: permissions, menu entries, URL objects, the
        member page's panel, the members' payout messages, encrypted personal data, retention
        rules and the demo's claims."""
        from mutualaid.badinput import register_query_ids

        register_query_ids("claim", "batch")
        from claims import demo, demo_regions, permissions, retention, tasks
        from claims.events import ClaimsBatchPaid
        from mutualaid import events, pii
        from mutualaid.demo import register_demo
        from mutualaid.nav import NavItem, register_nav
        from mutualaid.panels import register_panel
        from mutualaid.retention import register_rules
        from mutualaid.roles import register_permissions
        from mutualaid.routes import register_url_objects

        register_permissions(permissions.PERMISSIONS, approvals=permissions.APPROVALS)
        register_nav(
            NavItem(_("Claims"), "claims:claim_list", "claims.view", 40, "settlement"),
            NavItem(_("Register a claim"), "claims:claim_register", "claims.register", 41, "settlement"),
            NavItem(_("Claims deadlines"), "claims:deadlines", "claims.view", 42, "settlement"),
            NavItem(_("Claims nobody can review"), "claims:nobody_can_take", "claims.assign", 42, "settlement"),
            NavItem(_("Risk flags"), "claims:risk", "claims.view", 43, "settlement"),
            NavItem(_("Payment batches"), "claims:batch_list", "claims.view", 44, "settlement"),
            NavItem(_("Benefit schedules"), "claims:schedule_list", "claims.view", 45, "settlement"),
            NavItem(_("Claims settings"), "claims:settings", "claims.configure", 46, "settlement"),
            NavItem(_("Re-checks of paid claims"), "claims:recheck_list", "claims.recheck", 47, "settlement"),
        )
        register_url_objects(
            {
                "period_pk": "enrollment.Period",  # a period's benefit schedule
                "claim_pk": "claims.Claim",
                "document_pk": "claims.ClaimDocument",
                "batch_pk": "claims.PaymentBatch",
                "check_document_pk": "claims.HospitalCheckDocument",
                "recheck_pk": "claims.Recheck",
            }
        )
        events.subscribe(ClaimsBatchPaid, tasks.notify_members_when_paid)
        from claims.notices import KINDS
        from mutualaid.notices import register_notice_kinds

        register_notice_kinds(*KINDS)
        register_panel("enrollment.member", member_register_panel)
        register_panel("enrollment.member", member_claims_panel)
        pii.register_encrypted("claims.PendingUpload", file=True)
        pii.register_encrypted("claims.Claim", columns=("diagnosis_cipher", "account_cipher"))
        pii.register_encrypted("claims.ClaimDocument", file=True)
        pii.register_encrypted("claims.HospitalCheckDocument", file=True)
        register_rules(*retention.RULES)
        register_demo(demo.seed_step)
        register_demo(demo_regions.seed_step)
        from claims.todo import claims_todo
        from mutualaid.todo import register_todo

        register_todo(claims_todo)
