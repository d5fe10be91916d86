"""How far from today a payment may be dated. Pure: no Django.

A clerk posts a check some days after it arrived, and now and then back-dates one to the
day it was received, within the year; a post-dated check is recorded at most a month
ahead. A post date of 9999-12-31 or 0001-01-01 is a typing slip, and it would sit in the
journal and the receipts for ever, so it is refused.

Every face applies the rule to the post date a person or an ERP gives (the back office's
form, the API, `remit post --post-date`), before any service runs. The services take the
date they are given: code that records history on purpose (the demo data, a migration
from another system) may date a payment as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from remit.core.inputs.dates import date_bounded


@dataclass(frozen=True)
class Window:
    back: timedelta
    ahead: timedelta


POST_DATE_WINDOW = Window(back=timedelta(days=365), ahead=timedelta(days=30))
"""A post date is from 365 days before today to 30 days after it."""


def post_date_check(day: date | None, *, today: date) -> date:
    """`day` (today when None) if it is inside `POST_DATE_WINDOW`, or InvalidDate."""
    if day is None:
        return today
    return date_bounded(
        day,
        earliest=today - POST_DATE_WINDOW.back,
        latest=today + POST_DATE_WINDOW.ahead,
        what="post date",
        field="post_date",
    )
