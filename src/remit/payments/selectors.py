"""Reads of payments and credit. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone

from remit.core.errors import NotFound
from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments.allocation import Split, split_payment
from remit.payments.candidates import InvoiceRequest, invoice_candidates_load
from remit.payments.models import CreditEntry, Payment, PaymentMethod
from remit.payments.states import PaymentStatus


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
    post_date: date | None = None,
) -> Split:
    """The split a payment would make, writing nothing (shown before Save); with the
    early-payment discounts it would earn if posted on `post_date` (default today)."""
    candidates = invoice_candidates_load(
        customer,
        amount.currency,
        invoices,
        lock=False,
        discount_on=post_date or timezone.localdate(),
    )
    fixed = {r.number: r.amount for r in invoices or () if r.amount is not None}
    return split_payment(amount, candidates, fixed)


def payment_methods(*, customer: Customer, also: int | str | None = None) -> list[PaymentMethod]:
    """The customer's saved methods, default first, each with `declined_last` (its last
    payment failed). `also` names a method added for one payment only (not saved), listed
    last while it is unspent: the form it was added in shows it chosen."""
    shown = Q(saved=True)
    if also and str(also).isdigit():
        shown |= Q(pk=int(also))
    last = Payment.objects.filter(method=OuterRef("pk")).order_by("-id").values("status")[:1]
    return list(
        PaymentMethod.objects.filter(shown, customer=customer, removed=False)
        .annotate(last_status=Subquery(last))
        .annotate(
            declined_last=Case(
                When(last_status=PaymentStatus.FAILED, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def method_preselected(methods: Sequence[PaymentMethod]) -> PaymentMethod | None:
    """The method a payment form chooses before the customer does: the default, unless
    its last payment was declined; then the first saved method whose last payment was not
    declined; else none, and the customer chooses. A method declined last time stays in
    the list (the customer may try it again); it is only never chosen for them."""
    usable = [m for m in methods if m.saved and not getattr(m, "declined_last", False)]
    return next((m for m in usable if m.is_default), usable[0] if usable else None)


def method_chosen(methods: Sequence[PaymentMethod], wanted: str = "") -> str:
    """The id a form shows chosen: `wanted` (what the customer chose, or just added) while
    it is listed and was not just declined; otherwise the preselected one; "" for none."""
    for method in methods:
        if wanted and str(method.pk) == str(wanted) and not getattr(method, "declined_last", False):
            return str(method.pk)
    preselected = method_preselected(methods)
    return str(preselected.pk) if preselected else ""


def payment_method_get(*, customer: Customer, method_id: int | str) -> PaymentMethod:
    """A method looked up through its customer: another customer's id is not found."""
    try:
        return PaymentMethod.objects.get(customer=customer, pk=int(method_id), removed=False)
    except (PaymentMethod.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{customer.number} has no payment method {method_id}.") from None
