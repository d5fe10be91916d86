"""Writes to customers."""

from __future__ import annotations

from django.db import transaction

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.core.money import minor_digits
from remit.customers.models import Customer


@transaction.atomic
def customer_create(
    *, number: str, name: str, email: str = "", currency: str = "USD", actor: Actor
) -> Customer:
    number, name, currency = number.strip(), name.strip(), currency.strip().upper()
    if not number or not name:
        raise RemitError("A customer needs a number and a name.")
    minor_digits(currency)  # refuses an unknown currency with a sentence
    if Customer.objects.filter(number=number).exists():
        raise RemitError(f"Customer {number} already exists.", fields={"number": "taken"})
    customer = Customer.objects.create(number=number, name=name, email=email, currency=currency)
    audit_record(
        actor=actor,
        action="customer.created",
        obj=customer,
        after={"number": number, "name": name, "currency": currency},
    )
    return customer
