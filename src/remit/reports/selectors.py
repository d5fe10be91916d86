"""The reports' reads. Every figure is summed in the database or from rows the services
wrote; nothing here writes.

A report "as of" a past day counts what is known today: the invoices dated on or before
that day, less the allocations of payments posted on or before it. An allocation since
reversed (a void) and an invoice since voided count as if they had never been.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import Account, JournalLine
from remit.payments.models import Allocation, Payment
from remit.reports.aging import Aging, OwedInvoice, aging_build
from remit.reports.cash import CashMovement, CashReport, cash_build
from remit.reports.trend import DSO_DAYS, Month, dso, month_ends

CASH_ACCOUNTS = (Account.UNDEPOSITED_FUNDS, Account.CARD_CLEARING)
"""Where money received lands: offline payments, and card and bank payments."""


def _live_invoices():
    return Invoice.objects.exclude(status=InvoiceStatus.VOID)


def _applied_after(as_of: date, invoices=None) -> dict[int, int]:
    """Per invoice, what payments posted after `as_of` applied to it (still live)."""
    rows = Allocation.objects.filter(reversed=False, payment__post_date__gt=as_of)
    if invoices is not None:
        rows = rows.filter(invoice__in=invoices)
    return dict(
        rows.values("invoice_id").annotate(s=Sum("amount_minor")).values_list("invoice_id", "s")
    )


def owed_invoices(*, as_of: date, customer: Customer | None = None) -> list[OwedInvoice]:
    """Every invoice with something owed at the end of `as_of`, oldest due first."""
    invoices = _live_invoices().filter(invoice_date__lte=as_of)
    if customer is not None:
        invoices = invoices.filter(customer=customer)
    later = _applied_after(as_of, invoices)
    rows = (
        invoices.filter(Q(balance_due_minor__gt=0) | Q(id__in=list(later)))
        .order_by("due_date", "number")
        .values_list(
            "id",
            "customer__number",
            "customer__name",
            "number",
            "currency",
            "invoice_date",
            "due_date",
            "balance_due_minor",
        )
    )
    return [
        OwedInvoice(number_, name, invoice, currency, dated, due, balance + later.get(pk, 0))
        for pk, number_, name, invoice, currency, dated, due, balance in rows
    ]


def aging_report(*, as_of: date) -> list[Aging]:
    """AR aging at `as_of`, one per currency."""
    return aging_build(owed_invoices(as_of=as_of), as_of=as_of)


def cash_movements(*, start: date, end: date) -> list[CashMovement]:
    """The journal's lines of payments on undeposited funds and clearing, `start` to `end`."""
    payment_type = Payment.objects.filter(number=OuterRef("entry__reference")).values("type")[:1]
    rows = (
        JournalLine.objects.filter(
            account__in=CASH_ACCOUNTS, entry__posted_on__gte=start, entry__posted_on__lte=end
        )
        .annotate(payment_type=Subquery(payment_type))
        .filter(payment_type__isnull=False)
        .values_list("entry__posted_on", "currency", "payment_type", "amount_minor")
    )
    return [CashMovement(*row) for row in rows]


def cash_received(*, start: date, end: date) -> list[CashReport]:
    return cash_build(cash_movements(start=start, end=end), start=start, end=end)


def _at_month_ends(ends: list[date], *, due_before: bool) -> dict[str, list[int]]:
    """Per currency, the receivables (or, `due_before`, the part past due) at each day of
    `ends`: balances now, plus what payments posted after that day applied since."""
    field = "due_date" if due_before else "invoice_date"

    def when(day: date, *, path: str, amount: str):
        condition = {f"{path}{field}__{'lt' if due_before else 'lte'}": day}
        if path:
            condition["payment__post_date__gt"] = day
        return Coalesce(
            Sum(
                Case(When(**condition, then=amount), default=Value(0)), output_field=IntegerField()
            ),
            0,
        )

    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(ends))
    balances = (
        _live_invoices()
        .values("currency")
        .annotate(
            **{f"m{i}": when(d, path="", amount="balance_due_minor") for i, d in enumerate(ends)}
        )
    )
    for row in balances:
        sums[row["currency"]] = [row[f"m{i}"] for i in range(len(ends))]
    later = (
        Allocation.objects.filter(reversed=False)
        .exclude(invoice__status=InvoiceStatus.VOID)
        .filter(payment__post_date__gt=min(ends))
        .values("currency")
        .annotate(
            **{
                f"m{i}": when(d, path="invoice__", amount="amount_minor")
                for i, d in enumerate(ends)
            }
        )
    )
    for row in later:
        totals = sums[row["currency"]]
        for i in range(len(ends)):
            totals[i] += row[f"m{i}"]
    return sums


def trend(*, today: date) -> dict[str, list[Month]]:
    """Per currency, the last 12 months: invoiced, collected (the cash received, net),
    receivables and the part past due at each month's end."""
    months = month_ends(today)
    first = months[0][0]
    invoiced: dict[tuple[str, date], int] = {
        (currency, month): total
        for currency, month, total in _live_invoices()
        .filter(invoice_date__gte=first, invoice_date__lte=today)
        .annotate(month=TruncMonth("invoice_date"))
        .values("currency", "month")
        .annotate(total=Sum("total_minor"))
        .values_list("currency", "month", "total")
    }
    collected: dict[tuple[str, date], int] = defaultdict(int)
    for move in cash_movements(start=first, end=today):
        collected[(move.currency, move.day.replace(day=1))] += move.amount_minor
    ends = [last for _, last in months]
    receivable = _at_month_ends(ends, due_before=False)
    overdue = _at_month_ends(ends, due_before=True)
    currencies = sorted({c for c, _ in invoiced} | {c for c, _ in collected} | set(receivable))
    return {
        currency: [
            Month(
                first=start,
                last=last,
                invoiced_minor=invoiced.get((currency, start), 0),
                collected_minor=collected.get((currency, start), 0),
                receivable_minor=receivable.get(currency, [0] * len(ends))[i],
                overdue_minor=overdue.get(currency, [0] * len(ends))[i],
            )
            for i, (start, last) in enumerate(months)
        ]
        for currency in currencies
    }


def dso_now(*, today: date) -> dict[str, object]:
    """Per currency, the days sales outstanding over the last `DSO_DAYS` days (None when
    nothing was invoiced in them)."""
    since = today - timedelta(days=DSO_DAYS - 1)
    sales = dict(
        _live_invoices()
        .filter(invoice_date__gte=since, invoice_date__lte=today)
        .values("currency")
        .annotate(total=Sum("total_minor"))
        .values_list("currency", "total")
    )
    receivable = _at_month_ends([today], due_before=False)
    return {
        currency: dso(
            receivable_minor=receivable.get(currency, [0])[0],
            sales_minor=sales.get(currency, 0),
            days=DSO_DAYS,
        )
        for currency in sorted(set(sales) | set(receivable))
    }
