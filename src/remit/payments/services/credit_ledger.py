"""The customer credit ledger (DESIGN rules 6 and 7): its balance is the sum of a
customer's entries in a currency and is never negative. Credit is created by an
overpayment or an unapplied payment, used by a credit application, taken back when the
payment that created it is voided, and given back when a credit application is voided.
"""

from __future__ import annotations

from remit.core.money import Money
from remit.core.repository import rows_insert
from remit.customers.models import Customer
from remit.payments.allocation import Split
from remit.payments.models import Allocation, CreditEntry, CreditKind, Payment, PaymentType


def credit_entry_add(
    customer: Customer, amount: Money, kind: str, payment: Payment, note: str
) -> None:
    """One entry of the ledger: positive adds credit, negative uses it."""
    rows_insert(
        CreditEntry,
        [
            {
                "customer_id": customer.pk,
                "currency": amount.currency,
                "amount_minor": amount.minor,
                "kind": kind,
                "payment_id": payment.pk,
                "note": note[:300],
            }
        ],
    )


def credit_created(payment: Payment) -> Money:
    """The credit `payment` created (its overpayment, or all of it when unapplied)."""
    minors = payment.credit_entries.filter(kind=CreditKind.CREATED).values_list(
        "amount_minor", flat=True
    )
    return Money.from_minor(sum(minors), payment.currency)


def credit_used_refusal(payment: Payment, created: Money) -> str:
    """Why `payment` cannot be voided: the credit it created was applied since."""
    users = (
        Allocation.objects.filter(
            payment__customer_id=payment.customer_id,
            payment__type=PaymentType.CREDIT,
            payment__currency=payment.currency,
            payment__id__gt=payment.id,
            reversed=False,
        )
        .order_by("invoice__number")
        .values_list("invoice__number", flat=True)
        .distinct()
    )
    names = ", ".join(users) or "other invoices"
    return (
        f"{payment.number} cannot be voided: the {created.format()} of credit it created "
        f"was already applied to {names}. Void those credit applications first."
    )


def credit_note(payment: Payment, split: Split) -> str:
    """Where a payment's credit came from: "Overpayment of PMT-000123, check #4411, on
    INV-0042"."""
    if payment.type == PaymentType.CREDIT_NOTE:
        return f"Credit note {payment.number} on {payment.reference}, beyond its balance"
    how = payment.get_type_display().lower()
    if payment.reference:
        how += f" #{payment.reference}"
    if split.lines:
        return f"Overpayment of {payment.number}, {how}, on {invoice_names(split)}"
    return f"Unapplied payment {payment.number}, {how}"


def invoice_names(split: Split) -> str:
    numbers = [line.invoice.number for line in split.lines]
    if len(numbers) > 3:
        return f"{', '.join(numbers[:3])} and {len(numbers) - 3} more"
    return ", ".join(numbers)
