"""The written decision to pay beyond the bank balance, as a model's fields (an abstract model).
Imports nothing of finance, so that finance.models and the modules it loads can all use it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualaid.money import MONEY


class OverdraftDecision(models.Model):
    """Paid or transferred beyond the office's bank balance (with what it is committed to): the
    written decision, who made it, when, and the shortfall (finance/services/overdraft.py
    `OverdraftDecided.fields()` fills them). Kept by payments, remittances, settlements and refunds
    to union levels."""

    overdraw_reason = models.CharField(_("reason for overdrawing the bank account"), max_length=300, blank=True)
    overdraw_by = models.ForeignKey(
        "mutualaid.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    overdraw_at = models.DateTimeField(_("overdraft confirmed at"), null=True, blank=True)
    overdraw_shortfall = models.DecimalField(_("shortfall"), null=True, blank=True, **MONEY)

    class Meta:
        abstract = True
