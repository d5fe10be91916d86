"""How the command line shows things: stable JSON (documented in the README) and text.

Invoices and payments print as the API answers them (`remit.receipts.serializers`).
Amounts are always strings ("150.00"), never floats.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

from remit.books.audit import AuditReport
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.allocation import Split
from remit.payments.models import CreditEntry, Payment, PaymentMethod
from remit.receipts.serializers import invoice_data, payment_data, preview_data


def customer_json(customer: Customer) -> dict:
    return {
        "number": customer.number,
        "name": customer.name,
        "email": customer.email,
        "currency": customer.currency,
    }


def invoice_json(invoice: Invoice) -> dict:
    return invoice_data(invoice)


def payment_json(payment: Payment) -> dict:
    """The API's payment, notes included: an operator is the business."""
    return payment_data(payment, notes=True)


def expiry(method: PaymentMethod) -> str:
    if method.exp_month and method.exp_year:
        return f"{method.exp_month:02d}/{method.exp_year % 100:02d}"
    return ""


def method_json(method: PaymentMethod) -> dict:
    return {
        "id": method.pk,
        "customer": method.customer.number,
        "kind": method.kind,
        "brand": method.brand,
        "last4": method.last4,
        "expires": expiry(method),
        "holder_name": method.holder_name,
        "label": method.label,
        "default": method.is_default,
    }


def preview_json(customer: Customer, amount: Money, split: Split) -> dict:
    return {"preview": True, **preview_data(customer, amount, split)}


def credit_json(
    customer: Customer, balances: dict[str, Money], entries: Sequence[CreditEntry]
) -> dict:
    return {
        "customer": customer.number,
        "balances": {currency: str(amount) for currency, amount in sorted(balances.items())},
        "entries": [
            {
                "date": entry.created_at.date().isoformat(),
                "kind": entry.kind,
                "amount": str(entry.amount),
                "currency": entry.currency,
                "payment": entry.payment.number,
                "note": entry.note,
            }
            for entry in entries
        ],
    }


def audit_json(report: AuditReport) -> dict:
    return {"ok": report.ok, "problems": report.problems}


def emit_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: set[int] = frozenset()):
    """A plain text table; columns in `right` are right-aligned (amounts)."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def payment_text(data: dict, *, title: str) -> None:
    print(
        f"{title} {data.get('number', '')}".rstrip() + f": {data['amount']} {data['currency']}"
        f" from {data['customer']}"
    )
    if data.get("status"):
        print(f"  status: {data['status']}")
    if data.get("method"):
        print(f"  method: {data['method']['display']}")
    if data.get("failure_reason"):
        print(f"  reason: {data['failure_reason']}")
    for allocation in data["allocations"]:
        mark = " (reversed)" if allocation.get("reversed") else ""
        print(f"  {allocation['invoice']}: {allocation['amount']}{mark}")
    if Money.of(data["credit_created"], data["currency"]).is_positive():
        print(f"  to customer credit: {data['credit_created']}")
    if data.get("reason"):
        print(f"  reason: {data['reason']}")
    if dispute := data.get("dispute"):
        print(
            f"  dispute {dispute['id']}: {dispute['status']}, {dispute['amount']} "
            f"(fee {dispute['fee']})"
        )
    for write_off in data.get("write_offs") or ():
        print(
            f"  written off by {write_off['number']}: {write_off['invoice']} "
            f"{write_off['amount']} ({write_off['reason']})"
        )
