"""Early-payment discounts open to a payment (issue 14): which invoices, how much.

An invoice with terms ("2/10 net 30") earns its discount (`invoices.rules.Terms`) when a
payment posted on or before its last day pays what is due less the discount. The discount
is taken once per invoice: a live discount write-off on it (one booked with an earlier
payment, or written off by hand with reason `discount`) counts as taken, and only what is
left of it is offered. No discount is offered when it would leave nothing to pay (100%
off is a write-off, not a payment).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Sum

from remit.core.money import Money
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import Terms, discount_remaining_minor
from remit.payments.models import Allocation, PaymentType, WriteOffReason

Candidate = tuple[int, date, int, int, Terms | None]
"""An invoice as `discount_open` reads it: id, invoice date, balance, total, terms."""


def discounts_taken(invoice_ids: Sequence[int]) -> dict[int, int]:
    """The live discount write-offs on each invoice, in minor units."""
    if not invoice_ids:
        return {}
    rows = (
        Allocation.objects.filter(
            invoice_id__in=list(invoice_ids),
            reversed=False,
            payment__type=PaymentType.WRITE_OFF,
            payment__reason=WriteOffReason.DISCOUNT,
        )
        .values("invoice_id")
        .annotate(taken=Sum("amount_minor"))
    )
    return {row["invoice_id"]: row["taken"] for row in rows}


def discount_open(candidates: Sequence[Candidate], *, on: date) -> dict[int, int]:
    """The discount (minor units) each invoice would earn with a payment posted `on`,
    for those inside their window with some discount left and something left to pay."""
    inside = [c for c in candidates if c[4] is not None and c[4].applies_on(on, c[1])]
    taken = discounts_taken([c[0] for c in inside])
    offered = {}
    for invoice_id, _, balance, total, terms in inside:
        left = discount_remaining_minor(terms, total, taken.get(invoice_id, 0))
        if 0 < left < balance:
            offered[invoice_id] = left
    return offered


def invoice_discount(invoice: Invoice, *, on: date) -> Money | None:
    """The discount a payment posted `on` would earn on `invoice` by paying its balance
    less it (None: no terms, outside the window, taken, or the invoice is not open)."""
    if invoice.status != InvoiceStatus.OPEN:
        return None
    row = (invoice.pk, invoice.invoice_date, invoice.balance_due_minor, invoice.total_minor)
    offered = discount_open([(*row, invoice.terms)], on=on)
    if invoice.pk not in offered:
        return None
    return Money.from_minor(offered[invoice.pk], invoice.currency)
