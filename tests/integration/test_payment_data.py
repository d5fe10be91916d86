"""How payments read outside remit (`remit.receipts.serializers`), as the API and
`remit ... --json` show them: each payment's own allocations and the write-offs posted
with it, when several payments are read together."""

from __future__ import annotations

import pytest

from remit.core.audit import Actor
from remit.core.money import Money
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment, PaymentType
from remit.payments.services.offline import payment_post
from remit.payments.services.writeoff import WriteOffRequest
from remit.receipts.serializers import payments_data
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
ACTOR = Actor(label="test")


def post(customer, amount: str, key: str, **kwargs) -> Payment:
    return payment_post(
        customer=customer,
        amount=Money(amount, customer.currency),
        payment_type="check",
        idempotency_key=key,
        actor=ACTOR,
        source="api",
        above_tolerance=True,
        **kwargs,
    )


def test_a_list_keeps_each_payment_s_allocations_and_write_offs_apart():
    customer = make_customer(number="C-0001")
    make_invoice(customer, "100.00", days_ago=60, number="INV-0001")
    make_invoice(customer, "250.00", days_ago=30, number="INV-0002")
    short = post(
        customer,
        "95.00",
        "short",
        invoices=[InvoiceRequest("INV-0001", Money("95.00", "USD"))],
        write_offs=[WriteOffRequest("INV-0001", Money("5.00", "USD"), "bank_fee")],
    )
    full = post(customer, "300.00", "full", reference="1002")  # 250.00 + 50.00 credit
    nothing_open = make_customer(number="C-0002")
    credit_only = post(nothing_open, "20.00", "credit")
    write_off = Payment.objects.get(type=PaymentType.WRITE_OFF)

    read = {
        d["number"]: d for d in payments_data([full, write_off, credit_only, short], notes=True)
    }

    assert [(a["invoice"], a["amount"]) for a in read[short.number]["allocations"]] == [
        ("INV-0001", "95.00")
    ]
    assert [
        (w["number"], w["invoice"], w["amount"], w["reason"])
        for w in read[short.number]["write_offs"]
    ] == [(write_off.number, "INV-0001", "5.00", "bank_fee")]
    assert read[short.number]["credit_created"] == "0.00"
    # The write-off read as a payment of its own shows its allocation, and no write-offs.
    assert [(a["invoice"], a["amount"]) for a in read[write_off.number]["allocations"]] == [
        ("INV-0001", "5.00")
    ]
    assert read[write_off.number]["write_offs"] == []
    assert [(a["invoice"], a["amount"]) for a in read[full.number]["allocations"]] == [
        ("INV-0002", "250.00")
    ]
    assert read[full.number]["write_offs"] == []
    assert read[full.number]["credit_created"] == "50.00"
    assert read[credit_only.number]["allocations"] == []
    assert read[credit_only.number]["credit_created"] == "20.00"
    # Read alone, each payment reads the same as in the list.
    for payment in (short, full, write_off, credit_only):
        assert payments_data([payment], notes=True) == [read[payment.number]]
