"""A statement's rules as plain functions (no Django): the aging (by the invoices' bucket
rule) and the running balance."""

from __future__ import annotations

from collections.abc import Iterable

from remit.invoices.rules import AGING_BUCKETS, aging_bucket

BUCKETS = AGING_BUCKETS
BUCKET_LABELS = {
    "current": "Current",
    "1_30": "1-30 days",
    "31_60": "31-60 days",
    "61_90": "61-90 days",
    "over_90": "Over 90 days",
}


def aging(balances: Iterable[tuple[int, int]]) -> dict[str, int]:
    """(days past due, minor units) pairs summed by bucket; every bucket present."""
    totals = dict.fromkeys(BUCKETS, 0)
    for days, minor in balances:
        totals[aging_bucket(days)] += minor
    return totals


def running(opening: int, amounts: Iterable[int]) -> list[int]:
    """The balance after each amount, starting from `opening` (minor units)."""
    balances, balance = [], opening
    for amount in amounts:
        balance += amount
        balances.append(balance)
    return balances
