"""The one hand-written statement of cash application: a file's decisions written back in
one `executemany` (Django's `bulk_update` builds a CASE per column and row, which costs
far more than the database's work at 10,000 lines). Table and column names from `_meta`."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from remit.bank.models import BankLine

DECIDED = ("status", "reason", "confidence", "customer", "allocations", "deposit")


def lines_decided_write(lines: Sequence[BankLine]) -> None:
    """UPDATE each line's decision (the fields of `DECIDED`), by id."""
    if not lines:
        return
    fields = [BankLine._meta.get_field(name) for name in DECIDED]
    quote = connection.ops.quote_name
    table = quote(BankLine._meta.db_table)
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = quote(BankLine._meta.pk.column)
    sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(line, f.attname), connection) for f in fields] + [line.pk]
        for line in lines
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
