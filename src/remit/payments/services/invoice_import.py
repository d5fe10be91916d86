"""Importing an invoice file (`remit import-invoices`, the back office's Import CSV): its
invoices, and its credit-note rows (issue 14), all or nothing.

Every line is checked first, the file's own problems and then the database's, and all of
them are reported together; only a good file is written. Its invoices are created first,
so a credit note may credit an invoice of the same file, then each credit note is issued
through `credit_note_issue`, in the file's order, in the same transaction: one refused
there (more than is left to credit, say) refuses the whole file, naming its line.

A credit note row's own number is its idempotency key (`csv:<number>`), so the same credit
note in a second file is refused as already imported, never issued twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from remit.core.audit import Actor
from remit.core.errors import ImportRejected, RemitError
from remit.core.money import currency_mismatch
from remit.customers.models import Customer
from remit.invoices.csv_import import CreditNoteRow, InvoiceRow, parse_invoice_csv
from remit.invoices.models import Invoice
from remit.invoices.services import invoice_rows_problems, invoices_create
from remit.payments.models import Payment, PaymentType
from remit.payments.services.credit_note import credit_note_issue


@dataclass(frozen=True)
class Imported:
    invoices: list[Invoice]
    credit_notes: list[Payment]


def invoices_import(*, csv_text: str, actor: Actor, source: str) -> Imported:
    """Import the file's invoices and credit notes, or refuse it whole (ImportRejected,
    every bad line with its number and reason)."""
    rows, problems = parse_invoice_csv(csv_text)
    invoices = [r for r in rows if isinstance(r, InvoiceRow)]
    credit_notes = [r for r in rows if isinstance(r, CreditNoteRow)]
    problems += invoice_rows_problems(invoices)
    problems += _credit_note_problems(credit_notes, invoices)
    if problems:
        raise ImportRejected(sorted(problems))
    if not rows:
        raise RemitError("The file has no invoices in it.")
    with transaction.atomic():
        created = (
            invoices_create(rows=invoices, actor=actor, reference="CSV import") if invoices else []
        )
        customers = {
            c.number: c
            for c in Customer.objects.filter(number__in={r.customer_number for r in credit_notes})
        }
        issued = [
            _issue(row, customers[row.customer_number], actor, source) for row in credit_notes
        ]
    return Imported(invoices=created, credit_notes=issued)


def credit_note_key(number: str) -> str:
    """The idempotency key of the credit note numbered `number` in an imported file."""
    return f"csv:{number}"


def _issue(row: CreditNoteRow, customer: Customer, actor: Actor, source: str) -> Payment:
    try:
        return credit_note_issue(
            customer=customer,
            invoice=row.invoice_number,
            amount=row.amount,
            reason=row.reason,
            idempotency_key=credit_note_key(row.number),
            actor=actor,
            source=source,
            post_date=row.issued_on,
        )
    except RemitError as error:  # the transaction is rolled back: nothing is written
        raise ImportRejected([(row.line, error.message.rstrip("."))]) from None


def _credit_note_problems(
    rows: list[CreditNoteRow], invoices: list[InvoiceRow]
) -> list[tuple[int, str]]:
    """A credit note must credit an invoice of its own customer (in the database, or
    earlier in the file) in its currency, and must not have been imported before."""
    if not rows:
        return []
    in_file = {r.number: r for r in invoices}
    stored = {
        i.number: i
        for i in Invoice.objects.select_related("customer").filter(
            number__in={r.invoice_number for r in rows}
        )
    }
    imported = dict(
        Payment.objects.filter(
            type=PaymentType.CREDIT_NOTE,
            idempotency_key__in=[credit_note_key(r.number) for r in rows],
        ).values_list("idempotency_key", "number")
    )
    problems = []
    for row in rows:
        owner, currency = _owner_and_currency(row.invoice_number, in_file, stored)
        if owner is None:
            problems.append(
                (row.line, f"credit_note_for: there is no invoice {row.invoice_number}")
            )
        elif owner != row.customer_number:
            sentence = f"{row.invoice_number} is not {row.customer_number}'s"
            problems.append((row.line, f"credit_note_for: {sentence}"))
        elif currency != row.amount.currency:
            mismatch = currency_mismatch(
                row.invoice_number, billed=currency, given=row.amount.currency
            )
            problems.append((row.line, f"currency: {mismatch.message.rstrip('.')}"))
        done = imported.get(credit_note_key(row.number))
        if done:
            problems.append((row.line, f"credit note {row.number} was already imported as {done}"))
    return problems


def _owner_and_currency(
    number: str, in_file: dict[str, InvoiceRow], stored: dict[str, Invoice]
) -> tuple[str | None, str | None]:
    """The customer number and currency of invoice `number`, from the file or the
    database; (None, None) when it is in neither."""
    if number in in_file:
        return in_file[number].customer_number, in_file[number].total.currency
    if number in stored:
        return stored[number].customer.number, stored[number].currency
    return None, None
