"""What the API accepts. Every input refuses unknown fields (no `status`, `customer` or
`balance_due` slipped in), and every amount is a JSON string.

Amounts: `"150.00"`, never `150.0` (a float cannot hold money exactly). The text is
checked here (digits, an optional decimal point, more than zero); the places are checked
against the currency by `Money.of` when the handler knows the currency ("150.001" is
refused for USD, "150.5" for JPY).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from ninja import Path, Query, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

from remit.core.errors import InvalidAmount
from remit.core.money import Money, minor_digits
from remit.customers.models import Customer
from remit.payments.candidates import InvoiceRequest

AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
POSITIVE_PATTERN = r"^([0-9]*[1-9][0-9]*(\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*)$"
MAX_AMOUNT_TEXT = 20
_AMOUNT = re.compile(AMOUNT_PATTERN.strip("^$"))
_POSITIVE = re.compile(POSITIVE_PATTERN.strip("^$"))
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _amount_text(value: object) -> str:
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                'Amounts are strings such as "150.00", not JSON numbers: a float cannot '
                "hold money exactly."
            )
        raise ValueError('Amounts are strings such as "150.00".')
    if len(value) > MAX_AMOUNT_TEXT:
        raise ValueError(f"An amount has at most {MAX_AMOUNT_TEXT} characters.")
    if not _AMOUNT.fullmatch(value):
        raise ValueError(
            f'"{value}" is not an amount: write digits with an optional decimal point, '
            'such as "150.00".'
        )
    if not _POSITIVE.fullmatch(value):
        raise ValueError(f'An amount must be more than zero; "{value}" is not.')
    return value


def _date_text(value: object) -> object:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("Dates are strings written YYYY-MM-DD.")
    return value


Amount = Annotated[
    str,
    BeforeValidator(_amount_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": POSITIVE_PATTERN,
            "maxLength": MAX_AMOUNT_TEXT,
            "description": 'A positive amount as a string, such as "150.00".',
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
    except InvalidAmount as error:
        raise ValueError(error.message) from None
    return value


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, such as USD."),
    AfterValidator(_iso_currency),
]
CustomerNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
InvoiceNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]


def money(value: str, currency: str, *, field: str = "amount") -> Money:
    """`Money.of`, naming the field in the refusal ("150.001" in USD: three places)."""
    try:
        return Money.of(value, currency)
    except InvalidAmount as error:
        raise InvalidAmount(error.message, fields={field: error.message}) from None


def currency_of(customer: Customer, given: str | None) -> str:
    """The customer's currency; another one named is refused (amounts never mix)."""
    if given and given != customer.currency:
        raise InvalidAmount(
            f"{customer.number} is billed in {customer.currency}; "
            f"an amount in {given} cannot be applied.",
            fields={"currency": "mismatch"},
        )
    return customer.currency


def invoice_requests(
    shares: list[InvoiceShare] | None, currency: str
) -> list[InvoiceRequest] | None:
    if shares is None:
        return None
    return [
        InvoiceRequest(
            share.number,
            money(share.amount, currency, field=f"invoices[{i}].amount") if share.amount else None,
        )
        for i, share in enumerate(shares)
    ]


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


class InvoiceIn(Input):
    customer: CustomerNumber
    number: InvoiceNumber
    invoice_date: Day
    due_date: Day
    total: Amount
    currency: Currency | None = Field(None, description="Defaults to the customer's.")
    description: str = Field("", max_length=500)

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
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise ValueError(f"An invoice is named more than once: {', '.join(twice)}.")


class InvoiceVoidIn(Input):
    reason: str = Field("", max_length=300)


# --- payments ---------------------------------------------------------------------------


class InvoiceShare(Input):
    """An invoice to pay; without `amount`, the rest of the payment spreads over it."""

    number: InvoiceNumber
    amount: Amount | None = None


PaymentType = Literal["check", "money_order", "cash", "paypal", "other", "card", "bank"]


class PaymentIn(Input):
    customer: CustomerNumber
    amount: Amount
    currency: Currency | None = Field(None, description="Refused unless the customer's.")
    type: PaymentType = Field(
        description="card and bank charge the saved `method` through the gateway; the "
        "others record money already received (integrations only)."
    )
    method: Id | None = Field(None, description="The saved card or bank account to charge.")
    reference: str = Field("", max_length=64, description="Check or money order number.")
    post_date: Day | None = None
    notes: str = Field("", max_length=2000, description="Internal; never on a receipt.")
    invoices: list[InvoiceShare] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="The invoices to pay; none: oldest first over every open invoice.",
    )

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


class PreviewIn(Input):
    customer: CustomerNumber
    amount: Amount
    currency: Currency | None = None
    invoices: list[InvoiceShare] | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _invoices_once(self):
        _once([share.number for share in self.invoices or ()])
        return self


class VoidIn(Input):
    reason: str = Field("", max_length=300)


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
