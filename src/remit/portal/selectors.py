"""The Open Invoices list: filtered, searched, sorted and paged by keyset.

It stays fast for a customer with 100,000 invoices because every query walks the index
`invoice_oldest_first` (customer, status, invoice_date, due_date, number) inside one
status and stops after one page: a list of several statuses (the default: Open, Pending
and Scheduled) is one small query per status, merged here. No OFFSET, no COUNT over the
customer's invoices: the page costs the same queries at 100 invoices and at 100,000.

The cursor is an invoice number ("after INV-10025"), looked up through the customer.
Ties are broken by the (unique) invoice number, compared as the database compares it;
on SQLite that is code-point order, the same as Python's.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import F, Sum
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import Terms, is_payable, terms_of
from remit.payments.discounts import discount_open
from remit.payments.models import Allocation
from remit.payments.states import PaymentStatus

PAGE_SIZES = (25, 50, 100)

SORTS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    # key: (label, columns, newest/largest first)
    "open": ("Open first, then oldest", ("invoice_date", "due_date", "number"), False),
    "date": ("Invoice date, oldest first", ("invoice_date", "due_date", "number"), False),
    "-date": ("Invoice date, newest first", ("invoice_date", "due_date", "number"), True),
    "due": ("Due date, soonest first", ("due_date", "number"), False),
    "-due": ("Due date, latest first", ("due_date", "number"), True),
    "number": ("Invoice number", ("number",), False),
    "-number": ("Invoice number, descending", ("number",), True),
}

GROUPED_SORTS = frozenset({"open"})
"""Sorts that list the statuses one after the other (Open, then Pending, then Scheduled…),
each in the sort's order, instead of merging them."""
DEFAULT_SORT = "open"

_UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PENDING, InvoiceStatus.SCHEDULED)
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "unpaid": ("Open, Pending and Scheduled", _UNPAID),
    "open": ("Open", (InvoiceStatus.OPEN,)),
    "partly_paid": ("Partly paid", (InvoiceStatus.OPEN,)),
    "pending": ("Pending", (InvoiceStatus.PENDING,)),
    "scheduled": ("Scheduled", (InvoiceStatus.SCHEDULED,)),
    "paid": ("Paid", (InvoiceStatus.PAID,)),
    "all": ("All invoices", (*_UNPAID, InvoiceStatus.PAID, InvoiceStatus.VOID)),
}

HOLD_REASONS = {
    InvoiceStatus.PENDING: "Pending: a payment of this invoice is being processed, "
    "so it cannot be paid again.",
    InvoiceStatus.SCHEDULED: "Scheduled: a scheduled payment holds this invoice. "
    "Cancel the scheduled payment to pay it now.",
    InvoiceStatus.PAID: "Paid: nothing is due on this invoice.",
    InvoiceStatus.VOID: "Void: this invoice was cancelled; nothing is due.",
}

_COLUMNS = (
    "number",
    "invoice_date",
    "due_date",
    "currency",
    "total_minor",
    "balance_due_minor",
    "status",
    "description",
    "id",
    "discount_percent",
    "discount_days",
)


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    invoice_date: date
    due_date: date
    total: Money
    balance: Money
    status: str
    description: str
    overdue: bool
    in_flight: Money | None = None
    """Pending: what payments not yet settled are paying (the balance still due until then)."""
    id: int = 0
    terms: Terms | None = None
    discount: Money | None = None
    """Inside its early-payment window: what paying `discounted` now saves (issue 14)."""

    @property
    def discounted(self) -> Money | None:
        """What closes it today, inside its window (None outside)."""
        return self.balance - self.discount if self.discount else None

    @property
    def discount_until(self) -> date | None:
        return self.terms.last_day(self.invoice_date) if self.terms else None

    @property
    def still_due(self) -> Money:
        """The balance due, counting a payment in flight as not yet paid."""
        return self.balance + self.in_flight if self.in_flight is not None else self.balance

    @property
    def partly_paid(self) -> bool:
        return self.status == InvoiceStatus.OPEN and self.balance < self.total

    @property
    def selectable(self) -> bool:
        return is_payable(self.status)

    @property
    def status_label(self) -> str:
        return "Partly paid" if self.partly_paid else InvoiceStatus(self.status).label

    @property
    def status_class(self) -> str:
        return "partly-paid" if self.partly_paid else self.status

    @property
    def hold_reason(self) -> str:
        return HOLD_REASONS.get(self.status, "")

    def sort_value(self, columns: Sequence[str]) -> tuple:
        return tuple(getattr(self, column) for column in columns)


@dataclass(frozen=True)
class InvoicePage:
    lines: tuple[InvoiceLine, ...]
    next_after: str | None
    """The cursor of the next page (the last number shown), if there is one."""
    prev_before: str | None
    """The cursor of the previous page (the first number shown), if there is one."""


@dataclass(frozen=True)
class InvoiceQuery:
    """What the clerk asked for; unknown values fall back to the defaults."""

    status: str = "unpaid"
    search: str = ""
    sort: str = DEFAULT_SORT
    size: int = 25

    @classmethod
    def parse(cls, params) -> InvoiceQuery:
        status = params.get("status", "unpaid")
        sort = params.get("sort", DEFAULT_SORT)
        try:
            size = int(params.get("per", 25))
        except (TypeError, ValueError):
            size = 25
        return cls(
            status=status if status in FILTERS else "unpaid",
            search=params.get("q", "").strip()[:64],
            sort=sort if sort in SORTS else DEFAULT_SORT,
            size=size if size in PAGE_SIZES else 25,
        )


class CursorNotFound(LookupError):
    """The cursor names no invoice of this customer."""


def invoice_page(
    *,
    customer: Customer,
    query: InvoiceQuery,
    today: date,
    after: str | None = None,
    before: str | None = None,
) -> InvoicePage:
    """One page of the customer's invoices, after or before a cursor invoice number."""
    _, columns, descending = SORTS[query.sort]
    cursor = _cursor(customer, columns, after or before) if (after or before) else None
    backwards = bool(before) and not after
    if backwards:
        lines, more = _fetch(customer, query, columns, not descending, cursor, today)
        if not more:  # we are back at the start: show a full first page
            return invoice_page(customer=customer, query=query, today=today)
        lines = _with_discounts(_with_in_flight(customer, lines[::-1]), today)
        return InvoicePage(lines=tuple(lines), next_after=lines[-1].number, prev_before=None)
    lines, more = _fetch(customer, query, columns, descending, cursor, today)
    lines = _with_discounts(_with_in_flight(customer, lines), today)
    return InvoicePage(
        lines=tuple(lines),
        next_after=lines[-1].number if more and lines else None,
        prev_before=lines[0].number if cursor is not None and lines else None,
    )


def _fetch(
    customer: Customer,
    query: InvoiceQuery,
    columns: tuple[str, ...],
    descending: bool,
    cursor: tuple | None,
    today: date,
) -> tuple[list[InvoiceLine], bool]:
    """Up to one page in the given order, and whether more follow."""
    _, statuses = FILTERS[query.status]
    order = [f"-{c}" if descending else c for c in columns]
    grouped = query.sort in GROUPED_SORTS
    if grouped and descending:  # walking a grouped list backwards: the last status first
        statuses = statuses[::-1]
    at, status_at = cursor if cursor is not None else (None, None)
    passed = status_at is None  # a grouped walk skips the statuses before the cursor's
    per_status: list[list[InvoiceLine]] = []
    found = 0
    for status in statuses:
        rows = Invoice.objects.filter(customer=customer, status=status)
        if query.search:
            rows = rows.filter(number__icontains=query.search)
        if query.status == "partly_paid":
            rows = rows.filter(balance_due_minor__lt=F("total_minor"))
        if grouped:
            if not passed and status != status_at:
                continue
            if not passed:
                beyond = TupleLessThan if descending else TupleGreaterThan
                rows = rows.filter(beyond(Tuple(*(F(c) for c in columns)), at))
            passed = True
        elif at is not None:
            beyond = TupleLessThan if descending else TupleGreaterThan
            rows = rows.filter(beyond(Tuple(*(F(c) for c in columns)), at))
        rows = rows.order_by(*order).values_list(*_COLUMNS)[: query.size + 1 - found]
        per_status.append([_line(row, today) for row in rows])
        if grouped:
            found += len(per_status[-1])
            if found > query.size:
                break
    if grouped:
        merged = [line for lines in per_status for line in lines]
    else:
        merged = list(
            heapq.merge(*per_status, key=lambda line: line.sort_value(columns), reverse=descending)
        )
    return merged[: query.size], len(merged) > query.size


def _with_discounts(lines: list[InvoiceLine], today: date) -> list[InvoiceLine]:
    """Open lines inside their early-payment window with the discount paying now earns
    (no query unless some line has terms in its window)."""
    offered = discount_open(
        [
            (line.id, line.invoice_date, line.balance.minor, line.total.minor, line.terms)
            for line in lines
            if line.status == InvoiceStatus.OPEN and line.terms is not None
        ],
        on=today,
    )
    return [
        replace(line, discount=Money.from_minor(offered[line.id], line.balance.currency))
        if line.id in offered
        else line
        for line in lines
    ]


def _with_in_flight(customer: Customer, lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Pending lines with what their payments in flight are paying: one query whatever the
    page holds (a list never empty, so the query always runs and the page's cost is even)."""
    pending = [line.number for line in lines if line.status == InvoiceStatus.PENDING]
    paying = dict(
        Allocation.objects.filter(
            invoice__customer=customer,
            invoice__number__in=pending or [""],
            reversed=False,
            payment__status=PaymentStatus.PENDING,
        )
        .values("invoice__number")
        .annotate(total=Sum("amount_minor"))
        .values_list("invoice__number", "total")
    )
    return [
        replace(line, in_flight=Money.from_minor(paying[line.number], line.balance.currency))
        if line.number in paying
        else line
        for line in lines
    ]


def _cursor(customer: Customer, columns: tuple[str, ...], number: str) -> tuple:
    """The cursor invoice's sort columns, and its status (where a grouped walk resumes)."""
    found = (
        Invoice.objects.filter(customer=customer, number=number)
        .values_list(*columns, "status")
        .first()
    )
    if found is None:
        raise CursorNotFound(number)
    return tuple(found[:-1]), found[-1]


def _line(row: tuple, today: date) -> InvoiceLine:
    number, invoice_date, due_date, currency, total, balance, status, description, *rest = row
    invoice_id, percent, days = rest
    return InvoiceLine(
        id=invoice_id,
        terms=terms_of(percent, days),
        number=number,
        invoice_date=invoice_date,
        due_date=due_date,
        total=Money.from_minor(total, currency),
        balance=Money.from_minor(balance, currency),
        status=status,
        description=description,
        overdue=(
            due_date < today
            and balance > 0
            and status in (InvoiceStatus.OPEN, InvoiceStatus.SCHEDULED)
        ),
    )


# --- the invoices a clerk selected -------------------------------------------------------


def selected_invoices(*, customer: Customer, numbers: Sequence[str]) -> list[Invoice] | None:
    """The named invoices of this customer, oldest first; None when any is not theirs."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    invoices = list(
        Invoice.objects.filter(customer=customer, number__in=wanted).order_by(
            "invoice_date", "due_date", "number"
        )
    )
    return invoices if len(invoices) == len(wanted) else None
