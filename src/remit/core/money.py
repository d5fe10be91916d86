"""One exact money type, used wherever an amount travels.

`Money` is a Decimal and an ISO 4217 currency code. It refuses floats, NaN and
infinities, never mixes currencies, and is always quantized to the currency's minor
unit (USD 2, JPY 0, BHD 3, IQD 3; the digits come from ISO 4217 itself). The database
stores integer minor units, so sums in SQL are exact on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from iso4217 import Currency as Iso4217

from remit.core.errors import InvalidAmount
from remit.core.inputs.amount_text import MAX_AMOUNT, decimal_from_text

__all__ = ["MAX_AMOUNT", "Money", "currency_mismatch", "minor_digits", "parse_decimal", "total"]


@cache
def minor_digits(currency: str) -> int:
    """Digits after the decimal point for `currency`: its ISO 4217 minor unit, from the
    `iso4217` package (SIX's table). Babel's CLDR data differs for a dozen currencies
    (IQD has 3 in ISO 4217, 0 in CLDR), so Babel only formats."""
    try:
        digits = Iso4217(currency).exponent
    except ValueError:
        raise InvalidAmount(f"'{currency}' is not an ISO 4217 currency code.") from None
    if digits is None:  # funds, metals, testing codes: XAU, XDR, XTS...
        raise InvalidAmount(f"'{currency}' has no minor unit; it cannot be invoiced.")
    return digits


@cache
def _currency_pattern(locale: str, digits: int) -> NumberPattern:
    """The locale's currency pattern with `digits` decimals (not CLDR's own for the
    currency, which is not always ISO 4217's)."""
    pattern = parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern


def parse_decimal(value: object) -> Decimal:
    """An exact Decimal from a str, int or Decimal; floats and non-numbers refused.

    Text is read with the one amount syntax (`core.inputs.amount_text`), a leading minus
    allowed: this is for amounts remit writes itself. What a user gives goes through
    `core.inputs.amounts.amount_parse`, which also refuses a sign and extra places.
    """
    if isinstance(value, bool | float):
        raise InvalidAmount("Amounts must be given exactly, as text or whole numbers, not floats.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        number = decimal_from_text(value, signed=True)
    else:
        raise InvalidAmount(f"{value!r} is not an amount.")
    if not number.is_finite():
        raise InvalidAmount(f"'{value}' is not an amount.")
    if abs(number) >= MAX_AMOUNT:
        raise InvalidAmount(f"'{value}' is larger than remit accepts.")
    return number


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        digits = minor_digits(self.currency)
        amount = self.amount
        if (
            type(amount) is Decimal
            and amount.as_tuple().exponent == -digits
            and abs(amount) < MAX_AMOUNT
        ):
            return  # already exact in minor units (from_minor, sums): nothing to check
        number = parse_decimal(amount)
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # finite, checked above
        if -exponent > digits and number != number.quantize(Decimal(1).scaleb(-digits)):
            raise InvalidAmount(
                f"{self.currency} amounts have {digits} decimal places; '{self.amount}' has more."
            )
        object.__setattr__(self, "amount", number.quantize(Decimal(1).scaleb(-digits)))

    # --- construction -------------------------------------------------------------
    @classmethod
    def of(cls, value: object, currency: str) -> Money:
        """From a literal or text remit wrote: exact, finite, no more places than the
        currency has (trailing zeros aside). User input: `amount_parse`."""
        return cls(parse_decimal(value), currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_digits(currency)), currency)

    @classmethod
    def rounded(cls, value: Decimal, currency: str) -> Money:
        """For computed amounts (never for input): round half-even to the minor unit."""
        step = Decimal(1).scaleb(-minor_digits(currency))
        return cls(value.quantize(step, rounding=ROUND_HALF_EVEN), currency)

    # --- views --------------------------------------------------------------------
    @property
    def minor(self) -> int:
        return int(self.amount.scaleb(minor_digits(self.currency)))

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        """The plain decimal string used in JSON and CSV: '150.00'."""
        return f"{self.amount:f}"

    def format(self, locale: str = "en_US") -> str:
        """For people: '$1,250.00', '€80.00', '¥1,000'."""
        pattern = _currency_pattern(locale, minor_digits(self.currency))
        return pattern.apply(self.amount, locale, currency=self.currency, currency_digits=False)

    # --- arithmetic ---------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise InvalidAmount(
                f"Amounts in {self.currency} and {other.currency} cannot be combined."
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def min(self, other: Money) -> Money:
        return self if self <= other else other


def currency_mismatch(name: str, *, billed: str, given: str) -> InvalidAmount:
    """The one refusal of an amount in another currency than the one `name` (a customer,
    or an invoice) is billed in: for a payment, a preview, credit, an invoice.
    `raise currency_mismatch("C-0001", billed="USD", given="EUR")`."""
    return InvalidAmount(
        f"{name} is billed in {billed}, not {given}.", fields={"currency": "mismatch"}
    )


def total(amounts: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum of amounts in one currency (zero when empty)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
