from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from finance import services
        from mutualaid import events

        events.subscribe("policy_issued", services.on_policy_issued)
        events.subscribe("claims_batch_export", services.on_claims_batch_export)
        events.subscribe("claims_batch_paid", services.on_claims_batch_paid)
