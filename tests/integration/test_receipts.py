"""Receipts: every invoice and amount applied, the method, never the internal notes."""

from __future__ import annotations

import pytest

from remit.core.audit import Actor
from remit.core.money import Money
from remit.payments.services.offline import payment_post
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import receipt_for
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk")


def test_a_receipt_lists_each_invoice_the_method_and_the_credit_but_not_the_notes():
    customer = make_customer()
    old = make_invoice(customer, "100.00", days_ago=60)
    new = make_invoice(customer, "50.00", days_ago=10)
    payment = payment_post(
        customer=customer,
        amount=Money.of("175.00", "USD"),
        payment_type="check",
        reference="4411",
        notes="customer called, very upset",
        idempotency_key="r-1",
        actor=CLERK,
        source="backoffice",
    )
    receipt = receipt_for(payment)
    assert [(line.invoice, str(line.amount)) for line in receipt.lines] == [
        (old.number, "100.00"),
        (new.number, "50.00"),
    ]
    assert receipt.method == "Check #4411"
    assert str(receipt.credit_created) == "25.00" and str(receipt.total) == "175.00"
    assert "upset" not in repr(receipt)


def test_the_receipt_pdf_is_a_pdf_document():
    customer = make_customer()
    make_invoice(customer, "10.00")
    payment = payment_post(
        customer=customer,
        amount=Money.of("10.00", "USD"),
        payment_type="cash",
        idempotency_key="r-2",
        actor=CLERK,
        source="backoffice",
    )
    document = receipt_pdf(receipt_for(payment))
    assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
