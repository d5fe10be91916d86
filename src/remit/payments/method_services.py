"""Saved payment methods: add (from a gateway token), set default, remove.

remit keeps the gateway's token and what may be shown (brand, last four, expiry, holder,
label); the card number and CVC go to the gateway's tokenising form and never here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.customers.models import Customer
from remit.gateways.protocol import Tokenized
from remit.payments.bookkeeping import lock_customer
from remit.payments.models import MethodKind, PaymentMethod


@transaction.atomic
def payment_method_add(
    *,
    customer: Customer,
    kind: str,
    tokenized: Tokenized,
    actor: Actor,
    holder_name: str = "",
    label: str = "",
    make_default: bool = False,
) -> PaymentMethod:
    """Save a tokenised card or bank account; the customer's first method is the default."""
    if kind not in MethodKind.values:
        raise RemitError(f"'{kind}' is not a kind of payment method.")
    customer = lock_customer(customer)
    live = PaymentMethod.objects.filter(customer=customer, removed=False)
    first = not live.exists()
    if make_default and not first:
        live.filter(is_default=True).update(is_default=False)
    method = PaymentMethod.objects.create(
        customer=customer,
        kind=kind,
        gateway=getattr(settings, "REMIT_GATEWAY", "sandbox"),
        token=tokenized.token,
        brand=tokenized.brand,
        last4=tokenized.last4,
        exp_month=tokenized.exp_month,
        exp_year=tokenized.exp_year,
        holder_name=holder_name.strip()[:200],
        label=label.strip()[:100],
        is_default=first or make_default,
    )
    audit_record(
        actor=actor,
        action="method.added",
        obj=method,
        after={"customer": customer.number, "method": method.display},
    )
    return method


@transaction.atomic
def payment_method_set_default(*, method: PaymentMethod, actor: Actor) -> PaymentMethod:
    lock_customer(method.customer)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
    if method.removed:
        raise RemitError("A removed payment method cannot be the default.")
    PaymentMethod.objects.filter(customer_id=method.customer_id, is_default=True).update(
        is_default=False
    )
    method.is_default = True
    method.save(update_fields=["is_default"])
    audit_record(actor=actor, action="method.default", obj=method, after={"default": True})
    return method


@transaction.atomic
def payment_method_remove(*, method: PaymentMethod, actor: Actor) -> PaymentMethod:
    """Remove from the list; the row stays for the payments that used it."""
    lock_customer(method.customer)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
    if method.removed:
        raise RemitError("That payment method was already removed.")
    was_default = method.is_default
    method.removed = True
    method.is_default = False
    method.save(update_fields=["removed", "is_default"])
    if was_default:  # the oldest remaining method takes over, so there is always a default
        successor = (
            PaymentMethod.objects.filter(customer_id=method.customer_id, removed=False)
            .order_by("id")
            .first()
        )
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    audit_record(actor=actor, action="method.removed", obj=method, after={"removed": True})
    return method
