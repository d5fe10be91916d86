"""Checks a provider makes before it tokenises card or bank details. Pure: no Django.

Each check raises PaymentDetailsInvalid with one sentence a customer can act on and the
field it is about, so a form can show it next to the input.
"""

from __future__ import annotations

from datetime import date

from remit.gateways.protocol import BankDetails, CardDetails, PaymentDetailsInvalid

# Issuer prefixes (IIN ranges) of the common networks; no two ranges overlap.
_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("American Express", ((34, 34), (37, 37))),
    ("Mastercard", ((51, 55), (2221, 2720))),
    ("Discover", ((6011, 6011), (644, 649), (65, 65))),
    ("Diners Club", ((300, 305), (36, 36), (38, 39))),
    ("JCB", ((3528, 3589),)),
    ("UnionPay", ((62, 62),)),
    ("Visa", ((4, 4),)),
)

# How far ahead an expiry may be before it is a typing mistake rather than a real card.
_MAX_YEARS_AHEAD = 20


def digits_only(text: str) -> str:
    """Card and account numbers as typed: spaces and dashes are allowed, nothing else."""
    return text.replace(" ", "").replace("-", "")


def luhn_valid(number: str) -> bool:
    """The mod-10 check every card number carries in its last digit."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def aba_valid(routing: str) -> bool:
    """The ABA routing-number checksum: weights 3, 7, 1 over nine digits, mod 10."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(routing, weights, strict=True)) % 10 == 0


def card_brand(number: str) -> str:
    for brand, ranges in _BRANDS:
        for low, high in ranges:
            width = len(str(low))
            if len(number) >= width and low <= int(number[:width]) <= high:
                return brand
    return "Card"


def check_card(card: CardDetails, *, today: date) -> tuple[str, int]:
    """The card number (digits only) and the four-digit expiry year, or a refusal."""
    number = digits_only(card.number)
    if not number.isdigit() or not 12 <= len(number) <= 19:
        raise PaymentDetailsInvalid(
            "Enter the card number as 12 to 19 digits.", fields={"number": "invalid"}
        )
    if not luhn_valid(number):
        raise PaymentDetailsInvalid(
            "The card number is not valid; check it and try again.", fields={"number": "invalid"}
        )
    year = check_expiry(card.exp_month, card.exp_year, today=today)
    check_cvc(card.cvc, brand=card_brand(number))
    return number, year


def check_expiry(month: int, year: int, *, today: date) -> int:
    """The four-digit year; a card is good through the last day of its expiry month."""
    if not 1 <= month <= 12:
        raise PaymentDetailsInvalid(
            "The expiry month must be between 1 and 12.", fields={"exp_month": "invalid"}
        )
    if 0 <= year < 100:  # "27" on the card means 2027
        year += 2000
    if (year, month) < (today.year, today.month):
        raise PaymentDetailsInvalid(
            "The card has expired; use another card.", fields={"exp_year": "expired"}
        )
    if year > today.year + _MAX_YEARS_AHEAD:
        raise PaymentDetailsInvalid(
            "The expiry year is not valid; check it and try again.", fields={"exp_year": "invalid"}
        )
    return year


def check_cvc(cvc: str, *, brand: str) -> None:
    size = 4 if brand == "American Express" else 3
    if len(cvc) != size or not cvc.isdigit():
        raise PaymentDetailsInvalid(
            f"The security code (CVC) must be {size} digits.", fields={"cvc": "invalid"}
        )


def check_bank(bank: BankDetails) -> tuple[str, str]:
    """The routing and account numbers (digits only), or a refusal."""
    routing = digits_only(bank.routing_number)
    account = digits_only(bank.account_number)
    if not aba_valid(routing):
        raise PaymentDetailsInvalid(
            "The routing number is not valid; it is the 9 digits at the bottom left of a check.",
            fields={"routing_number": "invalid"},
        )
    if not account.isdigit() or not 4 <= len(account) <= 17:
        raise PaymentDetailsInvalid(
            "Enter the account number as 4 to 17 digits.", fields={"account_number": "invalid"}
        )
    return routing, account
