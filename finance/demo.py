"""Demo money for `manage.py seed_demo`: last month's premium of the demo policy received and
remitted by the agent point to the city (the city's own report left to draft), and a claims
batch paid after its payment was approved in three layers. Through the services, by the demo's
own logins."""

from __future__ import annotations

from claims.models import Claim
from claims.services import payment as claims
from enrollment.models import Policy
from finance.services import payments, premiums, remittances
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
        approved = Claim.objects.filter(status="approved").order_by("pk").first()
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

    finance = users["xian_finance"]
    with demo_acting(finance):
        batch = claims.batch_create(actor=finance, claim_ids=[approved.pk])
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
        # The province pools the premium while the city pays the claims: the city's bank account
        # goes below zero, which finance confirms with its reason (shown on the payment's page).
        payments.payment_mark_paid(
            actor=finance,
            payment=payment,
            paid_on=today,
            bank_reference="CCB-XA-PAY-0001",
            overdraw_reason="省级统筹，保费按月上解省办；理赔款由市专户先行垫付，待省级拨回",
        )
    return True


DEMO_USERS = ["yanta_agent", "xian_finance", "xian_finance_head", "xian_head", "xian_leader"]
