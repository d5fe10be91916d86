"""Invoice and customer numbers found in remittance text however customers write them.
Pure: no Django.

"INV-10045", "inv 10045", "INV10045", "10045/10046", "Invoices 10045 10046 and 10047",
"#0010045": each becomes the *keys* it may stand for:

- a full key: the number's letters and digits, upper case, punctuation and spaces dropped
  (`INV-10045` and `inv 10045` are both `INV10045`), matched against every open invoice's
  and customer's full key;
- a digits key: a run of digits with its leading zeros dropped (`0010045` is `10045`),
  matched against the trailing digits of every open invoice number: what is left when a
  customer drops the prefix.

Digits that belong to a date (2026-11-30, 11/30/2026) or an amount with cents (1,250.00)
are not references, and a run of fewer than 3 digits is only read with a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b(?!/)")
_AMOUNT = re.compile(r"\b\d{1,3}(?:,\d{3})+(?:\.\d{2})?\b|\b\d+\.\d{2}\b")
_TOKEN = re.compile(r"[A-Z0-9]+")
_DIGITS = re.compile(r"\d+")
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_PREFIX = re.compile(r"^([A-Z]+)")


def full_key(number: str) -> str:
    """A number as text compares: letters and digits, upper case."""
    return "".join(_TOKEN.findall(number.upper()))


_PARTS = re.compile(r"^([A-Z]*).*?(\d*)$")
_NOT_KEY = str.maketrans("", "", "-_. ")


def number_parts(number: str) -> tuple[str, str, str | None]:
    """A stored number's (prefix, full key, digits key) at once: what the directory
    indexes for each of 100,000 invoices (numbers hold letters, digits, '.', '_', '-')."""
    key = number.upper().translate(_NOT_KEY)
    if not key.isalnum() or not key.isascii():
        key = full_key(number)
    found = _PARTS.match(key)
    prefix, digits = (found.group(1), found.group(2)) if found else ("", "")
    return prefix, key, (digits.lstrip("0") or "0") if digits else None


def digits_key(number: str) -> str | None:
    """The number's trailing digits without leading zeros ('INV-0042' → '42')."""
    found = _TRAILING_DIGITS.search(full_key(number))
    if not found:
        return None
    return found.group(1).lstrip("0") or "0"


def prefix_of(number: str) -> str:
    found = _PREFIX.match(full_key(number))
    return found.group(1) if found else ""


@dataclass(frozen=True)
class Mentions:
    """What a text may be naming."""

    full: tuple[str, ...]
    """Full keys: tokens with digits, and a letters token joined to the digits after it."""
    digits: tuple[str, ...]
    """Digit runs (no leading zeros) that may be invoice numbers with the prefix dropped."""


def mentions(text: str) -> Mentions:
    upper = text.upper()
    cleaned = _AMOUNT.sub(" ", _DATE.sub(" ", upper))
    tokens = _TOKEN.findall(cleaned)
    full: list[str] = []
    for i, token in enumerate(tokens):
        if any(c.isdigit() for c in token):
            full.append(token)
            if i and tokens[i - 1].isalpha():
                full.append(tokens[i - 1] + token)
                if i > 1 and tokens[i - 2].isalpha():
                    full.append(tokens[i - 2] + tokens[i - 1] + token)
    digits: list[str] = []
    for match in _DIGITS.finditer(cleaned):
        run = match.group(0)
        before = cleaned[max(0, match.start() - 1) : match.start()]
        if len(run) >= 3 or before.isalpha():
            digits.append(run.lstrip("0") or "0")
    return Mentions(full=tuple(dict.fromkeys(full)), digits=tuple(dict.fromkeys(digits)))
