"""AR aging: what customers owe, by how many days past due (pure: no Django import).

Buckets: `current` (not yet due, or due today), `1_30`, `31_60`, `61_90` and `over_90`
days past due, counted from the due date to the report's as-of date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from remit.core.money import Money
from remit.invoices.rules import AGING_BUCKETS, aging_bucket

BUCKETS = AGING_BUCKETS
"""The buckets, in order, as the JSON names them (the invoices' rule)."""

BUCKET_LABELS = {
    "current": "Current",
    "1_30": "1\u201330 days",
    "31_60": "31\u201360 days",
    "61_90": "61\u201390 days",
    "over_90": "Over 90 days",
}

bucket_of = aging_bucket
"""The bucket of an invoice `days_past_due` days after its due date (the invoices' rule)."""


def bucket_due_dates(as_of: date) -> dict[str, tuple[date | None, date | None]]:
    """Per bucket, the due dates (earliest, latest; None: no limit) it holds at `as_of`,
    so a database can sum the buckets: the same rule as `bucket_of`."""
    day = timedelta(days=1)
    return {
        "current": (as_of, None),
        "1_30": (as_of - 30 * day, as_of - day),
        "31_60": (as_of - 60 * day, as_of - 31 * day),
        "61_90": (as_of - 90 * day, as_of - 61 * day),
        "over_90": (None, as_of - 91 * day),
    }


@dataclass(frozen=True)
class OwedInvoice:
    """One invoice with something owed on it at the as-of date."""

    customer: str
    customer_name: str
    number: str
    currency: str
    invoice_date: date
    due_date: date
    owed_minor: int

    def days_past_due(self, as_of: date) -> int:
        return max((as_of - self.due_date).days, 0)


def _zero() -> dict[str, int]:
    return dict.fromkeys(BUCKETS, 0)


@dataclass
class CustomerAging:
    customer: str
    name: str
    buckets: dict[str, int] = field(default_factory=_zero)

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass
class Aging:
    """One currency's aging: totals per bucket, and each customer's."""

    as_of: date
    currency: str
    customers: list[CustomerAging]

    @property
    def buckets(self) -> dict[str, int]:
        totals = _zero()
        for line in self.customers:
            for name, minor in line.buckets.items():
                totals[name] += minor
        return totals

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def aging_build(invoices: Iterable[OwedInvoice], *, as_of: date) -> list[Aging]:
    """The aging of `invoices` at `as_of`, one per currency (currencies in code order),
    customers by number; invoices with nothing owed count for nothing."""
    per_currency: dict[str, dict[str, CustomerAging]] = defaultdict(dict)
    for invoice in invoices:
        if invoice.owed_minor <= 0:
            continue
        customers = per_currency[invoice.currency]
        line = customers.get(invoice.customer)
        if line is None:
            line = customers[invoice.customer] = CustomerAging(
                invoice.customer, invoice.customer_name
            )
        line.buckets[bucket_of((as_of - invoice.due_date).days)] += invoice.owed_minor
    return [
        Aging(as_of, currency, [per_currency[currency][c] for c in sorted(per_currency[currency])])
        for currency in sorted(per_currency)
    ]


@dataclass(frozen=True)
class OwedSums:
    """What one customer owes in one currency, summed per bucket (by the database)."""

    customer: str
    customer_name: str
    currency: str
    buckets: dict[str, int]


def aging_from_sums(rows: Iterable[OwedSums], *, as_of: date) -> list[Aging]:
    """The aging of per-customer sums (several rows of one customer add up), one per
    currency, customers by number; customers owing nothing are left out."""
    per_currency: dict[str, dict[str, CustomerAging]] = defaultdict(dict)
    for row in rows:
        customers = per_currency[row.currency]
        line = customers.get(row.customer)
        if line is None:
            line = customers[row.customer] = CustomerAging(row.customer, row.customer_name)
        for name in BUCKETS:
            line.buckets[name] += row.buckets.get(name, 0)
    reports = []
    for currency in sorted(per_currency):
        lines = [per_currency[currency][c] for c in sorted(per_currency[currency])]
        lines = [line for line in lines if line.total > 0]
        if lines:
            reports.append(Aging(as_of, currency, lines))
    return reports


def aging_json(aging: Aging) -> dict:
    """`remit report aging --json`'s shape for one currency (amounts as strings)."""

    def amounts(buckets: dict[str, int]) -> dict[str, str]:
        return {name: _text(buckets[name], aging.currency) for name in BUCKETS}

    return {
        "as_of": aging.as_of.isoformat(),
        "currency": aging.currency,
        "buckets": amounts(aging.buckets),
        "customers": [
            {
                "customer": line.customer,
                "buckets": amounts(line.buckets),
                "total": _text(line.total, aging.currency),
            }
            for line in aging.customers
        ],
    }


def _text(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))
