"""Pure rules of an invoice: its status (DESIGN rule 3), the dates and text it may
carry, and its aging bucket. No Django import."""

from __future__ import annotations

from datetime import date

from remit.core.errors import InvalidDate
from remit.core.inputs.dates import date_bounded

OPEN, PENDING, SCHEDULED, PAID, VOID = "open", "pending", "scheduled", "paid", "void"

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
"""An invoice's dates fall in these years: 0001-01-01 or 9999-12-31 is a typing slip."""
DESCRIPTION_MAX = 500
"""The longest description, the width of its column."""


def invoice_status(
    *, voided: bool, balance_minor: int, unsettled_minor: int, scheduled: bool = False
) -> str:
    """The status an invoice must have, from its balance and the payments in flight.

    `unsettled_minor` is the part of the live allocations whose payments are submitted
    but not settled (a pending card payment).
    """
    if voided:
        return VOID
    if balance_minor == 0:
        return PENDING if unsettled_minor > 0 else PAID
    if scheduled:
        return SCHEDULED
    return OPEN


def is_payable(status: str) -> bool:
    """Whether a payment may be applied to an invoice of this status now: only an open
    one (pending, scheduled, paid and void invoices are held or done)."""
    return status == OPEN


def invoice_day_check(day: date, *, field: str) -> date:
    """`day` if it may be an invoice's `field` (invoice_date or due_date), or InvalidDate."""
    what = field.replace("_", " ")
    return date_bounded(day, earliest=FIRST_DAY, latest=LAST_DAY, what=what, field=field)


def invoice_dates_check(invoice_date: date, due_date: date) -> None:
    """InvalidDate (naming the field) unless both dates are in range and the invoice is
    due on or after its date; the same sentences in every face."""
    invoice_day_check(invoice_date, field="invoice_date")
    invoice_day_check(due_date, field="due_date")
    if due_date < invoice_date:
        raise InvalidDate("The due date is before the invoice date.", fields={"due_date": "early"})


AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
"""How far past due a balance is, in order, as the JSON names them: the one rule of the AR
aging report and of a customer's statement."""


def aging_bucket(days_past_due: int) -> str:
    """The bucket of a balance `days_past_due` days after its due date (0 or less: current)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"
