"""Small builders for test data, going through the services like real data does."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.models import Customer
from remit.customers.services import customer_create
from remit.invoices.models import Invoice
from remit.invoices.services import invoice_create

_numbers = itertools.count(1)
ACTOR = Actor(label="test-setup")


def make_customer(*, currency: str = "USD", number: str | None = None) -> Customer:
    n = next(_numbers)
    return customer_create(
        number=number or f"C-T{n:05d}", name=f"Test Customer {n}", currency=currency, actor=ACTOR
    )


def make_invoice(
    customer: Customer,
    total: str,
    *,
    days_ago: int = 30,
    number: str | None = None,
    due_in: int = 30,
    currency: str | None = None,
    terms: tuple[str, int] | None = None,
) -> Invoice:
    """`terms`: early-payment terms, ("2", 10) for 2% off within 10 days."""
    n = next(_numbers)
    invoice_date = date.today() - timedelta(days=days_ago)
    return invoice_create(
        customer=customer,
        number=number or f"INV-T{n:06d}",
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=due_in),
        total=Money.of(total, currency or customer.currency),
        discount_percent=Decimal(terms[0]) if terms else None,
        discount_days=terms[1] if terms else None,
        actor=ACTOR,
    )
