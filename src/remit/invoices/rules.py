"""Pure rules of an invoice: its status (DESIGN rule 3), the dates and text it may
carry, and its aging bucket. No Django import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from remit.core.errors import InvalidDate, RemitError
from remit.core.inputs.dates import date_bounded

OPEN, PENDING, SCHEDULED, PAID, VOID = "open", "pending", "scheduled", "paid", "void"

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
"""An invoice's dates fall in these years: 0001-01-01 or 9999-12-31 is a typing slip."""
DESCRIPTION_MAX = 500
"""The longest description, the width of its column."""


class InvalidTerms(RemitError):
    """Early-payment terms no invoice may carry (a sentence safe to show)."""


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


DISCOUNT_PERCENT_MAX = Decimal(100)
"""Early-payment terms ("2/10 net 30"): at most 100% off, to two decimal places."""


@dataclass(frozen=True)
class Terms:
    """An invoice's early-payment discount: `percent` off its total if paid in full by
    `days` after its invoice date (2/10: 2% off within 10 days)."""

    percent: Decimal
    days: int

    def amount_minor(self, total_minor: int) -> int:
        """The discount in minor units: `percent` of the whole invoice total (not of what
        is left), rounded half up to the currency's minor unit (2% of 100.25 is 2.005,
        taken as 2.01)."""
        exact = Decimal(total_minor) * self.percent / 100
        return int(exact.to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def label(self) -> str:
        """The percent as people write it: "2%", "1.5%"."""
        return f"{self.percent.normalize():f}%"

    def last_day(self, invoice_date: date) -> date:
        """The last day the discount may be taken: the invoice date plus `days`."""
        return invoice_date + timedelta(days=self.days)

    def applies_on(self, post_date: date, invoice_date: date) -> bool:
        """Whether a payment posted on `post_date` is inside the window (the last day
        included)."""
        return post_date <= self.last_day(invoice_date)


def terms_of(percent: Decimal | None, days: int | None) -> Terms | None:
    """The terms stored on an invoice, or None when it has none (or 0% off)."""
    if percent is None or days is None or percent <= 0:
        return None
    return Terms(percent, days)


def discount_remaining_minor(terms: Terms | None, total_minor: int, taken_minor: int) -> int:
    """What is left of the discount once `taken_minor` (live discounts already booked on
    the invoice) is taken: the discount is taken once per invoice, never more."""
    if terms is None:
        return 0
    return max(terms.amount_minor(total_minor) - taken_minor, 0)


def terms_check(percent: Decimal | None, days: int | None) -> Terms | None:
    """Terms as every face takes them: both or neither; the percent more than 0 and at
    most 100 with at most two places; the days 0 or more. InvalidTerms otherwise."""
    if percent is None and days is None:
        return None
    if percent is None or days is None:
        missing = "discount_days" if days is None else "discount_percent"
        raise InvalidTerms(
            "Give both the discount percent and the discount days, or neither.",
            fields={missing: "missing"},
        )
    if not percent.is_finite() or percent <= 0 or percent > DISCOUNT_PERCENT_MAX:
        raise InvalidTerms(
            f"A discount percent is more than 0 and at most 100; {percent} is not.",
            fields={"discount_percent": "out of range"},
        )
    if percent != percent.quantize(Decimal("0.01")):
        raise InvalidTerms(
            f"A discount percent has at most two decimal places; {percent} has more.",
            fields={"discount_percent": "too precise"},
        )
    if days < 0 or days > DISCOUNT_DAYS_MAX:
        raise InvalidTerms(
            f"The discount days are 0 to {DISCOUNT_DAYS_MAX}; {days} is not.",
            fields={"discount_days": "out of range"},
        )
    return Terms(percent.quantize(Decimal("0.01")), days)


DISCOUNT_DAYS_MAX = 3660
"""The longest window: ten years is a typing slip's bound, not a business's."""
