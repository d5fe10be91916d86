"""Which invoices a payment may be applied to, checked and (for services) locked."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from remit.core import rows
from remit.core.errors import InvoiceNotPayable, NotFound
from remit.core.inputs.invoice_list import InvoiceRequest, invoices_once
from remit.core.money import Money, currency_mismatch
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import is_payable
from remit.payments.allocation import OpenInvoice

__all__ = ["InvoiceRequest", "load_candidates"]


def load_candidates(
    customer: Customer,
    currency: str,
    requests: Sequence[InvoiceRequest] | None,
    *,
    lock: bool,
) -> list[OpenInvoice]:
    """The invoices a payment may touch: those named, or every open one in `currency`.

    With `lock`, rows are locked in id order (the services call it inside their
    transaction, after locking the customer, so what they read is what they change).
    """
    lock_clause = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    if requests:
        numbers = [r.number for r in requests]
        invoices_once(numbers)
        rows = _select(
            "number IN (" + ", ".join(["%s"] * len(numbers)) + ")",
            [customer.pk, *numbers],
            lock_clause,
        )
        found = {row[1] for row in rows}
        for number in numbers:
            if number not in found:
                raise NotFound(
                    f"{customer.number} has no invoice {number}.", fields={"invoices": number}
                )
        for _, number, _, _, _, status, invoice_currency, _ in rows:
            if not is_payable(status):
                raise InvoiceNotPayable(_not_payable(number, status))
            if invoice_currency != currency:
                raise currency_mismatch(number, billed=invoice_currency, given=currency)
    else:
        rows = _select(
            "status = %s AND currency = %s",
            [customer.pk, InvoiceStatus.OPEN.value, currency],
            lock_clause,
        )
    return [
        OpenInvoice(
            id=r[0],
            number=r[1],
            invoice_date=r[2],
            due_date=r[3],
            balance=Money.from_minor(r[4], currency),
            partly_paid=r[4] < r[7],
        )
        for r in rows
    ]


def _select(condition: str, params: list, lock_clause: str) -> list[tuple]:
    # Plain SQL: it runs in every payment, where the ORM's compiling cost several times
    # the query (see remit.core.rows).
    sql = (
        "SELECT id, number, invoice_date, due_date, balance_due_minor, status, currency,"  # noqa: S608
        f" total_minor FROM {Invoice._meta.db_table} WHERE customer_id = %s AND {condition}"
        f" ORDER BY id{lock_clause}"
    )
    return rows.query(sql, params)


def _not_payable(number: str, status: str) -> str:
    return {
        InvoiceStatus.PAID: f"{number} is already paid.",
        InvoiceStatus.PENDING: f"{number} is pending: a payment in flight already covers it.",
        InvoiceStatus.SCHEDULED: f"{number} is held by a scheduled payment.",
        InvoiceStatus.VOID: f"{number} is void; nothing can be applied to it.",
    }.get(status, f"{number} cannot be paid now.")
