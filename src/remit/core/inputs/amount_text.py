"""The one syntax of an amount, as every face reads it. Pure: no Django, no Money.

An amount is written with the ASCII digits 0 to 9 and an optional decimal point followed
by at least one digit: `150`, `150.5`, `150.00`. Thousands may be separated by commas
placed every three digits, as remit itself prints amounts: `1,250.00`, `1,000,000`; a
comma anywhere else (`1,25`, `12,50`, `1,0000`) is refused, so a European `1,25` is never
read as 125. Nothing else is accepted, and each refusal says why in a sentence:
exponents (`1e10`), underscores (`1_000.00`), digits of other scripts (full-width
digits, U+FF10 to U+FF19; Arabic-Indic, U+0660 to U+0669; any other), a sign (`-5`,
`+5`), NaN and infinities, spaces (inside or around: a form or a CSV cell trims its own
padding before it gets here, JSON and the command line do not), currency symbols
(`$10.00`), and more than `MAX_TEXT` characters. An amount is less than `MAX_AMOUNT`
(10^12 in the currency's major unit), which keeps any sum of amounts inside the
database's 64-bit integer minor units.

How many decimal places a currency takes, and that an amount is more than zero, are
checked by `amounts.amount_parse`, which knows the currency.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from remit.core.errors import InvalidAmount

MAX_AMOUNT = Decimal(10) ** 12
"""Every amount is below this, in the currency's major unit."""
MAX_TEXT = 20
"""The longest amount text: 999,999,999,999.999 has 19 characters."""

PLAIN = r"[0-9]+(?:\.[0-9]+)?"
GROUPED = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
PATTERN = rf"^(?:{PLAIN}|{GROUPED})$"
"""The syntax as one regular expression (the API's schema publishes it)."""

_AMOUNT = re.compile(rf"(?:{PLAIN}|{GROUPED})", re.ASCII)
_EXPONENT = re.compile(r"[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+", re.ASCII)
_NOT_FINITE = {"nan", "snan", "inf", "infinity"}


def decimal_from_text(text: str, *, signed: bool = False) -> Decimal:
    """The Decimal `text` writes, or InvalidAmount with the reason as a sentence.

    `signed` lets a leading minus through: for amounts remit wrote itself (a credit
    entry's `-20.00`), never for what a user gives.
    """
    if not isinstance(text, str):
        raise InvalidAmount(f"{text!r} is not an amount.")
    if not text:
        raise InvalidAmount("Enter an amount.")
    negative = signed and text.startswith("-")
    digits = text[1:] if negative else text
    if not _AMOUNT.fullmatch(digits):
        raise InvalidAmount(_why_not(text))
    number = Decimal(digits.replace(",", ""))
    if number >= MAX_AMOUNT:
        raise InvalidAmount(
            f"'{echo(text)}' is larger than remit accepts: "
            "an amount is less than 1,000,000,000,000."
        )
    if len(text) > MAX_TEXT:
        raise InvalidAmount(
            f"'{echo(text)}' is not an amount: it has more than {MAX_TEXT} characters."
        )
    return -number if negative else number


def _why_not(text: str) -> str:
    """The sentence for text that is not an amount: the first thing wrong with it."""
    start = f"'{echo(text)}' is not an amount: "
    for char in text:
        if char.isspace():
            return start + "write it without spaces."
        if not char.isascii() and (char.isnumeric() or unicodedata.category(char) == "Nd"):
            return start + "write it with the digits 0 to 9."
        if char == "_":
            return start + "write it without underscores."
        if unicodedata.category(char) == "Sc":
            return start + "write the number alone, without a currency symbol."
    if text.lstrip("+-").lower() in _NOT_FINITE:
        return start + "write digits, such as 150.00."
    if _EXPONENT.fullmatch(text):
        return start + "write the digits out, without an exponent (1e3 is 1000)."
    if text[0] in "+-" and _AMOUNT.fullmatch(text[1:]):
        return start + "write it without a sign; an amount is more than zero."
    if "," in text and _AMOUNT.fullmatch(text.replace(",", "")):
        return start + "a comma may only separate thousands, as in 1,250.00."
    return start + "write digits with an optional decimal point, such as 150.00."


def echo(text: str, limit: int = 40) -> str:
    """`text` as a refusal quotes it: control characters escaped, at most `limit` long."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
