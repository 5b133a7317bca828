"""Who reviews a plan's claims and who pays them (Plan.claims_reviewed_by, Plan.claims_paid_by).

Seed 000: 职工医疗互助保障金直接由江门代办处审核后给付患病职工…；女职工安康互助保障金由省互助会审核后
划拨代办处给付参保人: the city reviews and pays the workers' medical plan, while the province reviews
the women workers' plan and the city pays it from what the province allocates.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClaimsReviewedBy(models.TextChoices):
    CITY = "city", _("The city office above the member's unit")
    PLAN_OFFICE = "plan_office", _("The office that runs the plan")


class ClaimsPaidBy(models.TextChoices):
    REVIEWER = "reviewer", _("The office that reviews them")
    CITY = "city", _("The city office above the member's unit")
