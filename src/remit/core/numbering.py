"""Human numbers (PMT-000001) from a counter row, one statement per number."""

from __future__ import annotations

from django.db import connection

from remit.core.models import Counter


def next_number(name: str, *, prefix: str, width: int = 6) -> str:
    """The next number of sequence `name`; call inside a transaction.

    One UPDATE ... RETURNING (PostgreSQL and SQLite ≥ 3.35) takes the row lock and the
    value together, so concurrent posts never share a number.
    """
    table = Counter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value",  # noqa: S608
            [name],
        )
        row = cursor.fetchone()
    if row is None:  # the counters are created by core's migrations
        raise LookupError(f"no counter named {name!r}")
    return f"{prefix}{row[0]:0{width}d}"
