"""The one hand-written statement of cash application: a file's decisions written back in
one `executemany` (Django's `bulk_update` builds a CASE per column and row, which costs
far more than the database's work at 10,000 lines). Table and column names from `_meta`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from remit.bank.models import BankLine

DECIDED = ("status", "reason", "confidence", "customer", "allocations", "deposit")


def lines_decided_write(lines: Sequence[BankLine]) -> None:
    """UPDATE each line's decision (the fields of `DECIDED`), by id, if it is still new."""
    if not lines:
        return
    fields = [BankLine._meta.get_field(name) for name in DECIDED]
    quote = connection.ops.quote_name
    table = quote(BankLine._meta.db_table)
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = quote(BankLine._meta.pk.column)
    status = quote(BankLine._meta.get_field("status").column)
    # only lines still new: a concurrent import of the same file may have decided them
    sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s AND {status} = 'new'"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(line, f.attname), connection) for f in fields] + [line.pk]
        for line in lines
    ]
    if connection.vendor == "postgresql":
        _unnest_update(fields, rows)
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _unnest_update(fields, rows: list[list]) -> None:
    """PostgreSQL: one UPDATE ... FROM unnest(arrays) per 5,000 lines, not one per line."""
    quote = connection.ops.quote_name
    table = quote(BankLine._meta.db_table)
    types = [f.db_type(connection).split("(")[0] for f in fields] + ["bigint"]
    names = [f"c{i}" for i in range(len(types))]
    sets = ", ".join(f"{quote(f.column)} = v.{n}" for f, n in zip(fields, names, strict=False))
    arrays = ", ".join("%s::text[]::jsonb[]" if t == "jsonb" else f"%s::{t}[]" for t in types)
    sql = (
        f"UPDATE {table} AS t SET {sets} "  # noqa: S608
        f"FROM unnest({arrays}) AS v({', '.join(names)}) "
        f"WHERE t.{quote(BankLine._meta.pk.column)} = v.{names[-1]} "
        f"AND t.{quote(BankLine._meta.get_field('status').column)} = 'new'"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            columns = [list(column) for column in zip(*chunk, strict=True)]
            params = [
                [json.dumps(getattr(v, "obj", v)) for v in column] if t == "jsonb" else column
                for column, t in zip(columns, types, strict=True)
            ]
            cursor.execute(sql, params)
