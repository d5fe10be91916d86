"""Every object the API hands out is fetched through its customer and the caller's reach.

An object of a customer the caller may not see is answered exactly as one that does not
exist (404, same sentence), and the attempt is logged to `remit.security`. A caller who
may see a customer but not pay for it (a viewer, a read-only key) is refused 403.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from remit.api.auth import Forbidden, Principal
from remit.core.errors import NotFound, RemitError
from remit.core.web import security_event
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment

M = TypeVar("M", bound=Model)


def _seen(principal: Principal, rows: QuerySet[M], what: str, customer_of) -> M:
    found = rows.first()
    if found is None:
        raise NotFound(f"There is no {what}.")
    if not principal.may_see(customer_of(found)):
        security_event("api", "not found", f"{what} is another customer's", who=principal.owner)
        raise NotFound(f"There is no {what}.")
    return found


def customer_seen(principal: Principal, number: str) -> Customer:
    return _seen(
        principal, Customer.objects.filter(number=number), f"customer {number}", lambda c: c.pk
    )


def invoice_seen(principal: Principal, number: str) -> Invoice:
    return _seen(
        principal,
        Invoice.objects.select_related("customer").filter(number=number),
        f"invoice {number}",
        lambda i: i.customer_id,
    )


def payment_seen(principal: Principal, number: str) -> Payment:
    return _seen(
        principal,
        Payment.objects.select_related("customer", "method").filter(number=number),
        f"payment {number}",
        lambda p: p.customer_id,
    )


def schedule_seen(principal: Principal, number: str) -> ScheduledPayment:
    return _seen(
        principal,
        ScheduledPayment.objects.select_related("customer", "method").filter(number=number),
        f"scheduled payment {number}",
        lambda s: s.customer_id,
    )


def method_seen(principal: Principal, method_id: int) -> PaymentMethod:
    return _seen(
        principal,
        PaymentMethod.objects.select_related("customer").filter(pk=method_id, removed=False),
        f"payment method {method_id}",
        lambda m: m.customer_id,
    )


def method_of(customer: Customer, method_id: int) -> PaymentMethod:
    """A saved method of `customer`; another customer's is refused as an unknown one."""
    method = PaymentMethod.objects.filter(pk=method_id, customer=customer, removed=False).first()
    if method is None:
        raise RemitError(
            f"{customer.number} has no payment method {method_id}.", fields={"method": "unknown"}
        )
    return method


def require_payer(principal: Principal, customer: Customer) -> Customer:
    """Pay, schedule, apply credit, manage methods: accounts payable or a write key."""
    if not principal.may_pay(customer.pk):
        raise Forbidden(
            f"Your access to {customer.number} is view only; paying needs the "
            "Accounts Payable role."
        )
    return customer


def customer_to_pay(principal: Principal, number: str) -> Customer:
    return require_payer(principal, customer_seen(principal, number))


def scoped(principal: Principal, rows: QuerySet[M], field: str = "customer_id") -> QuerySet[M]:
    """Only the rows of customers the caller may see."""
    ids = principal.customer_ids
    return rows if ids is None else rows.filter(**{f"{field}__in": ids})
