"""A statement's rules as plain functions (no Django): the aging buckets and the running
balance."""

from __future__ import annotations

from collections.abc import Iterable

BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
BUCKET_LABELS = {
    "current": "Current",
    "1_30": "1-30 days",
    "31_60": "31-60 days",
    "61_90": "61-90 days",
    "over_90": "Over 90 days",
}


def aging_bucket(days_past_due: int) -> str:
    """Where a balance `days_past_due` days past its due date is aged (0 or less: current)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"


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
