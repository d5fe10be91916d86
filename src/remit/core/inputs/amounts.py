"""An amount a user gives, read the same way by every face.

`amount_parse(text, currency)` applies the one syntax of `amount_text`, then what needs
the currency: the amount is more than zero and has at most the currency's minor digits
(USD 2, JPY 0, BHD 3; `150.000` is refused for USD although it is exact, because the
syntax is "at most the currency's digits", the same in every face). The checks run in
that order everywhere, so one input always gets the same sentence.
"""

from __future__ import annotations

from decimal import Decimal

from remit.core.errors import InvalidAmount
from remit.core.inputs.amount_text import decimal_from_text, echo
from remit.core.money import Money, minor_digits

_PLACES = {0: "no decimal places", 1: "1 decimal place"}


def amount_parse(text: str, currency: str, *, field: str = "amount") -> Money:
    """A positive Money in `currency` from what a user typed, or InvalidAmount naming
    `field` with the reason as a sentence."""
    try:
        number = amount_positive(text)
        digits = minor_digits(currency)
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # finite: the syntax has no NaN or infinity
        if -exponent > digits:
            places = _PLACES.get(digits, f"{digits} decimal places")
            raise InvalidAmount(
                f"{currency} amounts have {places}; '{echo(text)}' has {-exponent}."
            )
        return Money(number, currency)
    except InvalidAmount as error:
        raise InvalidAmount(error.message, fields={field: error.message}) from None


def amount_positive(text: str) -> Decimal:
    """The Decimal of `text` if it is an amount more than zero (the currency-free half of
    `amount_parse`, for a face that checks the text before it knows the currency)."""
    number = decimal_from_text(text)
    if not number:
        raise InvalidAmount(f"An amount must be more than zero; '{echo(text)}' is not.")
    return number


def currency_parse(text: str, *, field: str = "currency") -> str:
    """An ISO 4217 code a user named ("eur" is EUR), or InvalidAmount naming `field`: a
    payment or an invoice may be in any currency that has a minor unit."""
    code = text.strip().upper()
    try:
        minor_digits(code)
    except InvalidAmount as error:
        raise InvalidAmount(error.message, fields={field: error.message}) from None
    return code
