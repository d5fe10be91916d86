"""What the API accepts. Every input refuses unknown fields (no `status`, `customer` or
`balance_due` slipped in), and every amount is a JSON string.

Amounts, numbers, dates and invoice lists are read by the parsers every face uses
(`remit.core.inputs`), so the API accepts exactly what the back office, the CSV import and
the command line accept, and refuses the rest with the same sentence. Amounts are
`"150.00"` (or `"1,250.00"`), never `150.0` (a float cannot hold money exactly). The text
is checked here (the syntax, more than zero); the places are checked against the
currency by `money` when the handler knows the currency ("150.001" is refused for USD,
"150.5" for JPY).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Path, Query, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from remit.core.errors import RemitError
from remit.core.inputs import amount_text, identifiers
from remit.core.inputs.amounts import amount_parse, amount_positive, currency_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.identifiers import MAX_LENGTH, NumberKind, number_parse
from remit.core.inputs.invoice_list import InvoiceRequest, invoice_requests_parse, invoices_once
from remit.core.inputs.terms import percent_parse
from remit.core.money import Money, minor_digits
from remit.customers.models import Customer
from remit.invoices.rules import invoice_day_check
from remit.payments.post_date import post_date_check


def _shared(parse):
    """A pydantic validator over a shared parser: its refusal's sentence as the error."""

    def validate(value: object) -> object:
        try:
            return parse(value)
        except RemitError as error:
            raise ValueError(error.message) from None

    return validate


def _amount_text(value: object) -> str:
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                'Amounts are strings such as "150.00", not JSON numbers: a float cannot '
                "hold money exactly."
            )
        raise ValueError('Amounts are strings such as "150.00".')
    _shared(amount_positive)(value)
    return value


def _date_text(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("Dates are strings written YYYY-MM-DD.")
    return _shared(date_parse)(value)


Amount = Annotated[
    str,
    BeforeValidator(_amount_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": amount_text.PATTERN,
            "maxLength": amount_text.MAX_TEXT,
            "description": 'A positive amount as a string, such as "150.00" or "1,250.00".',
            "examples": ["150.00"],
        }
    ),
]
Day = Annotated[
    date,
    BeforeValidator(_date_text),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-01-31"]}),
]


def _iso_currency(value: str) -> str:
    try:
        minor_digits(value)
    except RemitError as error:
        raise ValueError(error.message) from None
    return value


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, such as USD."),
    AfterValidator(_iso_currency),
]


def _number(kind: NumberKind) -> object:
    """A number of `kind`, by the number rule, with the rule in the schema."""
    return Annotated[
        str,
        BeforeValidator(_shared(lambda value: number_parse(value, kind))),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": identifiers.PATTERN,
                "minLength": 1,
                "maxLength": MAX_LENGTH[kind],
                "examples": [identifiers.EXAMPLES[kind]],
            }
        ),
    ]


def _free_text(what: str) -> object:
    """Text a person types (a reference, notes, a description, a reason): never a card
    number, refused with the sentence every face gives."""
    return Annotated[str, AfterValidator(_shared(lambda text: free_text_parse(text, what=what)))]


CustomerNumber = _number(NumberKind.CUSTOMER)
InvoiceNumber = _number(NumberKind.INVOICE)
PaymentNumber = _number(NumberKind.PAYMENT)
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]


def money(value: str, currency: str, *, field: str = "amount") -> Money:
    """The amount in `currency`, naming the field in the refusal ("150.001" in USD)."""
    return amount_parse(value, currency, field=field)


def currency_of(customer: Customer, given: str | None) -> str:
    """The currency named, else the customer's default one. A customer may hold invoices
    in several currencies; a payment pays only those of its own (amounts never mix)."""
    return currency_parse(given) if given else customer.currency


def invoice_requests(
    shares: list[InvoiceShare] | None, currency: str
) -> list[InvoiceRequest] | None:
    if shares is None:
        return None
    return invoice_requests_parse(((share.number, share.amount) for share in shares), currency)


class Input(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: object) -> object:
        # PostgreSQL text cannot hold NUL, and no name, note or number needs one.
        if _has_nul(data):
            raise ValueError("Text may not contain the NUL character (\\u0000).")
        return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class Empty(Input):
    """No fields: send `{}`."""


# --- customers and invoices -------------------------------------------------------------


class CustomerIn(Input):
    number: CustomerNumber
    name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    currency: Currency = "USD"


class CustomerPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _percent_text(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('A percent is a string such as "2" or "1.5".')
    return _shared(percent_parse)(value)


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent_text),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,3}(\.[0-9]+)?$", "example": "2"}),
]


class InvoiceIn(Input):
    customer: CustomerNumber
    number: InvoiceNumber
    invoice_date: Day
    due_date: Day
    total: Amount
    currency: Currency | None = Field(None, description="Defaults to the customer's.")
    description: _free_text("description") = Field("", max_length=500)
    discount_percent: Percent | None = Field(
        None, description='Early-payment terms: "2" for 2% off (with discount_days).'
    )
    discount_days: int | None = Field(
        None, ge=0, le=3660, description="Early-payment terms: days after invoice_date."
    )

    @field_validator("invoice_date", "due_date")
    @classmethod
    def _in_range(cls, day: date, info: ValidationInfo) -> date:
        return _shared(lambda d: invoice_day_check(d, field=info.field_name))(day)

    @model_validator(mode="after")
    def _due_after_issue(self):
        if self.due_date < self.invoice_date:
            raise ValueError("The due date is before the invoice date.")
        return self


class InvoicesIn(Input):
    invoices: list[InvoiceIn] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _numbers_once(self):
        _once([invoice.number for invoice in self.invoices])
        return self


def _once(numbers: list[str]) -> None:
    _shared(invoices_once)(numbers)


class InvoiceVoidIn(Input):
    reason: _free_text("reason") = Field("", max_length=300)
    unapply: StrictBool = Field(
        False, description="Cancel and unapply: move the payments applied to it to credit."
    )


# --- payments ---------------------------------------------------------------------------


class InvoiceShare(Input):
    """An invoice to pay; without `amount`, the rest of the payment spreads over it."""

    number: InvoiceNumber
    amount: Amount | None = None


PaymentType = Literal["check", "money_order", "cash", "paypal", "other", "card", "bank"]


WriteOffReason = Literal["bank_fee", "discount", "small_balance", "bad_debt", "other"]


class WriteOffShare(Input):
    """A write-off posted with a payment: what the payment leaves of `invoice` (or
    `amount` of it), booked to the account of `reason`."""

    invoice: InvoiceNumber
    amount: Amount | None = None
    reason: WriteOffReason


def _post_date_near_today(day: date | None) -> date | None:
    """A post date inside the window every face allows."""
    if day is None:
        return None
    return _shared(lambda d: post_date_check(d, today=timezone.localdate()))(day)


class PaymentIn(Input):
    customer: CustomerNumber
    amount: Amount
    currency: Currency | None = Field(None, description="Default: the customer's.")
    type: PaymentType = Field(
        description="card and bank charge the saved `method` through the gateway; the "
        "others record money already received (integrations only)."
    )
    method: Id | None = Field(None, description="The saved card or bank account to charge.")
    reference: _free_text("reference") = Field(
        "", max_length=64, description="Check or money order number."
    )
    post_date: Day | None = None
    notes: _free_text("notes") = Field(
        "", max_length=2000, description="Internal; never on a receipt."
    )
    invoices: list[InvoiceShare] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="The invoices to pay; none: oldest first over every open invoice.",
    )
    allow_duplicate: StrictBool = Field(
        False,
        description="Post even though a payment of the same type, amount, reference and "
        "post date exists (answered 409 `possible_duplicate` with `fields.possible_duplicate_of`"
        " otherwise).",
    )
    write_offs: list[WriteOffShare] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Short pays: balances the payment leaves, written off in the same "
        "transaction (offline types only).",
    )

    _near_today = field_validator("post_date")(_post_date_near_today)

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


class PreviewIn(Input):
    customer: CustomerNumber
    amount: Amount
    currency: Currency | None = None
    invoices: list[InvoiceShare] | None = Field(None, min_length=1, max_length=1000)
    post_date: Day | None = Field(
        None, description="The early-payment discounts are those earned on it; default today."
    )

    _near_today = field_validator("post_date")(_post_date_near_today)

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


class VoidIn(Input):
    reason: _free_text("reason") = Field("", max_length=300)


class RefundIn(Input):
    amount: Amount | None = Field(None, description="Part of the payment; none: all that is left.")
    invoices: list[InvoiceShare] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="The invoices the refund reopens; none: the newest first.",
    )

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


class WriteOffIn(Input):
    invoice: InvoiceNumber
    amount: Amount | None = Field(None, description="Default: the whole balance due.")
    reason: WriteOffReason
    notes: _free_text("notes") = Field("", max_length=2000, description="Internal.")


class CreditNoteIn(Input):
    invoice: InvoiceNumber
    amount: Amount
    reason: _free_text("reason") = Field(min_length=1, max_length=300)


class PayoutIn(Input):
    customer: CustomerNumber
    amount: Amount
    currency: Currency | None = Field(None, description="Default: the customer's.")
    type: Literal["check", "transfer", "card"] = Field(
        description="card: a refund at the gateway of the card or bank payment that made "
        "the credit (`payment`, or the newest whose credit covers the amount)."
    )
    reference: _free_text("reference") = Field(
        "", max_length=64, description="The check number or the transfer's reference."
    )
    payment: PaymentNumber | None = Field(
        None, description="card: the card or bank payment refunded (default: the newest)."
    )
    notes: _free_text("notes") = Field("", max_length=2000, description="Internal.")


class UnapplyIn(Input):
    invoice: InvoiceNumber
    amount: Amount | None = Field(None, description="Default: all the payment applied to it.")


class ReallocateIn(Input):
    invoice: InvoiceNumber = Field(description="Where the money is now.")
    to: InvoiceNumber = Field(description="Another open invoice of the same customer.")
    amount: Amount | None = Field(None, description="Default: all the payment applied.")


class CreditApplyIn(Input):
    customer: CustomerNumber
    currency: Currency | None = None
    invoices: list[InvoiceShare] | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


# --- methods and schedules ---------------------------------------------------------------


class MethodIn(Input):
    customer: CustomerNumber
    token: str = Field(
        min_length=1,
        max_length=64,
        description="From the gateway's tokenising endpoint (the card never reaches remit).",
    )
    holder_name: str = Field("", max_length=200)
    label: str = Field("", max_length=100)
    make_default: StrictBool = False


class ScheduleIn(Input):
    customer: CustomerNumber
    method: Id
    invoices: list[InvoiceNumber] = Field(min_length=1, max_length=200)
    run_on: Day

    @model_validator(mode="after")
    def _invoices_once(self):
        _once(self.invoices)
        return self


# --- query parameters ------------------------------------------------------------------

CursorParam = Annotated[
    str | None,
    Query(None, pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page."),
]
LimitParam = Annotated[int, Query(100, ge=1, le=500, description="Rows per page, 1 to 500.")]
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
"""Path and query text: no control characters (and so no NUL, which PostgreSQL refuses)."""
CustomerParam = Annotated[
    str | None,
    Query(None, max_length=32, pattern=PRINTABLE, description="Only this customer's (its number)."),
]
RequiredCustomerParam = Annotated[str, Query(..., max_length=32, pattern=PRINTABLE)]
NumberPath = Annotated[str, Path(..., max_length=64, pattern=PRINTABLE)]
IdPath = Annotated[int, Path(..., ge=1, le=2**62)]
