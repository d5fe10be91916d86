"""Which of a customer's open invoices an amount pays: a bounded subset-sum search.
Pure: no Django.

Two depth-first searches, each with a step budget so a customer with many open invoices
never makes an import slow:

- in age order (oldest first), including an invoice before trying without it, so the
  first set found is the oldest-first one: the suggestion (the tie-break);
- in value order (largest first, so a branch that cannot reach the amount is cut at
  once), stopping at the second set: whether the answer is unique. `complete` says this
  search ran to its end (every invoice considered within the budget): only then is
  `unique` a proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_INVOICES = 60
AGE_NODES = 2_000
VALUE_NODES = 6_000


@dataclass(frozen=True)
class SubsetResult:
    first: tuple[int, ...] | None
    """Indexes (into the list given) of the oldest-first set summing to the target."""
    unique: bool
    """No second set sums to the target (a proof only when `complete`)."""
    complete: bool
    """The whole search ran: every invoice was considered, within the step budget."""


def _search(
    items: list[tuple[int, int]], target: int, budget: int, stop_at: int
) -> tuple[list[tuple[int, ...]], bool]:
    """Sets of `items` ((index, balance)) summing to `target`, in search order (an item
    before the ones after it), up to `stop_at` of them; and whether the search finished
    within `budget` steps."""
    count = len(items)
    values = [b for _, b in items]
    suffix = [0] * (count + 1)
    smallest = [0] * (count + 1)
    for k in range(count - 1, -1, -1):
        suffix[k] = suffix[k + 1] + values[k]
        smallest[k] = values[k] if k == count - 1 else min(values[k], smallest[k + 1])
    found: list[tuple[int, ...]] = []
    chosen: list[int] = []
    steps = 0

    def walk(start: int, left: int) -> bool:
        """False once the search must stop (enough sets, or out of steps)."""
        nonlocal steps
        for j in range(start, count):
            steps += 1
            if steps > budget:
                return False
            if suffix[j] < left or smallest[j] > left:
                return True
            value = values[j]
            if value > left:
                continue
            chosen.append(items[j][0])
            if value == left:
                found.append(tuple(sorted(chosen)))
                chosen.pop()
                if len(found) >= stop_at:
                    return False
                continue
            go_on = walk(j + 1, left - value)
            chosen.pop()
            if not go_on:
                return False
        return True

    walk(0, target)
    return found, steps <= budget


def subset_summing(
    balances: Sequence[int],
    target: int,
    *,
    max_items: int = MAX_INVOICES,
    age_nodes: int = AGE_NODES,
    value_nodes: int = VALUE_NODES,
) -> SubsetResult:
    """Sets of `balances` (positive minor units, oldest first) summing to `target`."""
    if target <= 0:
        return SubsetResult(None, True, True)
    candidates = [(i, b) for i, b in enumerate(balances) if 0 < b <= target]
    complete = len(candidates) <= max_items
    candidates = candidates[:max_items]
    by_value = sorted(candidates, key=lambda item: (-item[1], item[0]))
    sets, finished = _search(by_value, target, value_nodes, stop_at=2)
    complete = complete and (finished or len(sets) >= 2)
    if not sets:
        return SubsetResult(None, True, complete)
    aged, _ = _search(candidates, target, age_nodes, stop_at=1)
    first = aged[0] if aged else min(sets)
    return SubsetResult(first, len(sets) == 1, complete)
