"""Invoices in from the ERP (one or a thousand at once), listed, read and voided."""

from typing import Annotated, Literal

from ninja import Query, Router

from remit.api.access import customer_seen, invoice_seen
from remit.api.auth import EVERYONE, INTEGRATIONS, Principal
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import InvoiceOut, InvoicePage, invoice_out
from remit.api.schemas import (
    CursorParam,
    CustomerParam,
    Day,
    InvoiceIn,
    InvoicesIn,
    InvoiceVoidIn,
    LimitParam,
    NumberPath,
    currency_of,
    money,
)
from remit.api.selectors import invoices_page
from remit.core.errors import ImportRejected, InvalidAmount
from remit.invoices.csv_import import InvoiceRow
from remit.invoices.rules import InvalidTerms, terms_check
from remit.invoices.services import invoice_create, invoice_void, invoices_create
from remit.payments.services.cancel import invoice_cancel

router = Router(tags=["invoices"])

StatusParam = Annotated[Literal["open", "pending", "scheduled", "paid", "void"] | None, Query(None)]
DueBeforeParam = Annotated[Day | None, Query(None, description="Due before this date.")]


@router.get("", response=answers({200: InvoicePage}, 404), auth=EVERYONE)
def invoices_list(
    request,
    customer: CustomerParam,
    status: StatusParam,
    due_before: DueBeforeParam,
    cursor: CursorParam,
    limit: LimitParam,
):
    """Invoices in the order they were created, filtered; page with `next_cursor`."""
    items, next_cursor = invoices_page(
        request.auth,
        customer=customer_seen(request.auth, customer) if customer else None,
        status=status,
        due_before=due_before,
        cursor=cursor,
        limit=limit,
    )
    return InvoicePage(items=[invoice_out(i) for i in items], next_cursor=next_cursor)


@router.post("", response=answers({201: InvoiceOut}, *WRITES, 404), auth=INTEGRATIONS)
@idempotent(201)
def invoices_create_one(request, payload: InvoiceIn, idempotency_key: IdempotencyKey):
    customer = customer_seen(request.auth, payload.customer)
    total = money(payload.total, currency_of(customer, payload.currency), field="total")
    once(request)
    invoice = invoice_create(
        customer=customer,
        number=payload.number,
        invoice_date=payload.invoice_date,
        due_date=payload.due_date,
        total=total,
        description=payload.description,
        discount_percent=payload.discount_percent,
        discount_days=payload.discount_days,
        actor=request.auth.actor,
    )
    return invoice_out(invoice)


@router.post("/bulk", response=answers({201: list[InvoiceOut]}, *WRITES, 404), auth=INTEGRATIONS)
@idempotent(201)
def invoices_create_many(request, payload: InvoicesIn, idempotency_key: IdempotencyKey):
    """Up to 1,000 invoices, all or none: every refused one is named in `fields`."""
    rows = _rows(request.auth, payload)
    once(request)
    invoices = invoices_create(
        rows=rows, actor=request.auth.actor, reference=f"API, {len(rows)} invoices"
    )
    return [invoice_out(i) for i in invoices]


@router.get("/{number}", response=answers({200: InvoiceOut}, 404), auth=EVERYONE)
def invoices_get(request, number: NumberPath):
    return invoice_out(invoice_seen(request.auth, number))


@router.post("/{number}/void", response=answers({200: InvoiceOut}, *WRITES, 404), auth=INTEGRATIONS)
@idempotent(200)
def invoices_void(
    request, number: NumberPath, payload: InvoiceVoidIn, idempotency_key: IdempotencyKey
):
    """Cancel an invoice that has nothing applied to it; with `"unapply": true`, one that
    has ("cancel and unapply"): the payments on it move to customer credit and its own
    write-offs and credit notes are voided first. A void invoice's `balance_due` is 0."""
    invoice = invoice_seen(request.auth, number)
    once(request)
    cancel = invoice_cancel if payload.unapply else invoice_void
    invoice = cancel(invoice=invoice, reason=payload.reason, actor=request.auth.actor)
    return invoice_out(invoice)


def _rows(principal: Principal, payload: InvoicesIn) -> list[InvoiceRow]:
    """The request as rows for `invoices_create`; an amount refused for its currency is
    named with its place, and refuses them all."""
    customers = {}
    rows, problems = [], []
    for line, item in enumerate(payload.invoices, start=1):
        if item.customer not in customers:
            customers[item.customer] = customer_seen(principal, item.customer)
        customer = customers[item.customer]
        try:
            total = money(item.total, currency_of(customer, item.currency), field="total")
            terms = terms_check(item.discount_percent, item.discount_days)
        except (InvalidAmount, InvalidTerms) as refusal:
            problems.append((line, refusal.message))
            continue
        rows.append(
            InvoiceRow(
                line=line,
                number=item.number,
                customer_number=customer.number,
                customer_name=customer.name,
                invoice_date=item.invoice_date,
                due_date=item.due_date,
                total=total,
                description=item.description,
                terms=terms,
            )
        )
    if problems:
        raise ImportRejected(problems)
    return rows
