"""The settlement of premium remitted for members a correction later ended (更正退费结算): the office
below took their premium off what it owes above (the correction's endorsement) and paid the unit
back, while the office above still holds it from the month's remittance. Loaded with
finance.models, which re-exports every name here."""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from finance.decisionmodels import OverdraftDecision
from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class SettlementStatus(models.TextChoices):
    OPEN = "open", _("To be netted in the next remittance")
    REQUESTED = "requested", _("Payment asked of the office above")
    NETTED = "netted", _("Netted in a remittance")
    PAID = "paid", _("Paid by the office above")


@pghistory.track()
class RemittanceSettlement(OverdraftDecision, TenantOwned):
    """What the office above (`to_office`) owes back to the remitting office (`org`) for one
    correction's endorsement: the premium of the members it ended, carried by a report of `month`
    that was drafted before the correction and has been remitted. Netted by the office's next
    report that carries premium of the plan (`netted_in`, its status netted once confirmed), or,
    with no such report, paid by the office above on the office's request.

    One per office and endorsement (the database refuses a second): finding it twice, or two
    drafts at once, record it once."""

    to_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("owed by")
    )
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    endorsement = models.ForeignKey(
        "enrollment.Endorsement", on_delete=models.PROTECT, related_name="+", verbose_name=_("endorsement")
    )
    month = models.DateField(_("month remitted"))  # the report that carried the ended members
    carried_in = models.ForeignKey(
        "finance.Remittance", on_delete=models.PROTECT, related_name="found_settlements", verbose_name=_("remitted in")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.OPEN
    )
    netted_in = models.ForeignKey(
        "finance.Remittance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlements",
        verbose_name=_("netted in"),
    )
    requested_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("asked by")
    )
    requested_on = models.DateField(_("asked on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    paid_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("paid by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("remittance settlement")
        verbose_name_plural = _("remittance settlements")
        ordering = ["month", "pk"]
        indexes = [models.Index(fields=["org_path"], name="settlement_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["org", "endorsement"], name="one_settlement_per_office_and_endorsement"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.endorsement} {self.amount}"
