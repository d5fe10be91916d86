"""The core app's hand-written SQL, on Django's cursor, with names from `_meta`.

- The numbering counter: UPDATE ... RETURNING takes the counter's row lock and its new
  value together (PostgreSQL, and SQLite since 3.35), so concurrent posts never share a
  number; the ORM cannot say it.
- `rows_insert` (and `instances_insert`): the INSERT of the rows every money service
  writes (the payment, its allocations, events, history, journal lines, audit), built
  once per model instead of by the ORM for each row (see its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model
from django.utils import timezone

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


# --- inserting rows ---------------------------------------------------------------------

_inserts: dict[tuple[type[Model], int, bool, str], str] = {}


def rows_insert(
    model: type[Model], rows: Sequence[Mapping[str, Any]], *, ids: bool = False
) -> list[int]:
    """INSERT rows of `model`, each given as {field attname: value} (`payment_id` for a
    foreign key), with the statement built once per model and row count. A field left out
    takes its default (`auto_now_add`: now), and a column with a database default (the
    timestamps set by the database) is left to it. Values go through the fields' own
    `get_db_prep_save`, so what is written is what the ORM would write. With `ids`, the
    new primary keys in order (a RETURNING clause, so only when they are needed).

    The money write path uses it for the rows it writes every time: the ORM builds each
    INSERT anew, which costs several times what the database takes to run it."""
    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: `connection` is a lookup per use
    fields = _insert_fields(model)
    unknown = set(rows[0]) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column to write for {sorted(unknown)}")
    values = [
        [_prepared(f, row[f.attname] if f.attname in row else _default(f), db) for f in fields]
        for row in rows
    ]
    found: list[int] = []
    with db.cursor() as cursor:
        for sql, params in _statements(db, model, fields, values, ids):
            cursor.execute(sql, params)
            if ids:
                found.extend(row[0] for row in cursor.fetchall())
    return found


def instances_insert(objs: Sequence[Model], *, ids: bool = False) -> None:
    """INSERT new instances of one model (`rows_insert` for instances the caller goes on
    using, such as the payment itself); with `ids`, they get their primary keys."""
    if not objs:
        return
    fields = _insert_fields(type(objs[0]))
    found = rows_insert(
        type(objs[0]),
        [{f.attname: f.pre_save(obj, True) for f in fields} for obj in objs],
        ids=ids,
    )
    for obj, pk in zip(objs, found, strict=False):
        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def _default(field: Field) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def _statements(db, model: type[Model], fields: list[Field], rows: list[list], ids: bool):
    """The INSERT statements for `rows`, with their parameters. On PostgreSQL many rows go
    as one array per column (INSERT ... SELECT FROM UNNEST, as Django's bulk_create does),
    which plans far faster than thousands of VALUES groups; elsewhere, VALUES groups in
    chunks the driver accepts."""
    if db.vendor == "postgresql" and len(rows) > 1 and _unnestable(db, fields):
        yield (
            _unnest_sql(db, model, fields, ids),
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    per_statement = max(1, (db.features.max_query_params or 65535) // len(fields))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        yield _insert_sql(db, model, fields, len(chunk), ids), [v for row in chunk for v in row]


def _unnestable(db, fields: list[Field]) -> bool:
    return not any(
        hasattr(f, "get_placeholder")
        or (f.target_field if f.is_relation else f).get_internal_type() not in db.data_types
        for f in fields
    )


def _unnest_sql(db, model: type[Model], fields: list[Field], ids: bool) -> str:
    key = (model, -1, ids, db.vendor)
    sql = _inserts.get(key)
    if sql is None:
        quote = db.ops.quote_name
        arrays = ", ".join(f"%s::{f.db_type(db).split('(')[0]}[]" for f in fields)
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)}"  # noqa: S608
            f" ({', '.join(quote(f.column) for f in fields)}) SELECT * FROM UNNEST({arrays})"
        )
        if ids:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        _inserts[key] = sql
    return sql


def _prepared(field: Field, value, db):
    """The value as the driver takes it: the field's own `get_db_prep_save`, except for a
    plain str in a text column and a plain int in an integer column, which it returns
    unchanged (tests/integration/test_write_path.py checks that) at a cost that a lump sum
    of 10,000 rows would feel."""
    kind = type(value)
    if (kind is str and isinstance(field, _TEXT)) or (kind is int and isinstance(field, _INTEGER)):
        return value
    return field.get_db_prep_save(value, db)


_TEXT = (models.CharField, models.TextField)
_INTEGER = (models.IntegerField, models.BigIntegerField, models.ForeignKey)
_fields: dict[type[Model], list[Field]] = {}


def _insert_fields(model: type[Model]) -> list[Field]:
    """The columns an INSERT names: all but the id and those the database fills in."""
    fields = _fields.get(model)
    if fields is None:
        meta = model._meta
        fields = _fields[model] = [
            f for f in meta.concrete_fields if f is not meta.auto_field and not f.has_db_default()
        ]
    return fields


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
