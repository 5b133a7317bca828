"""Subsidies from several union levels (省总工会、市总工会、县/区总工会、单位工会): a period records
what each level pays per share and who pays it; each list approved under the period records what
each level owes for its members, on the policy's issue or on the list's endorsement. Imported by
enrollment.models, so that they load with the app's models."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class UnionLevel(models.TextChoices):
    NATIONAL = "national", _("National federation (全总)")
    PROVINCE = "province", _("Provincial federation")
    CITY = "city", _("City federation")
    COUNTY = "county", _("County or district federation")
    UNIT = "unit", _("Grassroots union or employer")


@pghistory.track()
class PeriodSubsidy(TenantOwned):
    """One union level's subsidy on a period: an amount per share, paid by an office of the tree
    (`payer`) or by a body named in words (`payer_name`, e.g. 某市总工会). `org` is the office that
    runs the plan, as for the period; frozen with the period."""

    period = models.ForeignKey(
        "enrollment.Period", on_delete=models.PROTECT, related_name="subsidies", verbose_name=_("period")
    )
    level = models.CharField(_("union level"), max_length=10, choices=UnionLevel.choices)
    payer = models.ForeignKey(
        "mutualaid.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paying office"),
    )
    payer_name = models.CharField(_("paid by"), max_length=100, blank=True, default="")
    per_share = models.DecimalField(_("subsidy per share"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("union level subsidy")
        verbose_name_plural = _("union level subsidies")
        ordering = ["period_id", "pk"]
        indexes = [models.Index(fields=["org_path"], name="period_subsidy_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=Q(per_share__gt=0), name="period_subsidy_above_zero"),
            models.CheckConstraint(
                condition=Q(payer__isnull=False) | ~Q(payer_name=""), name="period_subsidy_names_its_payer"
            ),
            models.UniqueConstraint(fields=["period", "level"], name="period_subsidy_once_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.payer_label}"

    @property
    def payer_label(self) -> str:
        """Who pays, as a person reads it: the office's name, or the body named."""
        return self.payer.name if self.payer_id and self.payer else self.payer_name


@pghistory.track()
class SubsidyShare(TenantOwned):
    """What one union level owes for the members one approved list took on: per member and in
    all. `org` is the unit. On a correction's endorsement `amount` is the net change (what the
    list added less what the members it ended had been granted), so it may be negative."""

    policy = models.ForeignKey(
        "enrollment.Policy", on_delete=models.PROTECT, related_name="subsidy_shares", verbose_name=_("policy")
    )
    endorsement = models.ForeignKey(
        "enrollment.Endorsement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_shares",
        verbose_name=_("endorsement"),
    )
    member_list = models.ForeignKey(
        "enrollment.MemberList", on_delete=models.PROTECT, related_name="+", verbose_name=_("member list")
    )
    subsidy = models.ForeignKey(PeriodSubsidy, on_delete=models.PROTECT, related_name="+", verbose_name=_("subsidy"))
    per_member = models.DecimalField(_("per member"), default=Decimal("0"), **MONEY)
    members = models.PositiveIntegerField(_("members"), default=0)
    amount = models.DecimalField(_("amount"), default=Decimal("0"), **MONEY)

    class Meta(TenantOwned.Meta):
        verbose_name = _("union level subsidy owed")
        verbose_name_plural = _("union level subsidies owed")
        ordering = ["policy_id", "member_list_id", "subsidy_id"]
        indexes = [models.Index(fields=["org_path"], name="subsidy_share_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["member_list", "subsidy"], name="subsidy_share_once_per_list_and_level")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.subsidy_id}: {self.amount}"
