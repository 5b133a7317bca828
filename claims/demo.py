"""Demo claims for `manage.py seed_demo`: the demo plan's schedule, and one claim in each state
of the review so that every claims page has something to show (finance/demo.py pays one). Made
through the same services an office uses, by the demo's own reviewers, one person per level."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import Claim
from claims.services.documents import Upload, document_check
from claims.services.figures import Figures, Payee
from claims.services.registration import claim_register
from claims.services.review import claim_review
from claims.services.schedules import schedule_save
from enrollment.models import Enrollment, Period
from mutualaid import dates
from mutualaid.demo import demo_acting
from mutualaid.models import User
from mutualaid.tenancy import unscoped

SCHEDULE = {
    "segments": [{"upto": None, "ratio": "0.8"}],
    "daily_allowance": "25",
    "cap_per_period": "50000",
    "minimum_payout": "50",
    "rounding": "yuan_half_up",
}


def _scan(label: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (420, 560), "white")
    ImageDraw.Draw(image).text((30, 30), label, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF")
    return buffer.getvalue()


# The scans' file names as an agent's scanner names them, in Chinese (the claim page lists them).
SCAN_NAMES = {"discharge": "出院小结", "invoice": "医疗费用发票", "settlement": "结算单"}


def _documents(kinds: tuple[str, ...]) -> list[Upload]:
    return [
        document_check(kind=kind, upload=SimpleUploadedFile(SCAN_NAMES.get(kind, kind) + ".pdf", _scan(f"demo {kind}")))
        for kind in kinds
    ]


def seed_step() -> str | None:
    """The demo's step (mutualaid/demo.py): claims on the demo plan's current period."""
    from enrollment.demo import PLAN_NAME

    period = Period.objects.filter(plan__name=PLAN_NAME).order_by("-starts_on").first()
    made = seed(period=period) if period else 0
    return f"已登记演示理赔 / demo claims registered: {made}" if made else None


def seed(*, period: Period) -> int:
    """Returns the number of demo claims made (0 when they exist already or it is too early in
    the year for past hospital stays)."""
    with unscoped():  # seeding: the demo's people and members across the whole tree
        if Claim.objects.exists():
            return 0
        users = {u.username: u for u in User.auth_objects.filter(username__startswith="xian_")}
        users.update({u.username: u for u in User.auth_objects.filter(username__in=["sheng_head", "yanta_agent"])})
        members = list(Enrollment.objects.filter(period=period).order_by("number")[:6])
    today = dates.business_today()
    if (today - period.starts_on).days < 60 or len(members) < 6:
        return 0
    head = users["sheng_head"]
    with demo_acting(head):
        schedule_save(actor=head, period=period, rules_data=SCHEDULE)
    agent = users["yanta_agent"]
    levels = [users["xian_claims"], users["xian_supervisor"], users["xian_compliance"]]
    made: list[Claim] = []
    # (member, days before today admitted, days in hospital, self-paid, documents, levels passed)
    plan = [
        (0, 55, 10, "2287.99", ("discharge", "invoice", "settlement"), 3),
        (1, 40, 6, "5120.40", ("discharge", "invoice", "settlement"), 3),
        (2, 30, 4, "860.00", ("discharge", "invoice", "settlement"), 2),
        (3, 20, 12, "12800.00", ("discharge", "invoice", "settlement"), 1),
        (4, 12, 3, "310.50", ("discharge", "invoice", "settlement"), 0),
        (5, 8, 5, "1500.00", ("invoice",), 0),
    ]
    for index, ago, days, self_paid, kinds, passed in plan:
        member = members[index]
        admitted = today - timedelta(days=ago)
        paid = Decimal(self_paid)
        figures = Figures(
            care_type="inpatient",
            admitted_on=admitted,
            discharged_on=admitted + timedelta(days=days),
            hospital=["西安交通大学第一附属医院", "西安市第四医院", "陕西省人民医院"][index % 3],
            diagnosis=[
                "社区获得性肺炎",
                "腰椎间盘突出症",
                "急性阑尾炎",
                "冠状动脉粥样硬化性心脏病",
                "胆囊结石",
                "2型糖尿病",
            ][index],
            total_cost=(paid * 4).quantize(Decimal("0.01")),
            insurance_paid=(paid * Decimal("2.6")).quantize(Decimal("0.01")),
            deductible_part=(paid * Decimal("0.3")).quantize(Decimal("0.01")),
            self_paid=paid,
            not_covered=(paid * 4 - paid * Decimal("2.6") - paid * Decimal("0.3") - paid).quantize(Decimal("0.01")),
            invoices=(f"61{admitted:%Y%m%d}{index:04d}",),
        )
        payee = Payee(name=member.name, bank_name="中国建设银行西安雁塔支行", account_number=f"62170036{index:011d}")
        with demo_acting(agent):
            claim = claim_register(
                actor=agent, enrollment=member, figures=figures, payee=payee, documents=_documents(kinds)
            )
        for reviewer in levels[:passed]:
            with demo_acting(reviewer):
                current = Claim.objects.get(pk=claim.pk)
                claim = claim_review(actor=reviewer, claim=current, version=current.version, action="pass")
        made.append(claim)
    return len(made)
