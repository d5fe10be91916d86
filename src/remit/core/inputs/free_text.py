"""Free text a person types (a check's reference, a payment's notes, an invoice's
description, the reason for a void): never a card number. Pure: no Django.

Card numbers reach remit only as the gateway's tokens; a clerk pasting the customer's card
into the notes would put it in the database, the audit trail and every backup. So a text
holding what looks like a card number is refused with one sentence, by every face alike:
"Remove the card number from the notes: card numbers are never stored."

What looks like a card number: 13 to 19 digits that pass the Luhn check (every card
network's check digit), written together or in groups separated by one space or one dash
("4242 4242 4242 4242", "3782-822463-10005"). Within a longer run of groups, any whole
groups adding up to 13 to 19 digits count ("4242 4242 4242 4242 123": the card and its
CVC). A check, money order or invoice number of up to 12 digits never does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from remit.core.errors import RemitError

SHORTEST, LONGEST = 13, 19
"""How many digits a card number has (ISO/IEC 7812)."""
_RUN = re.compile(r"\d+(?:[ -]\d+)*")
"""Digits, in groups separated by one space or one dash."""


class CardNumberInText(RemitError):
    code = "card_number_in_text"


def luhn_valid(digits: str) -> bool:
    """The Luhn check: double every second digit from the right; the sum ends in 0."""
    total = 0
    for place, char in enumerate(reversed(digits)):
        digit = int(char)
        if place % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_numbers_in(text: str) -> Iterator[str]:
    """The digits of every card number written in `text`, in order (possibly overlapping)."""
    for run in _RUN.finditer(text):
        groups = re.split(r"[ -]", run.group())
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) > LONGEST:
                    break
                if len(digits) >= SHORTEST and luhn_valid(digits):
                    yield digits


def has_card_number(text: str) -> bool:
    return next(card_numbers_in(text), None) is not None


def card_number_sentence(what: str) -> str:
    return f"Remove the card number from the {what}: card numbers are never stored."


def free_text_parse(text: str, *, what: str, field: str | None = None) -> str:
    """`text` as it is, or CardNumberInText naming `what` ("notes", "description") in its
    sentence and `field` (`what` by default) in its fields."""
    if isinstance(text, str) and has_card_number(text):
        sentence = card_number_sentence(what)
        raise CardNumberInText(sentence, fields={field or what: sentence})
    return text
