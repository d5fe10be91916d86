"""The same card added many times at once, and a card not saved paid with many times at
once, with real threads and real row locks on PostgreSQL: one method, one payment.

`serialized_rollback=True`: see test_concurrent_card_payments.py.
"""

from __future__ import annotations

import threading

import pytest

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment, PaymentMethod
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add_from_token
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, failures, successes, together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 12


def clerk() -> Actor:
    return Actor(label=f"clerk-{threading.current_thread().name}")


def test_the_same_card_added_at_once_from_many_tabs_is_one_method():
    customer = make_customer()
    gateway = SandboxGateway()
    tokens = [
        gateway.tokenize_card(CardDetails("4242424242424242", 12, 2035, "123")).token
        for _ in range(THREADS)
    ]

    def add(i: int) -> int:
        added = payment_method_add_from_token(
            customer=Customer.objects.get(pk=customer.pk), token=tokens[i], actor=clerk()
        )
        return added.method.pk

    results = together(THREADS, add)
    assert failures(results) == []
    assert len(set(successes(results))) == 1
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_a_card_not_saved_paid_with_at_once_pays_once():
    customer = make_customer()
    invoices = [make_invoice(customer, "10.00") for _ in range(THREADS)]
    token = SandboxGateway().tokenize_card(CardDetails("4242424242424242", 12, 2035, "123")).token
    once = payment_method_add_from_token(
        customer=customer, token=token, actor=Actor(label="setup"), save=False
    ).method

    def pay(i: int) -> str:
        return card_payment_submit(
            customer=Customer.objects.get(pk=customer.pk),
            method=PaymentMethod.objects.get(pk=once.pk),
            amount=Money.of("10.00", "USD"),
            idempotency_key=f"tab-{i}",
            actor=clerk(),
            source="portal",
            invoices=[InvoiceRequest(invoices[i].number)],
        ).number

    results = together(THREADS, pay)
    assert len(successes(results)) == 1
    refused = failures(results)
    assert len(refused) == THREADS - 1
    assert all(isinstance(e, RemitError) and "not on file" in e.message for e in refused)
    assert Payment.objects.filter(customer=customer).count() == 1
    assert PaymentMethod.objects.get(pk=once.pk).removed
    assert_books_ok()
