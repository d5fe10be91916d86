"""How bank statements and lines read as JSON, for the API and `remit bank --json` alike."""

from __future__ import annotations

from remit.bank.models import BankLine
from remit.bank.services import ImportResult
from remit.core.money import Money


def import_json(result: ImportResult) -> dict:
    return {
        "statement": result.statement.pk,
        "format": result.statement.format,
        "lines": result.lines,
        **result.counts,
        "duplicate_of": result.duplicate_of,
    }


def line_json(line: BankLine) -> dict:
    """A line as issue 13 gives it. A debit's amount is positive (it is ignored, its reason
    says "A debit"); a line matched to a deposit slip names the slip in its reason; a
    duplicate names the line it repeats in its reason."""
    applied = sum(Money.of(a["amount"], line.currency).minor for a in line.allocations)
    credit = None
    if line.customer_id is not None and line.status in ("posted", "review", "matched"):
        credit = str(Money.from_minor(max(0, line.amount_minor - applied), line.currency))
    return {
        "id": line.pk,
        "statement": line.statement_id,
        "date": line.booked_on.isoformat(),
        "amount": str(line.amount),
        "currency": line.currency,
        "bank_reference": line.bank_reference,
        "payer": line.payer,
        "text": line.text,
        "status": line.status,
        "customer": line.customer.number if line.customer_id else None,
        "payment": line.payment.number if line.payment_id else None,
        "allocations": [{"invoice": a["invoice"], "amount": a["amount"]} for a in line.allocations],
        "credit_created": credit,
        "confidence": line.confidence,
        "reason": line.reason,
    }
