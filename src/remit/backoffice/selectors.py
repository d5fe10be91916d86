"""What the back-office screens read. Nothing here writes.

The domain apps' selectors answer the domain's questions (a payment's split, a customer's
credit); these assemble what one screen shows, always reaching an object through its
customer, so a number typed into a URL cannot reach another customer's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import Http404
from django.utils import timezone

from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import JournalEntry
from remit.payments.models import Allocation, CreditKind, Dispute, Payment, PaymentMethod
from remit.payments.selectors import credit_balances, credit_entries, payment_methods
from remit.payments.states import TRANSITIONS, Action, Outcome, PaymentStatus
from remit.receipts.selectors import method_label

LIVE = ~Q(status=InvoiceStatus.VOID)
UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PENDING, InvoiceStatus.SCHEDULED)


# --- customers ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    balance_due: Money
    open_invoices: int


def customer_search(*, query: str, limit: int = 25) -> list[CustomerRow]:
    """Customers whose name, number or email contains `query`, exact numbers first."""
    query = query.strip()
    customers = Customer.objects.all()
    if query:
        customers = customers.filter(
            Q(name__icontains=query) | Q(number__icontains=query) | Q(email__icontains=query)
        )
    customers = customers.annotate(
        due=Sum("invoices__balance_due_minor", filter=Q(invoices__status__in=UNPAID)),
        unpaid=Count("invoices", filter=Q(invoices__status=InvoiceStatus.OPEN)),
    ).order_by("name", "number")[: limit + 1]
    rows = [CustomerRow(c, Money.from_minor(c.due or 0, c.currency), c.unpaid) for c in customers]
    exact = [r for r in rows if r.customer.number.lower() == query.lower()]
    return (exact + [r for r in rows if r not in exact])[:limit]


def customer_by_number(number: str) -> Customer:
    try:
        return Customer.objects.get(number=number)
    except Customer.DoesNotExist:
        raise Http404(f"There is no customer {number}.") from None


@dataclass(frozen=True)
class CustomerRecord:
    customer: Customer
    open_invoices: list[Invoice]
    balance_due: Money
    overdue: Money
    payments: list[Payment]
    credit: dict[str, Money]
    credit_entries: list
    today: date
    balances: list[Money] = field(default_factory=list)
    """Balance Due per currency, the customer's default first (never summed across)."""
    overdues: list[Money] = field(default_factory=list)

    @property
    def credit_total(self) -> Money:
        return self.credit.get(self.customer.currency, Money.zero(self.customer.currency))

    @property
    def payable(self) -> list[Invoice]:
        return [i for i in self.open_invoices if i.is_payable]


def customer_record(*, customer: Customer, payments_shown: int = 50) -> CustomerRecord:
    today = timezone.localdate()
    unpaid = list(
        Invoice.objects.filter(customer=customer, status__in=UNPAID).order_by(
            "invoice_date", "due_date", "number"
        )
    )
    currencies = [customer.currency, *sorted({i.currency for i in unpaid} - {customer.currency})]
    balances = [
        Money.from_minor(sum(i.balance_due_minor for i in unpaid if i.currency == c), c)
        for c in currencies
    ]
    overdues = [
        Money.from_minor(
            sum(i.balance_due_minor for i in unpaid if i.currency == c and i.due_date < today), c
        )
        for c in currencies
    ]
    payments = list(
        with_invoices(Payment.objects.filter(customer=customer).select_related("method")).order_by(
            "-post_date", "-id"
        )[:payments_shown]
    )
    return CustomerRecord(
        customer=customer,
        open_invoices=unpaid,
        balance_due=balances[0],
        overdue=overdues[0],
        payments=payments,
        credit=credit_balances(customer=customer),
        credit_entries=list(reversed(credit_entries(customer=customer))),
        today=today,
        balances=balances,
        overdues=[o for o in overdues if o.is_positive()] or overdues[:1],
    )


def payable_invoices(*, customer: Customer, currency: str = "") -> list[Invoice]:
    """The invoices a payment in `currency` (default: the customer's) may be applied to
    now, oldest first (what the split uses)."""
    return list(
        Invoice.objects.filter(
            customer=customer, status=InvoiceStatus.OPEN, currency=currency or customer.currency
        ).order_by("invoice_date", "due_date", "number")
    )


def payment_currencies(*, customer: Customer) -> list[str]:
    """The currencies a Customer Payment may be in: the customer's default first, then
    each other one the customer has open invoices in."""
    others = (
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
        .exclude(currency=customer.currency)
        .values_list("currency", flat=True)
        .distinct()
    )
    return [customer.currency, *sorted(set(others))]


def payment_currency(customer: Customer, asked: str | None) -> str:
    """The currency the clerk chose (one of `payment_currencies`), else the default."""
    asked = (asked or "").upper()
    return asked if asked in payment_currencies(customer=customer) else customer.currency


def card_methods(*, customer: Customer, also: int | str | None = None) -> list[PaymentMethod]:
    """The customer's saved cards; `also` a card added for this payment only (unspent)."""
    return [m for m in payment_methods(customer=customer, also=also) if m.kind == "card"]


# --- invoices -------------------------------------------------------------------------


PARTLY_PAID = "partly_paid"
STATUS_FILTERS = [
    *InvoiceStatus.choices[:1],
    (PARTLY_PAID, "Partly paid"),
    *InvoiceStatus.choices[1:],
]
"""The invoice list's status filter: the statuses, and Partly paid (open, something paid)."""

RECORD_FILTERS = {"open": "Open", "paid": "Paid", "all": "All"}
"""Which of a customer's invoices the record lists: unpaid (the default), paid, or all."""


def customer_invoices(*, customer: Customer, shown: str, limit: int = 200) -> list[Invoice]:
    """The customer's paid invoices (newest first) or all of them, for the record's filter."""
    invoices = Invoice.objects.filter(customer=customer)
    if shown == "paid":
        invoices = invoices.filter(status=InvoiceStatus.PAID)
    return list(invoices.order_by("-invoice_date", "-number")[:limit])


def with_invoices(payments):
    """`payments` with each one's allocations (reversed too: a void keeps its invoices),
    read in one more query, as `shown_allocations`."""
    return payments.prefetch_related(
        Prefetch(
            "allocations",
            queryset=Allocation.objects.select_related("invoice").order_by("id"),
            to_attr="shown_allocations",
        )
    )


def invoice_search(*, query: str = "", status: str = "", page: int | str = 1) -> Page:
    """All customers' invoices, newest first, by number or customer name or number."""
    invoices = Invoice.objects.select_related("customer")
    query = query.strip()
    if query:
        invoices = invoices.filter(
            Q(number__icontains=query)
            | Q(customer__name__icontains=query)
            | Q(customer__number__icontains=query)
        )
    if status == PARTLY_PAID:
        invoices = invoices.filter(
            status=InvoiceStatus.OPEN, balance_due_minor__lt=F("total_minor")
        )
    elif status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    paginator = Paginator(invoices.order_by("-invoice_date", "-number"), 50)
    return paginator.get_page(page)


def invoice_of(customer: Customer, number: str) -> Invoice:
    try:
        return Invoice.objects.select_related("customer").get(customer=customer, number=number)
    except Invoice.DoesNotExist:
        raise Http404(f"{customer.number} has no invoice {number}.") from None


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    allocations: list[Allocation]
    voidable: bool
    payable: bool


def invoice_detail(*, invoice: Invoice) -> InvoiceDetail:
    allocations = list(
        invoice.allocations.select_related("payment").order_by("payment__post_date", "id")
    )
    untouched = not any(not a.reversed for a in allocations)
    return InvoiceDetail(
        invoice=invoice,
        allocations=allocations,
        voidable=untouched
        and invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.SCHEDULED)
        and invoice.balance_due_minor == invoice.total_minor,
        payable=invoice.is_payable,
    )


# --- payments -------------------------------------------------------------------------


def payment_of(customer: Customer, number: str) -> Payment:
    try:
        return Payment.objects.select_related("customer", "method").get(
            customer=customer, number=number
        )
    except Payment.DoesNotExist:
        raise Http404(f"{customer.number} has no payment {number}.") from None


@dataclass(frozen=True)
class PaymentDetail:
    payment: Payment
    allocations: list[Allocation]
    credit_entries: list
    credit_created: Money
    journal: list[JournalEntry]
    events: list
    audit: list[AuditEvent]
    voidable: bool
    """The state table allows a void (a settled card payment is offered a refund then)."""
    dispute: Dispute | None = None
    """The card payment's latest dispute by the cardholder, if any."""

    @property
    def method_label(self) -> str:
        return method_label(self.payment)


def payment_detail(*, payment: Payment) -> PaymentDetail:
    entries = list(payment.credit_entries.order_by("id"))
    created = sum(
        (e.amount for e in entries if e.kind == CreditKind.CREATED), Money.zero(payment.currency)
    )
    status = PaymentStatus(payment.status)
    return PaymentDetail(
        payment=payment,
        allocations=list(payment.allocations.select_related("invoice").order_by("id")),
        credit_entries=entries,
        credit_created=created,
        journal=list(
            JournalEntry.objects.filter(reference=payment.number)
            .prefetch_related("lines")
            .order_by("id")
        ),
        events=list(payment.events.order_by("id")),
        audit=list(
            AuditEvent.objects.filter(object_type="Payment", object_id=payment.number).order_by(
                "id"
            )
        ),
        voidable=(status, Action.VOID, Outcome.APPROVED) in TRANSITIONS,
        dispute=payment.disputes.order_by("-id").first(),
    )


def invoice_numbers(payment: Payment) -> list[str]:
    return list(
        payment.allocations.filter(reversed=False)
        .order_by("invoice__invoice_date", "id")
        .values_list("invoice__number", flat=True)
    )


def posted_sentence(payment: Payment) -> str:
    """What a clerk is told once a payment is saved: where every cent went."""
    how = method_label(payment)
    lines = list(
        payment.allocations.filter(reversed=False)
        .select_related("invoice")
        .order_by("invoice__invoice_date", "id")
    )
    created = sum(
        (e.amount for e in payment.credit_entries.all() if e.kind == CreditKind.CREATED),
        Money.zero(payment.currency),
    )
    parts = [f"{payment.number} saved: {payment.amount.format()} by {how}"]
    if lines:
        applied = ", ".join(f"{a.amount.format()} to {a.invoice.number}" for a in lines[:4])
        more = f" and {len(lines) - 4} more invoices" if len(lines) > 4 else ""
        parts.append(f"applied {applied}{more}")
    if created.is_positive():
        parts.append(f"{created.format()} to the customer's credit")
    sentence = "; ".join(parts) + "."
    if payment.status == "pending":
        sentence += " The gateway approved it; it settles at the daily cut-off."
    return sentence
