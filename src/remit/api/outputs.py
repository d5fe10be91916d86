"""What the API answers, and how a model becomes it. Amounts are strings ("150.00").

Invoices and payments read as `remit.receipts.serializers` writes them, the shape
`remit ... --json` prints too; the schemas here describe that shape for OpenAPI.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import WithJsonSchema

from remit.api.auth import Principal
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.allocation import Split
from remit.payments.models import CreditEntry, Event, Payment, PaymentMethod, ScheduledPayment
from remit.receipts.selectors import Receipt
from remit.receipts.serializers import invoice_data, payments_data, preview_data

AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
"""An amount as remit writes it: plain digits, the currency's places, a minus for a debit."""
AmountOut = Annotated[
    str,
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["150.00"]}),
]


class CustomerOut(Schema):
    number: str
    name: str
    email: str
    currency: str
    created_at: datetime


class TermsOut(Schema):
    discount_percent: str
    discount_days: int


class DiscountOut(Schema):
    discount_amount: AmountOut
    discount_until: date
    discounted_balance: AmountOut


class InvoiceOut(Schema):
    number: str
    customer: str
    invoice_date: date
    due_date: date
    currency: str
    total: AmountOut
    balance_due: AmountOut
    status: str
    partly_paid: bool
    description: str
    terms: TermsOut | None
    discount: DiscountOut | None


class AllocationOut(Schema):
    invoice: str
    amount: AmountOut
    reversed: bool


class WriteOffSummary(Schema):
    number: str
    invoice: str
    amount: AmountOut
    reason: str
    status: str


class MethodSummary(Schema):
    id: int
    display: str


class DisputeOut(Schema):
    id: str
    status: str
    amount: AmountOut
    fee: AmountOut
    reason: str | None
    opened_at: datetime
    closed_at: datetime | None


class PaymentOut(Schema):
    number: str
    customer: str
    type: str
    reference: str
    amount: AmountOut
    currency: str
    post_date: date
    status: str
    allocation_policy: str
    allocations: list[AllocationOut]
    credit_created: AmountOut
    method: MethodSummary | None
    gateway_outcome: str | None
    failure_reason: str | None
    void_reason: str | None
    reason: str | None
    refunded: AmountOut
    write_offs: list[WriteOffSummary]
    dispute: DisputeOut | None
    notes: str | None
    created_at: datetime


class PreviewLine(Schema):
    invoice: str
    amount: AmountOut
    discount: AmountOut | None


class PreviewOut(Schema):
    customer: str
    amount: AmountOut
    currency: str
    policy: str
    allocations: list[PreviewLine]
    credit_created: AmountOut


class CreditOut(Schema):
    customer: str
    balances: dict[str, AmountOut]


class CreditEntryOut(Schema):
    id: int
    at: datetime
    kind: str
    amount: AmountOut
    currency: str
    payment: str
    note: str


class MethodOut(Schema):
    id: int
    customer: str
    kind: str
    display: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    holder_name: str
    label: str
    default: bool


class ScheduledInvoiceOut(Schema):
    invoice: str
    left_out: str


class ScheduleOut(Schema):
    number: str
    customer: str
    method: int
    run_on: date
    status: str
    invoices: list[ScheduledInvoiceOut]
    payment: str | None
    outcome: str
    created_at: datetime


class ReceiptLineOut(Schema):
    invoice: str
    invoice_date: date
    amount: AmountOut


class ReceiptOut(Schema):
    number: str
    payment: str
    date: date
    customer: str
    customer_name: str
    method: str
    status: str
    currency: str
    lines: list[ReceiptLineOut]
    credit_used: AmountOut
    credit_created: AmountOut
    total: AmountOut


class EventOut(Schema):
    id: int
    at: datetime
    kind: str
    customer: str
    object: str
    data: dict[str, Any]


class Page(Schema):
    next_cursor: str | None


class CustomerPage(Page):
    items: list[CustomerOut]


class InvoicePage(Page):
    items: list[InvoiceOut]


class PaymentPage(Page):
    items: list[PaymentOut]


class CreditEntryPage(Page):
    items: list[CreditEntryOut]


class MethodList(Schema):
    items: list[MethodOut]


class SchedulePage(Page):
    items: list[ScheduleOut]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str
    """Where to read from next time, even when nothing new came."""


# --- rendering ------------------------------------------------------------------------------


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        number=customer.number,
        name=customer.name,
        email=customer.email,
        currency=customer.currency,
        created_at=customer.created_at,
    )


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(**invoice_data(invoice))


def payments_out(payments: list[Payment], principal: Principal) -> list[PaymentOut]:
    # Notes are internal to the business: integrations see them, portal users never.
    return [PaymentOut(**data) for data in payments_data(payments, notes=principal.integration)]


def payment_answer(payment: Payment, principal: Principal) -> PaymentOut:
    return payments_out([payment], principal)[0]


def preview_out(customer: Customer, amount: Money, split: Split) -> PreviewOut:
    return PreviewOut(**preview_data(customer, amount, split))


def credit_out(customer: Customer, balances: dict[str, Money]) -> CreditOut:
    balances = balances or {customer.currency: Money.zero(customer.currency)}
    return CreditOut(
        customer=customer.number,
        balances={currency: str(amount) for currency, amount in sorted(balances.items())},
    )


def credit_entry_out(entry: CreditEntry) -> CreditEntryOut:
    return CreditEntryOut(
        id=entry.pk,
        at=entry.created_at,
        kind=entry.kind,
        amount=str(entry.amount),
        currency=entry.currency,
        payment=entry.payment.number,
        note=entry.note,
    )


def method_out(method: PaymentMethod) -> MethodOut:
    return MethodOut(
        id=method.pk,
        customer=method.customer.number,
        kind=method.kind,
        display=method.display,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=method.exp_year,
        holder_name=method.holder_name,
        label=method.label,
        default=method.is_default,
    )


def schedule_out(schedule: ScheduledPayment) -> ScheduleOut:
    return ScheduleOut(
        number=schedule.number,
        customer=schedule.customer.number,
        method=schedule.method_id,
        run_on=schedule.run_on,
        status=schedule.status,
        invoices=[
            ScheduledInvoiceOut(invoice=item.invoice.number, left_out=item.left_out)
            for item in schedule.items.all()
        ],
        payment=schedule.payment.number if schedule.payment_id else None,
        outcome=schedule.outcome,
        created_at=schedule.created_at,
    )


def receipt_out(receipt: Receipt, currency: str) -> ReceiptOut:
    return ReceiptOut(
        number=receipt.number,
        payment=receipt.payment_number,
        date=receipt.date,
        customer=receipt.customer_number,
        customer_name=receipt.customer_name,
        method=receipt.method,
        status=receipt.status,
        currency=currency,
        lines=[
            ReceiptLineOut(
                invoice=line.invoice, invoice_date=line.invoice_date, amount=str(line.amount)
            )
            for line in receipt.lines
        ],
        credit_used=str(receipt.credit_used),
        credit_created=str(receipt.credit_created),
        total=str(receipt.total),
    )


def event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.pk,
        at=event.at,
        kind=event.kind,
        customer=event.customer.number,
        object=event.object_number,
        data=event.data,
    )
