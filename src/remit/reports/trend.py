"""Days sales outstanding and the monthly collected/overdue trend (pure: no Django import).

DSO = receivables at the end of a period / invoiced in the period x the period's days: how
many days of sales are still owed. remit shows it for the last 90 days, and per month for
the trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

DSO_DAYS = 90
"""The period of the headline DSO."""
TREND_MONTHS = 12


def dso(*, receivable_minor: int, sales_minor: int, days: int) -> Decimal | None:
    """Days sales outstanding to one decimal, or None when nothing was invoiced."""
    if sales_minor <= 0:
        return None
    value = Decimal(receivable_minor) * days / Decimal(sales_minor)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_ends(today: date, count: int = TREND_MONTHS) -> list[tuple[date, date]]:
    """The last `count` calendar months up to today's, oldest first, as (first day, last
    day counted); the current month is counted to today."""
    months: list[tuple[date, date]] = []
    first = today.replace(day=1)
    end = today
    for _ in range(count):
        months.append((first, end))
        end = first - timedelta(days=1)
        first = end.replace(day=1)
    return months[::-1]


@dataclass(frozen=True)
class Month:
    """One month of the trend, in minor units of one currency."""

    first: date
    last: date
    invoiced_minor: int
    collected_minor: int
    receivable_minor: int  # at the month's last day
    overdue_minor: int  # past due at the month's last day

    @property
    def label(self) -> str:
        return self.first.strftime("%b %Y")

    @property
    def dso(self) -> Decimal | None:
        return dso(
            receivable_minor=self.receivable_minor,
            sales_minor=self.invoiced_minor,
            days=(self.last - self.first).days + 1,
        )
