"""The core app's hand-written SQL, on Django's cursor, with names from `_meta`.

- The numbering counter: UPDATE ... RETURNING takes the counter's row lock and its new
  value together (PostgreSQL, and SQLite since 3.35), so concurrent posts never share a
  number; the ORM cannot say it.
- `instances_insert`: the INSERT of new model instances that every money service writes
  (the payment, its allocations, events, history, journal lines, audit), built once per
  model instead of by the ORM for each row (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

from remit.core.models import Counter

_TABLE = Counter._meta.db_table
_NAME = Counter._meta.get_field("name").column
_VALUE = Counter._meta.get_field("value").column
_BUMP = (
    f"UPDATE {_TABLE} SET {_VALUE} = {_VALUE} + 1 WHERE {_NAME} = %s"  # noqa: S608
    f" RETURNING {_VALUE}"
)
_CREATE = (
    f"INSERT INTO {_TABLE} ({_NAME}, {_VALUE}) VALUES (%s, 0)"  # noqa: S608
    f" ON CONFLICT ({_NAME}) DO NOTHING"
)


def counter_next(name: str) -> int:
    """The next value of counter `name`, created at 0 if it is missing (a database emptied
    by a test, say) without a race. Call inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_BUMP, [name])
        found = cursor.fetchone()
        if found is None:
            cursor.execute(_CREATE, [name])
            cursor.execute(_BUMP, [name])
            found = cursor.fetchone()
    return found[0]


# --- inserting model instances --------------------------------------------------------

_inserts: dict[tuple[type[Model], int, bool, str], str] = {}


def instances_insert(objs: Sequence[Model], *, ids: bool = False) -> None:
    """INSERT new instances of one model, as `bulk_create` does, with the statement built
    once per model and row count. Values go through each field's own `pre_save` and
    `get_db_prep_save`, so what is written is what the ORM would write; a column with a
    database default (the timestamps set by the database) is left to it. With `ids`, the
    instances get their primary keys (a RETURNING clause, so only when they are needed).

    The money write path uses it for the rows it writes every time: building an ORM
    INSERT costs several times what the database takes to run it."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: `connection` is a lookup per use
    model = type(objs[0])
    fields = _insert_fields(model)
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields] for obj in objs]
    per_statement = max(1, (db.features.max_query_params or 65535) // len(fields))
    found: list[int] = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in row]
            cursor.execute(_insert_sql(db, model, fields, len(chunk), ids), params)
            if ids:
                found.extend(row[0] for row in cursor.fetchall())
    for obj, pk in zip(objs, found, strict=False):
        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias


def _insert_fields(model: type[Model]) -> list[Field]:
    meta = model._meta
    return [f for f in meta.concrete_fields if f is not meta.auto_field and not f.has_db_default()]


def _insert_sql(db, model: type[Model], fields: list[Field], rows: int, ids: bool) -> str:
    key = (model, rows, ids, db.vendor)
    sql = _inserts.get(key)
    if sql is None:
        quote = db.ops.quote_name
        group = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)}"  # noqa: S608
            f" ({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([group] * rows)}"
        )
        if ids:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        if rows <= 8:  # the common shapes; a lump sum's many sizes are built each time
            _inserts[key] = sql
    return sql
