"""The events list integrators sync from (payment posted, settled, failed, voided,
refunded; invoice paid, reopened), written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable

from remit.core.repository import rows_insert
from remit.invoices.models import InvoiceStatus
from remit.payments.models import Event, EventKind, Payment
from remit.payments.repository import invoice_events_insert


def invoice_event(old: str, new: str) -> str | None:
    """The event an invoice's status change makes, if any."""
    if new == InvoiceStatus.PAID and old != InvoiceStatus.PAID:
        return EventKind.INVOICE_PAID
    if new == InvoiceStatus.OPEN and old in (InvoiceStatus.PAID, InvoiceStatus.PENDING):
        return EventKind.INVOICE_REOPENED
    return None


def invoice_events_record(kind: str, invoice_ids: list[int], *, customer_id: int) -> None:
    """One event per invoice, set-based (a lump sum may pay 10,000 invoices)."""
    invoice_events_insert(kind, invoice_ids, customer_id=customer_id)


def payment_events_record(kinds: Iterable[str], payment: Payment, **data: object) -> None:
    """One event per kind about `payment` (posted, settled...), in one statement."""
    data = {"status": payment.status, "amount": str(payment.amount), **data}
    rows_insert(
        Event,
        [
            {
                "kind": kind,
                "customer_id": payment.customer_id,
                "object_number": payment.number,
                "data": data,
            }
            for kind in kinds
        ],
    )
