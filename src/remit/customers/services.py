"""Writes to customers."""

from __future__ import annotations

from django.db import transaction

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.core.inputs.identifiers import NumberKind, number_parse
from remit.core.money import minor_digits
from remit.customers.models import Customer

NAME_MAX = Customer._meta.get_field("name").max_length


@transaction.atomic
def customer_create(
    *, number: str, name: str, email: str = "", currency: str = "USD", actor: Actor
) -> Customer:
    """A new customer; its number follows the number rule (`core.inputs.identifiers`)."""
    number_parse(number, NumberKind.CUSTOMER)
    name, currency = _name(name), currency.strip().upper()
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


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: Actor, name: str | None = None, email: str | None = None
) -> Customer:
    """Change a customer's name or email. The number and currency never change: invoices,
    payments and the credit ledger are kept in that currency."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = {"name": customer.name, "email": customer.email}
    if name is not None:
        customer.name = _name(name)
    if email is not None:
        customer.email = email.strip()[:254]
    customer.save(update_fields=["name", "email"])
    audit_record(
        actor=actor,
        action="customer.updated",
        obj=customer,
        before=before,
        after={"name": customer.name, "email": customer.email},
    )
    return customer


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise RemitError("A customer needs a name.", fields={"name": "empty"})
    if len(name) > NAME_MAX:
        raise RemitError(
            f"A customer name has at most {NAME_MAX} characters; this one has {len(name)}.",
            fields={"name": "too long"},
        )
    return name
