"""The events list integrators sync from: what changed, in order, per customer."""

from __future__ import annotations

import pytest

from remit.core.audit import Actor
from remit.core.money import Money
from remit.payments.models import Event
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk")


def test_posting_and_voiding_write_payment_and_invoice_events_in_order():
    customer = make_customer()
    invoice = make_invoice(customer, "80.00")
    payment = payment_post(
        customer=customer,
        amount=Money.of("80.00", "USD"),
        payment_type="check",
        idempotency_key="e-1",
        actor=CLERK,
        source="backoffice",
    )
    payment_void(payment=payment, actor=CLERK)
    kinds = [(e.kind, e.object_number) for e in Event.objects.filter(customer=customer)]
    assert kinds == [
        ("payment.posted", payment.number),
        ("payment.settled", payment.number),
        ("invoice.paid", invoice.number),
        ("invoice.reopened", invoice.number),
        ("payment.voided", payment.number),
    ]


def test_a_partial_payment_writes_no_invoice_event():
    customer = make_customer()
    make_invoice(customer, "80.00")
    payment_post(
        customer=customer,
        amount=Money.of("30.00", "USD"),
        payment_type="cash",
        idempotency_key="e-2",
        actor=CLERK,
        source="backoffice",
    )
    assert not Event.objects.filter(kind__startswith="invoice.").exists()
