"""The reports' reads. Every figure is summed in the database or from rows the services
wrote; nothing here writes.

A report "as of" a past day counts what is known today: the invoices dated on or before
that day, less the allocations of payments posted on or before it. An allocation since
reversed (a void) and an invoice since voided count as if they had never been.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date, timedelta
from itertools import accumulate

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import Account, JournalLine
from remit.payments.models import Allocation, Payment
from remit.reports.aging import Aging, OwedInvoice, OwedSums, aging_from_sums, bucket_due_dates
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
    """AR aging at `as_of`, one per currency: summed per customer and bucket in the
    database (two queries, whatever the number of invoices)."""
    bounds = bucket_due_dates(as_of)

    def buckets(due: str, amount: str) -> dict:
        sums = {}
        for name, (earliest, latest) in bounds.items():
            condition = Q()
            if earliest is not None:
                condition &= Q(**{f"{due}__gte": earliest})
            if latest is not None:
                condition &= Q(**{f"{due}__lte": latest})
            sums[name] = Coalesce(
                Sum(Case(When(condition, then=amount), default=Value(0))),
                0,
                output_field=IntegerField(),
            )
        return sums

    now = (
        _live_invoices()
        .filter(invoice_date__lte=as_of, balance_due_minor__gt=0)
        .values("customer__number", "customer__name", "currency")
        .annotate(**buckets("due_date", "balance_due_minor"))
    )
    later = (
        Allocation.objects.filter(
            reversed=False, payment__post_date__gt=as_of, invoice__invoice_date__lte=as_of
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .values("invoice__customer__number", "invoice__customer__name", "currency")
        .annotate(**buckets("invoice__due_date", "amount_minor"))
    )
    rows = [OwedSums(r["customer__number"], r["customer__name"], r["currency"], r) for r in now] + [
        OwedSums(r["invoice__customer__number"], r["invoice__customer__name"], r["currency"], r)
        for r in later
    ]
    return aging_from_sums(rows, as_of=as_of)


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


def _at_month_ends(ends: list[date]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Per currency, the receivables and the part of them past due at each day of `ends`
    (ascending): balances now, plus what payments posted after that day applied since.
    Summed by the database per invoice and due date (two queries); each sum then counts
    for a run of `ends`: from the first end on or after its invoice date (after its due
    date, for the part past due) up to the last end before its payment's post date."""
    owed: dict[str, list[int]] = defaultdict(lambda: [0] * (len(ends) + 1))
    late: dict[str, list[int]] = defaultdict(lambda: [0] * (len(ends) + 1))

    def count(currency: str, dated: date, due: date, stop: int, total: int) -> None:
        for steps, begin in ((owed, bisect_left(ends, dated)), (late, bisect_right(ends, due))):
            if begin < stop:
                steps[currency][begin] += total
                steps[currency][stop] -= total

    balances = (
        _live_invoices()
        .filter(balance_due_minor__gt=0, invoice_date__lte=ends[-1])
        .values("currency", "invoice_date", "due_date")
        .annotate(total=Sum("balance_due_minor"))
        .values_list("currency", "invoice_date", "due_date", "total")
    )
    for currency, dated, due, total in balances:
        count(currency, dated, due, len(ends), total)
    later = (
        Allocation.objects.filter(reversed=False, payment__post_date__gt=ends[0])
        .exclude(invoice__status=InvoiceStatus.VOID)
        .values("currency", "invoice__invoice_date", "invoice__due_date", "payment__post_date")
        .annotate(total=Sum("amount_minor"))
        .values_list(
            "currency", "invoice__invoice_date", "invoice__due_date", "payment__post_date", "total"
        )
    )
    for currency, dated, due, posted, total in later:
        count(currency, dated, due, bisect_left(ends, posted), total)

    def runs(steps: dict[str, list[int]]) -> dict[str, list[int]]:
        return {currency: list(accumulate(step[:-1])) for currency, step in steps.items()}

    return runs(owed), runs(late)


def trend(*, today: date) -> dict[str, list[Month]]:
    """Per currency, the last 12 months: invoiced, collected (the cash received, net),
    receivables and the part past due at each month's end."""
    months = month_ends(today)
    first = months[0][0]
    # Summed per day by the database, per month here (SQLite truncates a date to its
    # month in Python, row by row: ten times slower at 100,000 invoices).
    invoiced: dict[tuple[str, date], int] = defaultdict(int)
    for currency, day, total in (
        _live_invoices()
        .filter(invoice_date__gte=first, invoice_date__lte=today)
        .values("currency", "invoice_date")
        .annotate(total=Sum("total_minor"))
        .values_list("currency", "invoice_date", "total")
    ):
        invoiced[(currency, day.replace(day=1))] += total
    collected: dict[tuple[str, date], int] = defaultdict(int)
    for move in cash_movements(start=first, end=today):
        collected[(move.currency, move.day.replace(day=1))] += move.amount_minor
    ends = [last for _, last in months]
    receivable, overdue = _at_month_ends(ends)
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
    receivable = _receivable_at(today)
    return {
        currency: dso(
            receivable_minor=receivable.get(currency, 0),
            sales_minor=sales.get(currency, 0),
            days=DSO_DAYS,
        )
        for currency in sorted(set(sales) | set(receivable))
    }


def _receivable_at(day: date) -> dict[str, int]:
    """Per currency, what was owed at the end of `day` (two sums)."""
    owed: dict[str, int] = defaultdict(int)
    for currency, total in (
        _live_invoices()
        .filter(invoice_date__lte=day, balance_due_minor__gt=0)
        .values("currency")
        .annotate(total=Sum("balance_due_minor"))
        .values_list("currency", "total")
    ):
        owed[currency] += total
    for currency, total in (
        Allocation.objects.filter(
            reversed=False, payment__post_date__gt=day, invoice__invoice_date__lte=day
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    ):
        owed[currency] += total
    return owed
