"""Pure rules of the journal: what makes an entry balanced."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from remit.core.money import Money


@dataclass(frozen=True)
class Posting:
    """One intended line: a debit (positive) or credit (negative) to an account."""

    account: str
    amount: Money

    @classmethod
    def debit(cls, account: str, amount: Money) -> Posting:
        return cls(account, amount)

    @classmethod
    def credit(cls, account: str, amount: Money) -> Posting:
        return cls(account, -amount)


def unbalanced_currencies(postings: Iterable[Posting]) -> dict[str, Money]:
    """Currencies whose debits and credits differ, with the difference; {} when balanced."""
    sums: dict[str, int] = defaultdict(int)
    for posting in postings:
        sums[posting.amount.currency] += posting.amount.minor
    return {cur: Money.from_minor(minor, cur) for cur, minor in sums.items() if minor}
