"""Builders the portal tests share (integration and browser), and checks of them.

A "world" is two customers: ours (Accounts Payable clerk and a view-only user, three open
invoices, a saved card) and theirs (an invoice, a saved card, a payment, a scheduled
payment), so that every test can try theirs' ids through our login.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.models import Customer, Membership, Role
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_create
from tests.factories import make_customer, make_invoice

SETUP = Actor(label="test-setup")
PASSWORD = "portal-test-password-1"
APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
_names = itertools.count(1)


def portal_user(*memberships: tuple[Customer, str], username: str | None = None):
    """A portal login with a role at each of the given customers."""
    user = get_user_model().objects.create_user(
        username or f"portal-user-{next(_names)}",
        password=PASSWORD,
        first_name="Pat",
        last_name="Lopez",
    )
    for customer, role in memberships:
        Membership.objects.create(user=user, customer=customer, role=role)
    return user


def saved_card(customer: Customer, number: str = APPROVE) -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=12, exp_year=timezone.localdate().year + 3, cvc="123")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=SETUP)


def give_credit(customer: Customer, invoice: Invoice, extra: str) -> Payment:
    """Overpay `invoice` by `extra` with a check: the rest becomes customer credit."""
    return payment_post(
        customer=customer,
        amount=invoice.balance_due + Money.of(extra, customer.currency),
        payment_type="check",
        reference="4411",
        invoices=[InvoiceRequest(invoice.number)],
        idempotency_key=f"credit-{invoice.number}",
        actor=SETUP,
        source="backoffice",
    )


@dataclass
class World:
    ours: Customer
    clerk: object
    viewer: object
    invoices: list[Invoice]
    card: PaymentMethod
    theirs: Customer
    their_invoice: Invoice
    their_card: PaymentMethod
    their_payment: Payment
    their_schedule: ScheduledPayment


def make_world() -> World:
    ours = make_customer()
    invoices = [
        make_invoice(ours, "100.00", days_ago=60),  # overdue
        make_invoice(ours, "250.50", days_ago=20),
        make_invoice(ours, "75.25", days_ago=5),
    ]
    card = saved_card(ours)
    theirs = make_customer()
    their_invoice = make_invoice(theirs, "999.00")
    paid = make_invoice(theirs, "10.00")
    their_card = saved_card(theirs)
    their_payment = payment_post(
        customer=theirs,
        amount=Money.of("10.00", theirs.currency),
        payment_type="check",
        reference="77",
        invoices=[InvoiceRequest(paid.number)],
        idempotency_key="their-check",
        actor=SETUP,
        source="backoffice",
    )
    held = make_invoice(theirs, "20.00", days_ago=1)
    their_schedule = schedule_create(
        customer=theirs,
        method=their_card,
        invoice_numbers=[held.number],
        run_on=timezone.localdate() + timedelta(days=5),
        idempotency_key="their-schedule",
        actor=SETUP,
        source="portal",
    )
    return World(
        ours=ours,
        clerk=portal_user((ours, Role.ACCOUNTS_PAYABLE)),
        viewer=portal_user((ours, Role.VIEWER)),
        invoices=invoices,
        card=card,
        theirs=theirs,
        their_invoice=their_invoice,
        their_card=their_card,
        their_payment=their_payment,
        their_schedule=their_schedule,
    )


@pytest.mark.django_db
def test_the_world_gives_each_customer_their_own_things():
    world = make_world()
    assert {i.customer_id for i in world.invoices} == {world.ours.pk}
    assert world.their_payment.customer_id == world.their_card.customer_id == world.theirs.pk
    assert world.clerk.memberships.get().role == Role.ACCOUNTS_PAYABLE
    assert world.viewer.memberships.get().role == Role.VIEWER
