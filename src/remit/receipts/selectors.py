"""What a receipt says: built from a payment, never from its internal notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from remit.core.money import Money
from remit.payments.models import CreditKind, Payment, PaymentType


@dataclass(frozen=True)
class ReceiptLine:
    invoice: str
    invoice_date: date
    amount: Money


@dataclass(frozen=True)
class Receipt:
    number: str
    payment_number: str
    date: date
    customer_number: str
    customer_name: str
    method: str
    status: str
    lines: tuple[ReceiptLine, ...]
    credit_used: Money
    credit_created: Money
    total: Money
    title: str = "Payment Receipt"
    """"Credit Note" for a credit note (issue 14): the same document, another name."""
    payee: tuple[str, ...] = ()
    """Who was paid: the business's name, then its address lines (REMIT_PAYEE)."""

    @property
    def paid_by_method(self) -> Money:
        """The part not covered by credit: what the card, bank or check paid."""
        return self.total - self.credit_used


def receipt_for(payment: Payment, *, credit_application: Payment | None = None) -> Receipt:
    """The receipt of `payment`, joined with the credit applied in the same checkout.

    Payments of type credit only carry the credit; a portal checkout that uses credit
    first and charges a card for the rest passes both.
    """
    payments = [p for p in (credit_application, payment) if p is not None]
    lines = tuple(
        ReceiptLine(a.invoice.number, a.invoice.invoice_date, a.amount)
        for p in payments
        # moved allocations (unapplied, reallocated) live on in the credit or another line
        for a in p.allocations.filter(moved=False)
        .select_related("invoice")
        .order_by("invoice__invoice_date", "id")
    )
    credit_used = sum(
        (p.amount for p in payments if p.type == PaymentType.CREDIT), Money.zero(payment.currency)
    )
    created = sum(
        (e.amount for e in payment.credit_entries.all() if e.kind == CreditKind.CREATED),
        Money.zero(payment.currency),
    )
    return Receipt(
        number=payment.number.replace("PMT-", "RCT-"),
        payment_number=payment.number,
        date=payment.post_date,
        customer_number=payment.customer.number,
        customer_name=payment.customer.name,
        method=method_label(payment),
        status=payment.get_status_display(),
        lines=lines,
        credit_used=credit_used,
        credit_created=created,
        total=sum((p.amount for p in payments), Money.zero(payment.currency)),
        title="Credit Note" if payment.type == PaymentType.CREDIT_NOTE else "Payment Receipt",
        payee=payee(),
    )


def payee() -> tuple[str, ...]:
    """The payee's name and address lines, from REMIT_PAYEE ('Name|line|line')."""
    text = getattr(settings, "REMIT_PAYEE", "") or ""
    return tuple(line.strip() for line in text.split("|") if line.strip())


def method_label(payment: Payment) -> str:
    """'Visa •••• 4242', 'Check #4411', 'Customer Credit'."""
    if payment.method_id:
        return payment.method.display
    label = payment.get_type_display()
    if payment.reference and payment.type in (PaymentType.CHECK, PaymentType.MONEY_ORDER):
        return f"{label} #{payment.reference}"
    return label
