"""Invoice balances and statuses, moved by payments (DESIGN rules 2 and 3).

Set-based: one UPDATE per distinct (balance, status), so a lump sum over 10,000 invoices
paid in full is a handful of statements, not 10,000. The status comes from the pure rule
(`remit.invoices.rules.invoice_status`); the invoice.paid and invoice.reopened events are
written for the statuses that change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.repository import invoice_balances_update
from remit.invoices.rules import invoice_status
from remit.payments.allocation import OpenInvoice
from remit.payments.events import invoice_event, invoice_events_record
from remit.payments.repository import invoices_in_flight


def invoice_balances_set(
    invoices: dict[int, Invoice | OpenInvoice],
    deltas: dict[int, int],
    *,
    customer_id: int,
    in_flight: bool = False,
) -> None:
    """Move invoice balances by `deltas` (minor units) and set their statuses. Paid to
    zero by a payment in flight (`in_flight`), an invoice is pending rather than paid."""
    new_balance: dict[int, int] = {}
    old_status: dict[int, str] = {}
    for invoice_id, delta in deltas.items():
        invoice = invoices[invoice_id]
        if isinstance(invoice, Invoice):
            current, old_status[invoice_id] = invoice.balance_due_minor, invoice.status
        else:  # a candidate of a new payment: open by construction
            current, old_status[invoice_id] = invoice.balance.minor, InvoiceStatus.OPEN
        new_balance[invoice_id] = current + delta
    # Only an invoice that already had something applied can have another payment in
    # flight on it; a fresh one paid to zero by offline money is simply paid.
    paid_off = [
        i
        for i, balance in new_balance.items()
        if balance == 0 and (in_flight or _had_payments(invoices[i]))
    ]
    unsettled = invoices_in_flight(paid_off)
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    changes: dict[str, list[int]] = defaultdict(list)
    for invoice_id, balance in new_balance.items():
        status = invoice_status(
            voided=False,
            balance_minor=balance,
            unsettled_minor=int(invoice_id in unsettled),
            scheduled=old_status[invoice_id] == InvoiceStatus.SCHEDULED,  # held until released
        )
        groups[(balance, status)].append(invoice_id)
        kind = invoice_event(old_status[invoice_id], status)
        if kind:
            changes[kind].append(invoice_id)
    for (balance, status), ids in groups.items():
        invoice_balances_update(ids, balance_minor=balance, status=status)
    for kind, ids in changes.items():
        invoice_events_record(kind, ids, customer_id=customer_id)


def _had_payments(invoice: Invoice | OpenInvoice) -> bool:
    return isinstance(invoice, Invoice) or invoice.partly_paid


def invoice_statuses_refresh(invoice_ids: Iterable[int], *, customer_id: int) -> None:
    """Re-derive the status of invoices whose payments changed state (a settlement)."""
    invoice_ids = list(invoice_ids)
    locked = Invoice.objects.select_for_update().filter(id__in=invoice_ids).order_by("id")
    invoice_balances_set(
        {invoice.id: invoice for invoice in locked},
        {invoice_id: 0 for invoice_id in invoice_ids},
        customer_id=customer_id,
    )
