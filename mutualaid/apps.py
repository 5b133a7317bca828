from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualaidConfig(AppConfig):
    name = "mutualaid"
    verbose_name = _("Core: organisations, accounts, audit")

    def ready(self) -> None:
        # Connects the login signal that stamps a password confirmation (re-authentication).
        from mutualaid import twofactor  # noqa: F401

        self._guard_the_database()
        from mutualaid import pii

        # The notices' phone numbers and texts (which name the person), for `manage.py reencrypt_pii`.
        pii.register_encrypted("mutualaid.Notice", columns=("phone_cipher", "text_cipher"))
        from mutualaid import notice_retention
        from mutualaid.retention import register_rules

        register_rules(*notice_retention.RULES)
        from mutualaid.listing import remember_table_signatures

        remember_table_signatures()

    def _guard_the_database(self) -> None:
        """The audit and ledger tables' triggers are (re)installed after every migrate; importing
        retention registers the check of its settings."""
        from django.db.models.signals import post_migrate

        from mutualaid import dbguard, retention  # noqa: F401

        post_migrate.connect(dbguard.install_guards, sender=self, dispatch_uid="mutualaid_dbguard")
