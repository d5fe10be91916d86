"""The one rule for customer, invoice and payment numbers. Pure: no Django.

A number starts with an ASCII letter or digit and goes on with ASCII letters, digits,
`.`, `_` and `-`: `C-0001`, `INV-10045`, `PMT-000123`, `2026.INV_7`. It is as long as its
column holds: a customer or payment number at most 32 characters, an invoice number at
most 64 (ERPs send long ones). So a number is always safe in a URL path, a file name and
a CSV cell, and never needs quoting or escaping; `a/b` or `a b796` cannot be created in
one face and then break another (the back office once wrote such a customer and then
could not link to it).

The services that create customers and invoices enforce the rule; the database holds it
too (`core.constraints.number_rule`). A face reading a number it will only look up
(an invoice to pay) applies the same rule, so a malformed one is refused with the same
sentence everywhere instead of being searched for.
"""

from __future__ import annotations

import re
import string
from enum import StrEnum

from remit.core.errors import InvalidNumber
from remit.core.inputs.amount_text import echo

FIRST = string.ascii_letters + string.digits
"""What a number may start with."""
CHARS = FIRST + "._-"
"""What a number may hold."""
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""The rule as a regular expression (the API's schema publishes it, with the length)."""
_GOOD = re.compile(PATTERN.strip("^$"), re.ASCII)


class NumberKind(StrEnum):
    CUSTOMER = "customer"
    INVOICE = "invoice"
    PAYMENT = "payment"
    """A payment's or a scheduled payment's number (remit makes these: PMT-000001)."""


MAX_LENGTH = {NumberKind.CUSTOMER: 32, NumberKind.INVOICE: 64, NumberKind.PAYMENT: 32}
"""The longest number of each kind: the width of its column."""
EXAMPLES = {
    NumberKind.CUSTOMER: "C-0001",
    NumberKind.INVOICE: "INV-10045",
    NumberKind.PAYMENT: "PMT-000123",
}


def number_parse(text: str, kind: NumberKind, *, field: str | None = None) -> str:
    """`text` if it is a good `kind` number, or InvalidNumber with the reason as a sentence
    (naming `field`, "number" by default). Nothing is trimmed: a form or a CSV cell trims
    its own padding before it gets here."""
    problem = number_problem(text, kind)
    if problem:
        raise InvalidNumber(problem, fields={field or "number": problem})
    return text


def number_problem(text: str, kind: NumberKind) -> str | None:
    """The sentence saying what is wrong with `text` as a `kind` number, or None."""
    a_kind = f"an {kind}" if kind == NumberKind.INVOICE else f"a {kind}"
    if not isinstance(text, str):
        return f"{a_kind.capitalize()} number is text, such as {EXAMPLES[kind]}."
    longest = MAX_LENGTH[kind]
    if len(text) <= longest and _GOOD.fullmatch(text):
        return None
    if not text:
        return f"Enter {a_kind} number."
    start = f"'{echo(text)}' is not {a_kind} number: "
    if len(text) > longest:
        return start + f"it has {len(text)} characters; at most {longest}."
    bad = next((char for char in text if char not in CHARS), None)
    if bad is not None:
        return (
            start + f"{_name(bad)} is not allowed; use the letters A to Z, digits, "
            "'.', '_' and '-'."
        )
    if text[0] not in FIRST:
        return start + "it must start with a letter or a digit."
    return None


def _name(char: str) -> str:
    if char == " ":
        return "a space"
    if not char.isprintable() or char.isspace():
        return f"the character U+{ord(char):04X}"
    return f"'{char}'"
