"""Which of a customer's open invoices an amount pays: a bounded subset-sum search.
Pure: no Django.

The invoices come oldest first; the search includes an invoice before it tries without
it, so the first set found is the oldest-first one (the tie-break). It stops at the second
set (then the answer is not unique) or after `max_nodes` steps (then it is not complete),
so a customer with many open invoices never makes an import slow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_INVOICES = 40
MAX_NODES = 50_000


@dataclass(frozen=True)
class SubsetResult:
    first: tuple[int, ...] | None
    """Indexes (into the list given) of the oldest-first set summing to the target."""
    unique: bool
    """No second set sums to the target (meaningful only when `complete`)."""
    complete: bool
    """The whole search ran: every invoice was considered, within the step budget."""


def subset_summing(
    balances: Sequence[int],
    target: int,
    *,
    max_items: int = MAX_INVOICES,
    max_nodes: int = MAX_NODES,
) -> SubsetResult:
    """Sets of `balances` (positive minor units) summing exactly to `target`."""
    if target <= 0:
        return SubsetResult(None, True, True)
    candidates = [(i, b) for i, b in enumerate(balances) if 0 < b <= target]
    complete = len(candidates) <= max_items
    candidates = candidates[:max_items]
    suffix = [0] * (len(candidates) + 1)
    for k in range(len(candidates) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + candidates[k][1]
    found: list[tuple[int, ...]] = []
    nodes = 0
    chosen: list[int] = []

    def search(k: int, left: int) -> bool:
        """False once the search must stop (two sets found, or out of steps)."""
        nonlocal nodes
        nodes += 1
        if nodes > max_nodes:
            return False
        if left == 0:
            found.append(tuple(chosen))
            return len(found) < 2
        if k == len(candidates) or suffix[k] < left:
            return True
        index, balance = candidates[k]
        if balance <= left:
            chosen.append(index)
            go_on = search(k + 1, left - balance)
            chosen.pop()
            if not go_on:
                return False
        return search(k + 1, left)

    finished = search(0, target)
    if nodes > max_nodes:
        complete = False
    first = found[0] if found else None
    return SubsetResult(first, len(found) < 2 and finished, complete)
