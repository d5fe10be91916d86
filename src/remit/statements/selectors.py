"""What a customer statement says, for a period: the opening balance, each invoice issued
and each payment received in the period with the running balance, the closing balance,
the invoices still open with their aging, the credit on account, and where to pay.

The balance is what the customer owes: invoices issued less payments received (cards and
bank payments in flight count as received; voided, failed and refunded payments do not,
nor do void invoices; credit applied to invoices moves credit, not the balance). So the
closing balance equals the open invoices' balances less the customer's credit, and a
statement up to today agrees with the customer record. Amounts are summed in minor units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Sum

from remit.core.errors import InvalidDate
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.states import PaymentStatus
from remit.receipts.selectors import method_label
from remit.statements import rules

RECEIVED = (PaymentStatus.PENDING, PaymentStatus.SETTLED)


@dataclass(frozen=True)
class Line:
    date: date
    kind: str  # "invoice" or "payment"
    reference: str
    description: str
    amount: Money  # positive for an invoice, negative for a payment
    balance: Money


@dataclass(frozen=True)
class OpenInvoice:
    invoice: str
    invoice_date: date
    due_date: date
    total: Money
    balance_due: Money
    days_past_due: int


@dataclass(frozen=True)
class Statement:
    customer: Customer
    currency: str
    start: date
    end: date
    opening: Money
    lines: tuple[Line, ...]
    closing: Money
    invoiced: Money
    received: Money
    open_invoices: tuple[OpenInvoice, ...]
    aging: dict[str, Money]
    credit: Money
    remit_to: tuple[str, ...]

    @property
    def aging_rows(self) -> list[tuple[str, str, Money]]:
        return [(key, rules.BUCKET_LABELS[key], self.aging[key]) for key in rules.BUCKETS]

    @property
    def open_total(self) -> Money:
        return sum((i.balance_due for i in self.open_invoices), Money.zero(self.currency))


def statement_currencies(*, customer: Customer) -> list[str]:
    """The currencies a customer has statements in: the default first, then each other
    one it was invoiced in (a statement is of one currency: amounts never mix)."""
    others = (
        Invoice.objects.filter(customer=customer)
        .exclude(currency=customer.currency)
        .values_list("currency", flat=True)
        .distinct()
    )
    return [customer.currency, *sorted(set(others))]


def statement_for(*, customer: Customer, start: date, end: date, currency: str = "") -> Statement:
    """The statement of `customer`'s invoices and payments in `currency` (default: the
    customer's) over the period."""
    if start > end:
        raise InvalidDate(
            f"The statement cannot start ({start}) after it ends ({end}).",
            fields={"from": "invalid"},
        )
    currency = currency or customer.currency
    invoices = Invoice.objects.filter(customer=customer, currency=currency).exclude(
        status=InvoiceStatus.VOID
    )
    payments = Payment.objects.filter(
        customer=customer, currency=currency, status__in=RECEIVED
    ).exclude(type=PaymentType.CREDIT)

    def money(minor: int | None) -> Money:
        return Money.from_minor(minor or 0, currency)

    before = (invoices.filter(invoice_date__lt=start).aggregate(s=Sum("total_minor"))["s"] or 0) - (
        payments.filter(post_date__lt=start).aggregate(s=Sum("amount_minor"))["s"] or 0
    )
    movements = [
        (i.invoice_date, 0, i.number, "invoice", i.description or "Invoice", i.total_minor)
        for i in invoices.filter(invoice_date__range=(start, end))
    ] + [
        (p.post_date, 1, p.number, "payment", f"Payment, {method_label(p)}", -p.amount_minor)
        for p in payments.filter(post_date__range=(start, end)).select_related("method")
    ]
    movements.sort()
    balances = rules.running(before, [m[5] for m in movements])
    lines = tuple(
        Line(day, kind, ref, text, money(amount), money(balance))
        for (day, _, ref, kind, text, amount), balance in zip(movements, balances, strict=True)
    )
    open_rows = tuple(
        OpenInvoice(
            invoice=i.number,
            invoice_date=i.invoice_date,
            due_date=i.due_date,
            total=i.total,
            balance_due=i.balance_due,
            days_past_due=(end - i.due_date).days,
        )
        for i in invoices.filter(invoice_date__lte=end, balance_due_minor__gt=0).order_by(
            "invoice_date", "due_date", "number"
        )
    )
    aged = rules.aging((row.days_past_due, row.balance_due.minor) for row in open_rows)
    return Statement(
        customer=customer,
        currency=currency,
        start=start,
        end=end,
        opening=money(before),
        lines=lines,
        closing=money(balances[-1] if balances else before),
        invoiced=money(sum(m[5] for m in movements if m[5] > 0)),
        received=money(-sum(m[5] for m in movements if m[5] < 0)),
        open_invoices=open_rows,
        aging={key: money(minor) for key, minor in aged.items()},
        credit=credit_balance(customer=customer, currency=currency),
        remit_to=remit_to(),
    )


def remit_to() -> tuple[str, ...]:
    """Where to send payment (REMIT_REMIT_TO, lines separated by '|')."""
    text = getattr(settings, "REMIT_REMIT_TO", "")
    return tuple(line.strip() for line in text.split("|") if line.strip())


def statement_period(*, start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked for: `end` defaults to today, `start` to 30 days before `end`."""
    end = end or today
    return (start or end - timedelta(days=30)), end
