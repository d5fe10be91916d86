"""Card payments and voids requested many times at once (DESIGN rules 8 and 9), with real
threads and real row locks on PostgreSQL.

The sandbox keeps its store in the same database and counts every call it receives, so
"one charge" and "one void" are counted at the gateway, not inferred from remit's rows.

Each thread has its own connection (Django's are per thread) and closes it at the end.
`serialized_rollback=True`: the flush that ends a transactional test empties the
numbering counters made by core's migrations; restoring them keeps `next_number` working.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest

from remit.core.audit import Actor
from remit.core.errors import AttemptInProgress, RemitError, TransitionRefused
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.models import SandboxCharge
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import GatewayAttempt, Payment, PaymentMethod
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, failures, successes, together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20
VOIDERS = 10


def add_card(customer: Customer, number: str = "4242424242424242") -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number, 12, date.today().year + 3, "123", "Ann Payer")
    )
    return payment_method_add(
        customer=customer, kind="card", tokenized=tokenized, actor=Actor(label="setup")
    )


def submit(customer_id: int, method_id: int, numbers: list[str], amount: str, key: str) -> str:
    payment = card_payment_submit(
        customer=Customer.objects.get(pk=customer_id),
        method=PaymentMethod.objects.get(pk=method_id),
        amount=Money.of(amount, "USD"),
        idempotency_key=key,
        actor=Actor(label=f"clerk-{threading.current_thread().name}"),
        source="portal",
        invoices=[InvoiceRequest(number) for number in numbers],
    )
    return payment.number


def test_twenty_identical_card_payments_with_one_key_make_one_payment_and_one_charge():
    customer = make_customer()
    invoices = [make_invoice(customer, "120.00"), make_invoice(customer, "30.00")]
    card = add_card(customer)
    numbers = [i.number for i in invoices]

    results = together(
        THREADS, lambda i: submit(customer.pk, card.pk, numbers, "150.00", "one-click")
    )

    assert failures(results) == []
    assert len(set(successes(results))) == 1
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert (payment.status, payment.gateway_outcome) == (PaymentStatus.PENDING, "approved")
    assert SandboxGateway().calls("charge") == 1
    assert SandboxCharge.objects.count() == 1
    assert GatewayAttempt.objects.filter(operation="charge").count() == 1
    assert payment.allocations.count() == 2
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert (invoice.status, invoice.balance_due_minor) == (InvoiceStatus.PENDING, 0)
    assert_books_ok()


def test_ten_clerks_voiding_one_pending_card_payment_void_it_once_at_the_gateway():
    customer = make_customer()
    invoices = [make_invoice(customer, "60.00"), make_invoice(customer, "40.00")]
    card = add_card(customer)
    number = submit(customer.pk, card.pk, [i.number for i in invoices], "100.00", "to-void")

    def work(i: int) -> str:
        payment = Payment.objects.get(number=number)
        return payment_void(payment=payment, reason=f"try {i}", actor=Actor(label=f"c{i}")).number

    results = together(VOIDERS, work)

    unexpected = [error for error in failures(results) if not isinstance(error, RemitError)]
    if unexpected:
        raise unexpected[0]
    assert successes(results) == [number]
    losers = failures(results)
    assert len(losers) == VOIDERS - 1
    for error in losers:
        assert isinstance(error, TransitionRefused | AttemptInProgress), repr(error)
        assert "already void" in error.message or "already under way" in error.message, (
            error.message
        )
    assert SandboxGateway().calls("void") == 1
    assert SandboxCharge.objects.get().status == "voided"
    payment = Payment.objects.get(number=number)
    assert payment.status == PaymentStatus.VOIDED
    assert payment.events.filter(action="void").count() == 1
    assert not payment.allocations.filter(reversed=False).exists()
    stored = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).order_by("pk")
    assert [(i.status, i.balance_due_minor) for i in stored] == [
        (InvoiceStatus.OPEN, 6000),
        (InvoiceStatus.OPEN, 4000),
    ]
    assert_books_ok()
