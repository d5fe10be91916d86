"""How a payment is split over invoices (DESIGN rules 1, 5, 6). Pure: no Django import.

`split_payment` applies the amounts fixed by the user first, then spreads the rest over
the other candidate invoices oldest first (invoice date, due date, number), each at most
its balance; what is left is customer credit. Invariant, always:
`payment == sum(lines) + credit`.

Early-payment discounts (issue 14): an invoice inside its terms' window carries the
`discount` it would earn. A line that pays exactly its balance less that discount closes
the invoice with the discount (`Line.discount`, booked by the caller); so does the
oldest-first spread when what is left covers the discounted balance (it then applies the
discounted balance, not the full one, and what is left goes on to the next invoice or
to credit: the customer always gets the discount they earned). A line that pays less
than the discounted balance is a partial payment and earns nothing; an amount fixed by
hand at the full balance takes no discount (the user chose to apply it all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from remit.core.errors import AllocationRefused, InvalidAmount
from remit.core.money import Money, currency_mismatch

OLDEST_FIRST = "oldest_first"
EXPLICIT = "explicit"


class OpenInvoice(NamedTuple):
    """What the split needs to know of an invoice."""

    id: int
    number: str
    invoice_date: date
    due_date: date
    balance: Money
    partly_paid: bool = False  # something is already applied to it
    discount: Money | None = None  # earned by paying balance - discount now (issue 14)

    @property
    def discounted_balance(self) -> Money:
        """What closes it now: its balance less the discount it would earn."""
        return self.balance - self.discount if self.discount else self.balance

    @property
    def age_key(self) -> tuple[date, date, str]:
        return (self.invoice_date, self.due_date, self.number)


# Oldest first: invoice date, then due date, then number.
_AGE = attrgetter("invoice_date", "due_date", "number")


class Line(NamedTuple):
    invoice: OpenInvoice
    amount: Money
    discount: Money | None = None  # the early-payment discount that closes it with this line


@dataclass(frozen=True)
class Split:
    lines: tuple[Line, ...]
    credit: Money
    policy: str

    @property
    def discounts(self) -> tuple[Line, ...]:
        """The lines that close their invoice with an early-payment discount."""
        return tuple(line for line in self.lines if line.discount)

    @property
    def applied(self) -> Money:
        # The Decimals summed, one Money made: same currency and places by construction.
        return Money(
            sum((line.amount.amount for line in self.lines), Decimal(0)), self.credit.currency
        )


def oldest_first(invoices: Sequence[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=_AGE)


def split_payment(
    amount: Money,
    invoices: Sequence[OpenInvoice],
    fixed: Mapping[str, Money] | None = None,
) -> Split:
    """Split `amount` over `invoices`; `fixed` maps invoice numbers to amounts chosen by hand."""
    fixed = fixed or {}
    if not amount.is_positive():
        raise InvalidAmount(f"A payment must be more than zero; {amount} is not.")
    by_number = {invoice.number: invoice for invoice in invoices}
    for number in fixed:
        if number not in by_number:
            raise AllocationRefused(f"{number} is not among the invoices being paid.")

    lines: dict[str, Money] = {}
    remaining = amount
    for number, wanted in fixed.items():
        invoice = by_number[number]
        if wanted.currency != amount.currency:
            raise currency_mismatch(number, billed=invoice.balance.currency, given=wanted.currency)
        if not wanted.is_positive():
            raise InvalidAmount(f"The amount for {number} must be more than zero.")
        if wanted > invoice.balance:
            raise AllocationRefused(
                f"{number} has {invoice.balance.format()} due; "
                f"{wanted.format()} cannot be applied to it."
            )
        lines[number] = wanted
        remaining = remaining - wanted
    if remaining < Money.zero(amount.currency):
        raise AllocationRefused(
            f"The amounts applied ({(amount - remaining).format()}) are more than "
            f"the payment ({amount.format()})."
        )

    # The spread works on the Decimals; every amount stays a whole number of minor units
    # because both sides of each step are.
    left = remaining.amount
    for invoice in oldest_first([i for i in invoices if i.number not in fixed]):
        if not left:
            break
        balance = invoice.balance
        if balance.currency != amount.currency:
            raise currency_mismatch(invoice.number, billed=balance.currency, given=amount.currency)
        if balance.amount <= 0:
            continue
        if invoice.discount and invoice.discounted_balance.amount <= left:
            lines[invoice.number] = invoice.discounted_balance  # paid in full, discounted
            left -= invoice.discounted_balance.amount
        elif balance.amount <= left:
            lines[invoice.number] = balance  # paid in full
            left -= balance.amount
        else:
            lines[invoice.number] = Money(left, amount.currency)
            left = Decimal(0)
    remaining = Money(left, amount.currency)

    ordered = [
        Line(by_number[number], applied, _discount_earned(by_number[number], applied))
        for number, applied in lines.items()
    ]
    if fixed:  # the fixed lines came first; show them all oldest first
        ordered.sort(key=_line_age)
    return Split(lines=tuple(ordered), credit=remaining, policy=EXPLICIT if fixed else OLDEST_FIRST)


def _discount_earned(invoice: OpenInvoice, applied: Money) -> Money | None:
    """The discount a line earns: all of it when it pays exactly the discounted balance."""
    if invoice.discount and applied == invoice.discounted_balance:
        return invoice.discount
    return None


def _line_age(line: Line) -> tuple[date, date, str]:
    return _AGE(line.invoice)
