"""The split a payment window shows before Save: Amount Applied per invoice row and the
credit left over, worked out by `payment_preview` (the face computes nothing itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from remit.backoffice.forms import Rows
from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.discounts import invoice_discount
from remit.payments.selectors import payment_preview


@dataclass
class Row:
    index: int
    invoice: Invoice
    fixed: str = ""
    applied: Money | None = None
    offer: Money | None = None
    """Inside the invoice's early-payment window: the discount paying it now earns."""
    discount: Money | None = None
    """The discount this split earns on the invoice."""

    @property
    def discounted(self) -> Money | None:
        return self.invoice.balance_due - self.offer if self.offer else None

    @property
    def offer_until(self) -> date | None:
        terms = self.invoice.terms
        return terms.last_day(self.invoice.invoice_date) if terms and self.offer else None


@dataclass
class Preview:
    """The split shown before Save, from `payment_preview`."""

    rows: list[Row] = field(default_factory=list)
    amount: Money | None = None
    applied: Money | None = None
    credit: Money | None = None
    discount: Money | None = None
    """The early-payment discounts the split earns, all together."""
    error: str = ""
    amount_error: str = ""


def preview_split(
    customer: Customer,
    invoices: list[Invoice],
    amount_text: str,
    rows: Rows,
    currency: str = "",
    post_date_text: str = "",
) -> Preview:
    """The split of a payment in `currency` (default: the customer's) over `invoices`, with
    the early-payment discounts it earns if posted on the Post Date typed (today when none
    or unreadable: the form says why when saved), as saving judges them."""
    currency = currency or customer.currency
    fixed = dict(zip(rows.numbers, rows.fixed, strict=True))
    on = _day(post_date_text)
    preview = Preview(
        rows=[
            Row(i, invoice, fixed.get(invoice.number, ""), offer=invoice_discount(invoice, on=on))
            for i, invoice in enumerate(invoices)
        ]
    )
    if rows.errors:
        preview.error = next(iter(rows.errors.values()))
    if not amount_text.strip():
        return preview
    try:
        preview.amount = amount_parse(amount_text.strip(), currency)
    except RemitError as error:
        preview.amount_error = error.message
        return preview
    if preview.error:
        return preview
    try:
        split = payment_preview(
            customer=customer, amount=preview.amount, invoices=rows.requests or None, post_date=on
        )
    except RemitError as error:
        preview.error = error.message
        return preview
    by_number = {line.invoice.number: line for line in split.lines}
    zero = Money.zero(currency)
    for row in preview.rows:
        line = by_number.get(row.invoice.number)
        row.applied = line.amount if line else zero
        row.discount = line.discount if line else None
    preview.applied, preview.credit = split.applied, split.credit
    discounts = [line.discount for line in split.discounts if line.discount]
    preview.discount = sum(discounts, zero) if discounts else None
    return preview


def _day(text: str) -> date:
    try:
        return date_parse(text.strip()) if text.strip() else timezone.localdate()
    except RemitError:
        return timezone.localdate()


def rows_of(invoices: list[Invoice]) -> Rows:
    """Every invoice shown, none fixed by hand (a window just opened)."""
    return Rows(
        numbers=[i.number for i in invoices],
        fixed=[""] * len(invoices),
        requests=[InvoiceRequest(i.number) for i in invoices],
    )
