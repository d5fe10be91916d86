"""Cash received: money into undeposited funds (checks, money orders, cash, other) and
into gateway clearing (cards, bank debits), by day and payment type (pure: no Django
import).

The figures are the journal's own movements of those two accounts, from the entries of
payments: a payment's debit on its post date is money received; a void, a refund or a
failed charge takes it back (a credit) on the day it happened. Entries that are not a
payment's (a deposit to the bank, say) move money on, not in, and are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CashMovement:
    """One journal line of a payment on undeposited funds or clearing."""

    day: date
    currency: str
    payment_type: str
    amount_minor: int  # + received, - taken back


@dataclass
class CashDay:
    day: date
    received: dict[str, int] = field(default_factory=dict)  # by payment type
    returned: dict[str, int] = field(default_factory=dict)  # by payment type, as positives

    @property
    def received_total(self) -> int:
        return sum(self.received.values())

    @property
    def returned_total(self) -> int:
        return sum(self.returned.values())

    @property
    def net(self) -> int:
        return self.received_total - self.returned_total


@dataclass
class CashReport:
    """One currency's cash received over a period, day by day (days with no movement left
    out), with the payment types that appear in it."""

    currency: str
    start: date
    end: date
    days: list[CashDay]

    @property
    def types(self) -> list[str]:
        seen = {t for d in self.days for t in (*d.received, *d.returned)}
        return sorted(seen)

    def received_by_type(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for day in self.days:
            for kind, minor in day.received.items():
                totals[kind] += minor
        return dict(totals)

    @property
    def received_total(self) -> int:
        return sum(d.received_total for d in self.days)

    @property
    def returned_total(self) -> int:
        return sum(d.returned_total for d in self.days)

    @property
    def net(self) -> int:
        return self.received_total - self.returned_total


def cash_build(movements: Iterable[CashMovement], *, start: date, end: date) -> list[CashReport]:
    """Sum `movements` per currency, day and payment type; currencies in code order."""
    per: dict[str, dict[date, CashDay]] = defaultdict(dict)
    for move in movements:
        days = per[move.currency]
        day = days.get(move.day) or days.setdefault(move.day, CashDay(move.day))
        side = day.received if move.amount_minor > 0 else day.returned
        side[move.payment_type] = side.get(move.payment_type, 0) + abs(move.amount_minor)
    return [
        CashReport(currency, start, end, [per[currency][d] for d in sorted(per[currency])])
        for currency in sorted(per)
    ]
