"""Writes to invoices: create, import from CSV, void. Payments change balances, not this."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction

from remit.core.audit import Actor, audit_record
from remit.core.errors import ImportRejected, RemitError, VoidRefused
from remit.core.money import Money
from remit.customers.models import Customer
from remit.customers.services import customer_create
from remit.invoices import rules
from remit.invoices.csv_import import InvoiceRow, row_refusal
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post


def invoice_create(
    *,
    customer: Customer,
    number: str,
    invoice_date: date,
    due_date: date,
    total: Money,
    description: str = "",
    discount_percent: Decimal | None = None,
    discount_days: int | None = None,
    actor: Actor,
) -> Invoice:
    """One invoice by hand; the same checks as a CSV line, each refusal naming its field
    (number, invoice_date, due_date, total, description, discount_percent, discount_days)."""
    terms = rules.terms_check(discount_percent, discount_days)
    row = InvoiceRow(
        line=1,
        number=number,
        customer_number=customer.number,
        customer_name=customer.name,
        invoice_date=invoice_date,
        due_date=due_date,
        total=total,
        description=description,
        terms=terms,
    )
    refusal = row_refusal(row)
    if refusal:
        column, sentence = next(iter(refusal.fields.items()))
        field = FORM_FIELDS.get(column, column)
        raise type(refusal)(sentence, fields={field: sentence})
    if Invoice.objects.filter(number=number).exists():
        raise RemitError(f"Invoice {number} already exists.", fields={"number": "taken"})
    return invoices_create(rows=[row], actor=actor, reference=number)[0]


FORM_FIELDS = {"invoice_number": "number", "customer_number": "customer"}
"""A CSV column -> the field of a form or API request that names the same thing."""


def invoice_rows_problems(rows: Sequence[InvoiceRow]) -> list[tuple[int, str]]:
    """What the database refuses in rows parsed from a file, line by line: a number
    taken, another currency than the customer's, a new customer without a name. The
    import (`remit.payments.services.invoice_import`) reports them all before writing."""
    customers = {
        c.number: c for c in Customer.objects.filter(number__in={r.customer_number for r in rows})
    }
    problems = _problems_against_database(rows, customers)
    problems += [
        (r.line, f"customer {r.customer_number} does not exist and customer_name is empty")
        for r in rows
        if r.customer_number not in customers and not r.customer_name
    ]
    return problems


def _problems_against_database(
    rows: Sequence[InvoiceRow], customers: dict[str, Customer]
) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    taken = set(
        Invoice.objects.filter(number__in=[r.number for r in rows]).values_list("number", flat=True)
    )
    seen: dict[str, int] = {}
    for row in rows:
        refusal = row_refusal(row)
        if refusal:
            problems.append((row.line, refusal.message.rstrip(".")))
        if row.number in seen:
            problems.append((row.line, f"invoice {row.number} is also on line {seen[row.number]}"))
        seen.setdefault(row.number, row.line)
        if row.number in taken:
            problems.append((row.line, f"invoice {row.number} already exists"))
    return problems


@transaction.atomic
def invoices_create(*, rows: Sequence[InvoiceRow], actor: Actor, reference: str) -> list[Invoice]:
    """Write rows (parsed by `parse_invoice_csv` or built by hand), creating missing
    customers, with one journal entry for them all. Rows that clash with the database
    (a taken number, another currency than the customer's) refuse the whole batch."""
    customers = {
        c.number: c for c in Customer.objects.filter(number__in={r.customer_number for r in rows})
    }
    problems = _problems_against_database(rows, customers)
    if problems:
        raise ImportRejected(sorted(problems))
    for row in rows:
        if row.customer_number not in customers:
            customers[row.customer_number] = customer_create(
                number=row.customer_number,
                name=row.customer_name,
                currency=row.total.currency,
                actor=actor,
            )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            number=row.number,
            customer=customers[row.customer_number],
            invoice_date=row.invoice_date,
            due_date=row.due_date,
            currency=row.total.currency,
            total_minor=row.total.minor,
            balance_due_minor=row.total.minor,
            status=InvoiceStatus.OPEN,
            description=row.description,
            discount_percent=row.terms.percent if row.terms else None,
            discount_days=row.terms.days if row.terms else None,
        )
        for row in rows
    )
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.total.currency] += row.total.minor
    postings = []
    for currency, minor in totals.items():
        amount = Money.from_minor(minor, currency)
        postings += [
            Posting.debit(Account.RECEIVABLE, amount),
            Posting.credit(Account.SALES, amount),
        ]
    journal_post(
        posted_on=min(r.invoice_date for r in rows),
        reference=reference[:64],
        description=f"{len(rows)} invoice(s) issued",
        postings=postings,
    )
    audit_record(
        actor=actor,
        action="invoice.created",
        object_type="Invoice",
        object_id=reference[:64],
        after={"invoices": [r.number for r in rows][:1000], "count": len(rows)},
    )
    return invoices


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str = "", actor: Actor) -> Invoice:
    """Cancel an invoice that has nothing applied to it."""
    Customer.objects.select_for_update().get(pk=invoice.customer_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise VoidRefused(f"{invoice.number} is already void.")
    # A scheduled invoice may be voided: its schedule leaves it out when it runs.
    holdable = (InvoiceStatus.OPEN, InvoiceStatus.SCHEDULED)
    if invoice.balance_due_minor != invoice.total_minor or invoice.status not in holdable:
        raise VoidRefused(
            f"{invoice.number} has payments applied to it; void those payments first."
        )
    before = {"status": invoice.status, "balance_due": str(invoice.balance_due)}
    journal_post(
        posted_on=date.today(),
        reference=invoice.number,
        description=f"Invoice {invoice.number} voided" + (f": {reason}" if reason else ""),
        postings=[
            Posting.debit(Account.SALES, invoice.total),
            Posting.credit(Account.RECEIVABLE, invoice.total),
        ],
    )
    # The balance stays total - live allocations (DESIGN rule 2); receivables leave the
    # books through the journal entry above, and the audit sums only live invoices.
    invoice.status = InvoiceStatus.VOID
    invoice.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="invoice.voided",
        obj=invoice,
        before=before,
        after={"status": "void", "reason": reason},
    )
    return invoice
