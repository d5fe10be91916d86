"""Human numbers (PMT-000001) from a counter row, one statement per number."""

from __future__ import annotations

from remit.core.repository import counter_next


def next_number(name: str, *, prefix: str, width: int = 6) -> str:
    """The next number of sequence `name`, such as PMT-000123; call inside a transaction."""
    return f"{prefix}{counter_next(name):0{width}d}"
