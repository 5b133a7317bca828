from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        """Register with the core what finance adds: permissions, menu entries, URL objects, the
        ledger's protection, the subscriber that books the premium of an issued policy, the claims
        batch page's payment panel, and the demo's money."""
        from claims.events import OverpaymentFound
        from enrollment.events import EndorsementIssued, EnrollmentCancelled, PolicyIssued
        from finance import demo, permissions
        from finance.services import premiums, recoveries, settlements, subsidies
        from finance.views import payments
        from finance.views import recoveries as recovery_views
        from mutualaid import events
        from mutualaid.dbguard import guard_ledger
        from mutualaid.demo import register_demo
        from mutualaid.nav import NavItem, register_nav
        from mutualaid.panels import register_panel
        from mutualaid.roles import register_permissions
        from mutualaid.routes import register_url_objects

        register_permissions(permissions.PERMISSIONS, approvals=permissions.APPROVALS)
        register_nav(
            NavItem(_("Books"), "finance:books", "finance.view", 50, "money"),
            NavItem(_("Premiums"), "finance:premiums", "finance.view", 51, "money"),
            NavItem(_("Premium remittances"), "finance:remittance_list", "finance.view", 52, "money"),
            NavItem(_("Payments"), "finance:payment_list", "finance.view", 53, "money"),
            NavItem(_("Allocations"), "finance:allocation_list", "finance.view", 53, "money"),
            NavItem(_("Income"), "finance:income_list", "finance.view", 53, "money"),
            NavItem(_("Union subsidies receivable"), "finance:subsidy_list", "finance.view", 53, "money"),
            NavItem(_("Payments and income by kind"), "finance:flow_list", "finance.view", 53, "money"),
            NavItem(_("Deposits and bonds"), "finance:deposit_list", "finance.view", 53, "money"),
            NavItem(_("Bank reconciliation"), "finance:bank_list", "finance.view", 54, "money"),
            NavItem(_("Statement"), "finance:statement", "finance.view", 55, "money"),
            NavItem(_("Budget"), "finance:budget", "finance.view", 56, "money"),
            NavItem(_("Finance settings"), "finance:settings", "finance.configure", 57, "money"),
            NavItem(_("Premium receipts"), "finance:receipt_list", "finance.view", 58, "money"),
            NavItem(_("Solvency"), "finance:solvency", "finance.view", 59, "money"),
            NavItem(_("Fund statements"), "finance:fund_statement_list", "finance.view", 60, "money"),
            NavItem(_("Recoveries of overpaid claims"), "finance:recovery_list", "finance.view", 61, "money"),
        )
        register_url_objects(
            {
                "entry_pk": "finance.JournalEntry",
                "remittance_pk": "finance.Remittance",
                "payment_pk": "finance.PaymentRequest",
                "statement_pk": "finance.BankStatement",
                "batch_pk": "claims.PaymentBatch",  # a claims batch's payment
                "receipt_pk": "finance.PremiumReceipt",
                "fund_statement_pk": "finance.FundStatement",
                "recovery_pk": "finance.Recovery",
                "allocation_pk": "finance.Allocation",
                "deposit_pk": "finance.Deposit",
                "settlement_pk": "finance.RemittanceSettlement",
            }
        )
        guard_ledger(
            "finance.JournalEntry", "finance.JournalLine", "finance.RecoveryRepayment", "finance.AllocationApproval"
        )
        events.subscribe(PolicyIssued, premiums.on_policy_issued)
        events.subscribe(EndorsementIssued, premiums.on_endorsement_issued)
        events.subscribe(EndorsementIssued, settlements.on_endorsement_issued)
        events.subscribe(EnrollmentCancelled, subsidies.on_enrollment_cancelled)
        events.subscribe(OverpaymentFound, recoveries.on_overpayment_found)
        register_panel("claims.batch", payments.batch_payment_panel)
        register_panel("claims.claim", recovery_views.claim_recovery_panel)
        register_demo(demo.seed_step)
        from finance.todo import allocations_todo, deposits_todo, payments_todo, remittances_todo
        from mutualaid.todo import register_todo

        register_todo(payments_todo)
        register_todo(remittances_todo)
        register_todo(allocations_todo)
        register_todo(deposits_todo)
