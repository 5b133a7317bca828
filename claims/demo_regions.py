"""The regional plans of the demo: for each shape of rules the seeds describe (Shaoxing, Jinhua,
Quzhou, Huzhou, Inner Mongolia, the women workers' plan of Guangdong and Shaanxi, Shaanxi's
"inpatient and accident" and "allowance and critical illness", a plan settled by quarter), a plan
of the provincial office with this year's period and its schedule from the editor's presets, so
that the province sees each one in the list of schedules and can try a claim on it in the editor.
The plans of other regions (Zhejiang's cities, Inner Mongolia) are examples of their rules, not
plans this province offers: they are made inactive, so that the offices and units below are not
offered them (their plan lists, card printing, budgets and rankings start on the plans they are
in). Shaanxi's own shapes and the women workers' plan are offered.
Made through the same services an office uses; a plan that exists already is left alone."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from claims.benefits.editor import PRESETS
from claims.services.schedules import schedule_save
from enrollment.models import Plan, PlanKind
from enrollment.services import plans
from mutualaid import dates
from mutualaid.demo import demo_acting
from mutualaid.models import User


@dataclass(frozen=True)
class Region:
    """One regional plan: its name, kind, preset, premium and what its period adds."""

    name: str
    kind: str
    preset: str
    premium: str
    period: dict[str, Any] = field(default_factory=dict)
    october: bool = False  # the period runs from 1 October to 30 September (Jinhua)
    premium_from_seed: bool = True  # False: no seed gives the premium, the demo's is a demo figure
    elsewhere: bool = False  # another region's rules: an example kept by the province, not offered
    # Who reviews and who pays the plan's claims (Plan.claims_reviewed_by, Plan.claims_paid_by).
    reviewed_by: str = "city"
    paid_by: str = "reviewer"


# Premiums from seed 003 (Shaoxing 60, Jinhua and Quzhou 50, Huzhou 10 a year); seed 002 gives
# Inner Mongolia's 75% participation and the region's 10-yuan subsidy but no premium, and no seed
# gives the women workers', Shaanxi's or a quarterly plan's premium: those are demo figures, said
# so in the plan's description.
REGIONS: tuple[Region, ...] = (
    Region("绍兴·职工医疗互助保障", PlanKind.INPATIENT, "shaoxing_plan", "60.00", elsewhere=True),
    # Seed 003: Jinhua takes 在职职工（符合国家法定就业年龄）: in service and below the retirement age.
    Region(
        "金华·职工住院医疗互助保障",
        PlanKind.INPATIENT,
        "jinhua_working_age",
        "50.00",
        {"max_shares": 2, "retirement_limit": "women_55", "employment_statuses": ["in_service"]},
        True,
        elsewhere=True,
    ),
    Region("衢州·职工医疗互助保障", PlanKind.INPATIENT, "quzhou_threshold_abolished", "50.00", elsewhere=True),
    Region("湖州·职工重大疾病互助保障", PlanKind.CRITICAL, "huzhou_critical_illness", "10.00", elsewhere=True),
    Region(
        "内蒙古·职工住院医疗互助",
        PlanKind.INPATIENT,
        "inner_mongolia",
        "100.00",
        {"min_participation": Decimal("0.750"), "subsidy_kind": "fixed", "subsidy_amount": Decimal("10.00")},
        premium_from_seed=False,
        elsewhere=True,
    ),
    Region(
        "女职工特殊疾病互助保障",
        PlanKind.WOMEN,
        "women_workers",
        "30.00",
        {"gender": "F"},  # seeds 000, 001: women workers only
        premium_from_seed=False,
        # Seed 000: 女职工安康互助保障金由省互助会审核后划拨代办处给付参保人.
        reviewed_by="plan_office",
        paid_by="city",
    ),
    Region("陕西·住院+意外保障", PlanKind.ACCIDENT, "inpatient_and_accident", "80.00", premium_from_seed=False),
    Region(
        "陕西·津贴+重疾保障",
        PlanKind.ALLOWANCE_CRITICAL,
        "allowance_and_critical_illness",
        "60.00",
        premium_from_seed=False,
    ),
    Region(
        "巴彦淖尔临河·按季结算示例",
        PlanKind.INPATIENT,
        "burden_bands_quarterly",
        "60.00",
        {"subsidy_kind": "staged"},
        premium_from_seed=False,
        elsewhere=True,
    ),
)


def _description(region: Region) -> str:
    """What of the plan is a demo figure rather than the region's: said where an office reads it."""
    demo = [] if region.premium_from_seed else ["保费"]
    demo += list(PRESETS[region.preset].to_fill)
    elsewhere = "外地规则示例，未向本省单位开放。" if region.elsewhere else ""
    if not demo:
        return elsewhere + "演示：数字均取自种子材料。"
    return elsewhere + "演示数据：" + "、".join(demo) + "为演示数字，种子材料未给出，实际使用须由本会填写。"


def _rules(region: Region, starts_on: date) -> dict[str, Any]:
    """The preset's rules; a version dated before the period (Quzhou's 2016 change) is moved to
    the middle of the demo's period, so that the demo shows both sides of the change."""
    rules = copy.deepcopy(PRESETS[region.preset].schedule)
    for version in rules.get("versions", []):
        if date.fromisoformat(version["starts_on"]) <= starts_on:
            version["starts_on"] = date(starts_on.year, 7, 1).isoformat()
    return rules


def _period_settings(region: Region, year: int) -> dict[str, Any]:
    starts_on = date(year - 1, 10, 1) if region.october else date(year, 1, 1)
    ends_on = date(year, 9, 30) if region.october else date(year, 12, 31)
    settings: dict[str, Any] = {
        "label": f"{year}年度",
        "starts_on": starts_on,
        "ends_on": ends_on,
        "premium_per_share": Decimal(region.premium),
        "max_shares": 1,
        "min_participation": Decimal("0.000"),
        **region.period,
    }
    if settings.get("subsidy_kind") == "staged":
        # Linhe's staged subsidy (seed 002): 30 yuan by 31 July, 20 by 30 September, none after.
        settings["subsidy_stages"] = [
            {"until": date(year, 7, 31).isoformat(), "amount": "30.00"},
            {"until": date(year, 9, 30).isoformat(), "amount": "20.00"},
        ]
    return settings


def seed_step() -> str | None:
    """The demo's step (mutualaid/demo.py): the regional plans that do not exist yet."""
    head = User.auth_objects.get(username="sheng_head")
    year = dates.business_today().year
    made = 0
    with demo_acting(head):
        for region in REGIONS:
            if Plan.objects.filter(name=region.name).exists():
                continue
            plan = plans.plan_create(
                actor=head,
                name=region.name,
                kind=region.kind,
                description=_description(region),
                claims_reviewed_by=region.reviewed_by,
                claims_paid_by=region.paid_by,
                is_active=not region.elsewhere,
            )
            settings = _period_settings(region, year)
            period = plans.period_create(actor=head, plan=plan, **settings)
            schedule_save(actor=head, period=period, rules_data=_rules(region, settings["starts_on"]))
            made += 1
    return f"已建地区示例保障项目 / regional demo plans made: {made}" if made else None
