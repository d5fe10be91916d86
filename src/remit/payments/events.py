"""The events list integrators sync from (payment posted, settled, failed, voided,
refunded; invoice paid, reopened), written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection

from remit.core import rows
from remit.core.rows import insert_rows
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Event, EventKind, Payment


def invoice_event(old: str, new: str) -> str | None:
    """The event an invoice's status change makes, if any."""
    if new == InvoiceStatus.PAID and old != InvoiceStatus.PAID:
        return EventKind.INVOICE_PAID
    if new == InvoiceStatus.OPEN and old in (InvoiceStatus.PAID, InvoiceStatus.PENDING):
        return EventKind.INVOICE_REOPENED
    return None


def invoice_events_record(kind: str, invoice_ids: list[int], *, customer_id: int) -> None:
    """One event per invoice, set-based: INSERT ... SELECT from the invoices, so a lump sum
    paying 10,000 invoices writes its events in a few statements, not 10,000 objects."""
    status = InvoiceStatus.PAID if kind == EventKind.INVOICE_PAID else InvoiceStatus.OPEN
    data = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    condition, ids = rows.id_list(invoice_ids)
    sql = (
        f"INSERT INTO {Event._meta.db_table} (kind, customer_id, object_number, data)"  # noqa: S608
        f" SELECT %s, %s, number, {data} FROM {Invoice._meta.db_table}"
        f" WHERE id {condition} ORDER BY id"
    )
    payload = json.dumps({"status": status})
    rows.execute(sql, [str(kind), customer_id, payload, ids])  # `at`: the database's


def payment_events_record(kinds: Iterable[str], payment: Payment, **data: object) -> None:
    """One event per kind about `payment` (posted, settled...), in one statement."""
    data = {"status": payment.status, "amount": str(payment.amount), **data}
    insert_rows(
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


def emit(kind: str, payment: Payment, **data: object) -> None:
    """Record one payment event."""
    payment_events_record([kind], payment, **data)
