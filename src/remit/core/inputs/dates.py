"""A date as every face reads it: YYYY-MM-DD, ASCII digits, nothing else. Pure.

`date.fromisoformat` alone would also take `20261121` and `2026-W47-6`, which no form
shows and no clerk means; the API has always asked for YYYY-MM-DD, so every face does.
Which dates a field allows (a post date near today, an invoice date in this century) is
the domain's rule: `payments/post_date.py`, `invoices/rules.py`. `date_bounded` gives
those rules one sentence.
"""

from __future__ import annotations

import re
from datetime import date

from remit.core.errors import InvalidDate
from remit.core.inputs.amount_text import echo

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def date_parse(text: str, *, field: str = "date") -> date:
    """The date `text` writes as YYYY-MM-DD, or InvalidDate naming `field`."""
    if not isinstance(text, str) or not _ISO.fullmatch(text):
        shown = echo(text) if isinstance(text, str) else repr(text)
        problem = f"'{shown}' is not a date: write it as YYYY-MM-DD, such as 2026-11-21."
        raise InvalidDate(problem, fields={field: problem})
    try:
        return date.fromisoformat(text)
    except ValueError:
        problem = f"'{text}' is not a date: there is no such day."
        raise InvalidDate(problem, fields={field: problem}) from None


def date_bounded(day: date, *, earliest: date, latest: date, what: str, field: str) -> date:
    """`day` if it is from `earliest` to `latest`, or InvalidDate: "The post date
    9999-12-31 is out of range: choose a date from 2025-11-30 to 2026-12-30."."""
    if earliest <= day <= latest:
        return day
    problem = (
        f"The {what} {day.isoformat()} is out of range: "
        f"choose a date from {earliest.isoformat()} to {latest.isoformat()}."
    )
    raise InvalidDate(problem, fields={field: problem})
