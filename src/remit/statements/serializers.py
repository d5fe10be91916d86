"""A statement as JSON (`remit statement --json`): amounts as strings in minor units."""

from __future__ import annotations

from remit.statements.selectors import Statement


def statement_json(statement: Statement) -> dict:
    return {
        "customer": statement.customer.number,
        "name": statement.customer.name,
        "currency": statement.currency,
        "from": statement.start.isoformat(),
        "to": statement.end.isoformat(),
        "opening_balance": str(statement.opening),
        "invoiced": str(statement.invoiced),
        "received": str(statement.received),
        "closing_balance": str(statement.closing),
        "lines": [
            {
                "date": line.date.isoformat(),
                "kind": line.kind,
                "reference": line.reference,
                "description": line.description,
                "amount": str(line.amount),
                "balance": str(line.balance),
            }
            for line in statement.lines
        ],
        "open_invoices": [
            {
                "invoice": row.invoice,
                "invoice_date": row.invoice_date.isoformat(),
                "due_date": row.due_date.isoformat(),
                "total": str(row.total),
                "balance_due": str(row.balance_due),
                "days_past_due": max(row.days_past_due, 0),
            }
            for row in statement.open_invoices
        ],
        "aging": {key: str(amount) for key, amount in statement.aging.items()},
        "credit": str(statement.credit),
        "remit_to": list(statement.remit_to),
    }
