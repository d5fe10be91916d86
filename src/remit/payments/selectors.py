"""Reads of payments and credit. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Sum

from remit.core.errors import NotFound
from remit.core.money import Money, currency_mismatch
from remit.customers.models import Customer
from remit.payments.allocation import Split, split_payment
from remit.payments.candidates import InvoiceRequest, load_candidates
from remit.payments.models import CreditEntry, Payment, PaymentMethod


def credit_balance(*, customer: Customer, currency: str) -> Money:
    minor = CreditEntry.objects.filter(customer=customer, currency=currency).aggregate(
        total=Sum("amount_minor")
    )["total"]
    return Money.from_minor(minor or 0, currency)


def credit_balances(*, customer: Customer) -> dict[str, Money]:
    """Every currency in which the customer has (or had) credit, with its balance."""
    sums: dict[str, int] = defaultdict(int)
    for currency, minor in CreditEntry.objects.filter(customer=customer).values_list(
        "currency", "amount_minor"
    ):
        sums[currency] += minor
    return {currency: Money.from_minor(minor, currency) for currency, minor in sums.items()}


def credit_entries(*, customer: Customer) -> list[CreditEntry]:
    return list(CreditEntry.objects.filter(customer=customer).select_related("payment"))


def payment_get(*, number: str) -> Payment:
    try:
        return Payment.objects.select_related("customer").get(number=number)
    except Payment.DoesNotExist:
        raise NotFound(f"There is no payment {number}.") from None


def payment_preview(
    *,
    customer: Customer,
    amount: Money,
    invoices: Sequence[InvoiceRequest] | None = None,
) -> Split:
    """The split a payment would make, writing nothing (shown before Save)."""
    if amount.currency != customer.currency:
        raise currency_mismatch(customer.number, billed=customer.currency, given=amount.currency)
    candidates = load_candidates(customer, amount.currency, invoices, lock=False)
    fixed = {r.number: r.amount for r in invoices or () if r.amount is not None}
    return split_payment(amount, candidates, fixed)


def payment_methods(*, customer: Customer) -> list[PaymentMethod]:
    """The customer's saved methods, default first."""
    return list(PaymentMethod.objects.filter(customer=customer, removed=False))


def payment_method_get(*, customer: Customer, method_id: int | str) -> PaymentMethod:
    """A method looked up through its customer: another customer's id is not found."""
    try:
        return PaymentMethod.objects.get(customer=customer, pk=int(method_id), removed=False)
    except (PaymentMethod.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{customer.number} has no payment method {method_id}.") from None
