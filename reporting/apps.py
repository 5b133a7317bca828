from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        """Register with the core what reporting adds: permissions, menu entries, URL objects and
        retention rules."""
        from mutualaid.nav import NavItem, register_nav
        from mutualaid.replica import register_replica_routes
        from mutualaid.retention import register_rules
        from mutualaid.roles import register_permissions
        from mutualaid.routes import register_url_objects
        from reporting import permissions, retention

        register_permissions(permissions.PERMISSIONS)
        register_nav(
            NavItem(_("Leaders' dashboard"), "reporting:dashboard", "reporting.view", 30, "reports"),
            NavItem(_("Monthly overview"), "reporting:overview", "reporting.view", 31, "reports"),
            NavItem(_("Monthly roll-ups"), "reporting:snapshots", "reporting.view", 32, "reports"),
            NavItem(_("Annual targets"), "reporting:targets", "reporting.view", 33, "reports"),
            NavItem(_("Rankings"), "reporting:rankings", "reporting.view", 34, "reports"),
            NavItem(_("Exports"), "reporting:exports", "reporting.view", 35, "reports"),
            NavItem(_("Rule-change proposals"), "reporting:proposals", "reporting.proposals", 36, "reports"),
            NavItem(_("Audit rectification"), "reporting:finding_list", "oversight.view", 37, "reports"),
            NavItem(_("Archive register"), "reporting:archive_list", "oversight.view", 38, "reports"),
            NavItem(_("Documents exchanged"), "reporting:letter_list", "oversight.view", 39, "reports"),
        )
        register_url_objects(
            {
                "snapshot_pk": "reporting.Snapshot",
                "export_pk": "reporting.ExportJob",
                "proposal_pk": "reporting.Proposal",
                "simulation_pk": "reporting.SimulationRun",
                "finding_pk": "reporting.AuditFinding",
                "evidence_pk": "reporting.FindingEvidence",
                "volume_pk": "reporting.ArchiveVolume",
                "letter_pk": "reporting.Correspondence",
            }
        )
        from mutualaid import pii

        pii.register_encrypted("reporting.FindingEvidence", file=True)
        pii.register_encrypted("reporting.Correspondence", file=True)
        register_rules(*retention.RULES)
        # Pages and API calls that only read figures: on a replica when there is one.
        register_replica_routes(
            "reporting:dashboard",
            "reporting:overview",
            "reporting:overview_xlsx",
            "reporting:overview_pdf",
            "reporting:snapshots",
            "reporting:rankings",
            "reporting:rankings_xlsx",
            "reporting:rankings_pdf",
            "api_reporting_overview",
            "api_reporting_rankings",
            "api_reporting_snapshots",
            "api_reporting_snapshot",
        )
        from finance.selectors.remittances import register_premium_source
        from mutualaid.todo import register_todo
        from reporting.running import premium_owed
        from reporting.todo import findings_todo, reports_todo

        register_premium_source(premium_owed)

        register_todo(reports_todo)
        register_todo(findings_todo)
