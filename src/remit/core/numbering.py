"""Human numbers (PMT-000001) from a counter row, one statement per number."""

from __future__ import annotations

from remit.core import rows
from remit.core.models import Counter


def next_number(name: str, *, prefix: str, width: int = 6) -> str:
    """The next number of sequence `name`; call inside a transaction.

    One UPDATE ... RETURNING (PostgreSQL and SQLite >= 3.35) takes the row lock and the
    value together, so concurrent posts never share a number. A missing counter row (a
    database emptied by a test, say) is created race-free with INSERT ... ON CONFLICT.
    """
    table = Counter._meta.db_table
    bump = f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608
    found = rows.query(bump, [name])
    if not found:
        rows.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",  # noqa: S608
            [name],
        )
        found = rows.query(bump, [name])
    return f"{prefix}{found[0][0]:0{width}d}"
