"""Early-payment terms as every face reads them (issue 14): a discount percent (`2`,
`1.5`) and a number of days (`10`). Only the syntax; the bounds (more than 0, at most 100,
two places) are the invoice's rule (`invoices.rules.terms_check`)."""

from __future__ import annotations

import re
from decimal import Decimal

from remit.core.errors import RemitError
from remit.core.inputs.amount_text import echo

_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?", re.ASCII)
_DAYS = re.compile(r"[0-9]{1,4}", re.ASCII)


def percent_parse(text: str, *, field: str = "discount_percent") -> Decimal:
    """A discount percent: digits with an optional decimal point (`2`, `1.5`), no sign
    and no `%`."""
    if not _PERCENT.fullmatch(text):
        raise RemitError(
            f"'{echo(text)}' is not a percent: write digits such as 2 or 1.5, without %.",
            fields={field: "not a percent"},
        )
    return Decimal(text)


def days_parse(text: str, *, field: str = "discount_days") -> int:
    """A number of days: whole, 0 or more, at most four digits."""
    if not _DAYS.fullmatch(text):
        raise RemitError(
            f"'{echo(text)}' is not a number of days: write a whole number such as 10.",
            fields={field: "not a number of days"},
        )
    return int(text)
