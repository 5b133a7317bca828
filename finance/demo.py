"""Demo money for `manage.py seed_demo`, in the Jiangmen model (the province pools the premium,
the city reviews and pays the claims): last month's premium of the demo policy received by the
agent point, remitted to the city and by the city to the province; the city asks the province
for an allocation for its claims batch, the province approves it in three layers and transfers
it, the city confirms it arrived and pays the batch from it after its payment was approved in
three layers: no bank account goes below zero. Through the services, by the demo's own logins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claims.models import Claim, PaymentBatch
from claims.services import payment as claims
from enrollment.models import Policy
from finance.models import Allocation, Remittance
from finance.services import allocations, payments, premiums, remittances
from finance.services.income import income_record
from mutualaid import dates
from mutualaid.demo import demo_acting
from mutualaid.models import User
from mutualaid.tenancy import unscoped


def seed_step() -> None:
    """The demo's step (mutualaid/demo.py); it prints nothing of its own."""
    seed()


def seed() -> bool:
    with unscoped():  # seeding: the demo's logins and objects of every office, before any scope
        if Claim.objects.filter(status="paid").exists():
            return False
        users = {u.username: u for u in User.auth_objects.filter(username__in=DEMO_USERS)}
        policy = Policy.objects.order_by("pk").first()
        approved = Claim.objects.filter(status="approved").select_related("period__plan").order_by("pk").first()
    if policy is None or approved is None:
        return False
    today = dates.business_today()
    last_month = dates.last_month()
    # The demo policy was issued last month (enrollment/demo.py): its premium is that month's to remit.
    agent, city = users["yanta_agent"], users["xian_finance_head"]
    with demo_acting(agent) as agent_point:
        premiums.premium_receive(actor=agent, policy=policy, received_on=today, bank_reference="CCB-YT-PREM-0001")
        report = remittances.remittance_draft(actor=agent, office=agent_point, month=last_month)
        remittances.remittance_confirm(
            actor=agent,
            remittance=report,
            amount=report.amount_due,
            bank_reference="CCB-YT-REM-0001",
            remitted_on=today,
        )
    with demo_acting(city):
        remittances.remittance_receive(actor=city, remittance=report)

    _city_remits(users, last_month)
    finance = users["xian_finance"]
    with demo_acting(finance):
        batch = claims.batch_create(actor=finance, claim_ids=[approved.pk])
    _allocate(users, batch, approved)
    with demo_acting(finance):
        payment = payments.payment_prepare(
            actor=finance, plan=None, kind="claims_batch", amount=None, payee="", purpose="", claims_batch=batch
        )
    for username in ("xian_head", "xian_finance_head", "xian_leader"):
        approver = users[username]
        with demo_acting(approver):
            payment = payments.payment_approve(actor=approver, payment=payment, version=payment.version)
    with demo_acting(finance):
        payments.payment_transfer_file(actor=finance, payment=payment)
        payment = payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        payments.payment_mark_paid(actor=finance, payment=payment, paid_on=today, bank_reference="CCB-XA-PAY-0001")
    return True


def _city_remits(users: dict[str, User], month: date) -> Remittance:
    """The city's consolidated report of the month to the province, remitted and received."""
    today = dates.business_today()
    city_finance, province_finance = users["xian_finance_head"], users["sheng_finance_head"]
    with demo_acting(city_finance) as city:
        report = remittances.remittance_draft(actor=city_finance, office=city, month=month)
        report = remittances.remittance_confirm(
            actor=city_finance,
            remittance=report,
            amount=report.amount_due,
            bank_reference="CCB-XA-REM-0001",
            remitted_on=today,
        )
    with demo_acting(province_finance):
        return remittances.remittance_receive(actor=province_finance, remittance=report)


def _allocate(users: dict[str, User], batch: PaymentBatch, claim: Claim) -> Allocation:
    """The province allocates the batch's money to the city: asked for by the city, approved in
    three layers at the province, transferred, and confirmed received by the city. The pooled
    premium of one demo policy does not cover the batch: the provincial federation's special
    subsidy (seed 001: 省总从经费中拨付专项资金补助职工参保) is in the province's account first."""
    today = dates.business_today()
    province_finance = users["sheng_finance_head"]
    with demo_acting(province_finance):
        income_record(
            actor=province_finance,
            plan=claim.period.plan,
            kind="subsidy",
            amount=Decimal("20000.00"),
            payer="陕西省总工会",
            union_level="province",
            received_on=today,
            bank_reference="CCB-SX-SUB-0001",
            note="省总工会专项资金补助职工参保",
        )
    asker = users["xian_finance"]
    with demo_acting(asker):
        made = allocations.allocation_request(
            actor=asker, plan=claim.period.plan, purpose="claims_batch", amount=None, claims_batch=batch
        )
    for username in ("sheng_head", "sheng_finance_head", "sheng_leader"):
        signer = users[username]
        with demo_acting(signer):
            made = allocations.allocation_approve(
                actor=signer, allocation=made, version=made.version, meeting="省办主任办公会", meeting_on=today
            )
    sender = users["sheng_finance"]
    with demo_acting(sender):
        made = allocations.allocation_transfer(
            actor=sender, allocation=made, version=made.version, transferred_on=today, bank_reference="CCB-SX-HB-0001"
        )
    receiver = users["xian_finance_head"]
    with demo_acting(receiver):
        return allocations.allocation_receive(actor=receiver, allocation=made, version=made.version)


DEMO_USERS = [
    "yanta_agent",
    "xian_finance",
    "xian_finance_head",
    "xian_head",
    "xian_leader",
    "sheng_head",
    "sheng_finance",
    "sheng_finance_head",
    "sheng_leader",
]
