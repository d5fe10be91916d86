"""The SQL of the money write path: statements built once, run on the driver's cursor.

Why this exists: a payment is about thirteen statements (lock, replay check, invoices,
number, payment, allocations, balances, events, journal entry and lines, audit). Through
the ORM each one cost ~150 µs of query compiling and wrapping, several times what SQLite
takes to run it, and issue 2 asks remit to post at least half as fast as the same writes
in plain SQL (`make bench`). So the write path builds each statement once (per model and
shape) and runs it on the DB-API cursor:

- the models stay the one description of the tables: INSERTs list the model's concrete
  fields, missing values take the fields' defaults (`auto_now_add` included) or, for a
  `db_default`, the database's; values go through the fields' `get_db_prep_save` unless
  they are plain scalars for plain columns;
- PostgreSQL binds parameters server-side (Django's cursors bind client-side), so an
  array of 10,000 ids is not quoted into the SQL text and repeated statements are
  prepared;
- driver errors are still raised as Django's (`IntegrityError`...), a broken transaction
  is still refused, and when queries are being logged (DEBUG, `CaptureQueriesContext`) or
  wrapped (`connection.execute_wrapper`) the statements go through Django's cursor
  instead, so whoever watches the queries sees every one.

No signals are sent and `Model.save()` is not called: use this only for models with no
receivers and no `save()` logic beyond refusing updates. Reads for pages stay in the ORM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Field, Model
from django.utils import timezone

# Columns whose plain Python value the driver takes as it is: get_db_prep_save would
# return the same value (checked by tests/integration/test_rows.py), at ~2 µs a call.
_TEXT_COLUMNS = (models.CharField, models.TextField)
_INTEGER_COLUMNS = (models.IntegerField, models.ForeignKey)
_FORMAT = re.compile(r"(?<!%)%s")
_CACHE_LIMIT = 1024  # distinct statements kept; IN lists of many lengths are built anew

_statements: dict[tuple[Any, ...], str] = {}
_driver_sql: dict[str, str] = {}


# --- running statements ------------------------------------------------------------


def query(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run a SELECT (or ... RETURNING) written with %s placeholders; all its rows."""
    return _run(connections[DEFAULT_DB_ALIAS], sql, params, fetch=True)


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement written with %s placeholders; the number of rows it changed."""
    return _run(connections[DEFAULT_DB_ALIAS], sql, params, fetch=False)


def _run(db: Any, sql: str, params: Sequence[Any], *, fetch: bool) -> Any:
    # `db` is looked up once by the caller: each `connection.x` is a thread-local lookup.
    if db.queries_logged or db.execute_wrappers:
        with db.cursor() as cursor:  # Django's: the query log and wrappers see everything
            cursor.execute(sql, params)
            return cursor.fetchall() if fetch else cursor.rowcount
    if db.connection is None:
        db.ensure_connection()
    if db.needs_rollback:
        db.validate_no_broken_transaction()  # raises, as Django's cursor would
    if db.vendor == "postgresql":
        # Server-side binding (Django's cursors bind client-side): parameters travel apart
        # from the SQL, so a 10,000-id array is not quoted into the text, and psycopg
        # prepares a statement run five times on the connection.
        cursor = psycopg.Cursor(db.connection)
    else:
        cursor, sql = db.connection.cursor(), _qmark(sql)
    try:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else cursor.rowcount
    except Exception:
        with db.wrap_database_errors:  # the driver's error raised as Django's
            raise
    finally:
        cursor.close()


def _qmark(sql: str) -> str:
    """sqlite3's placeholders are ?, not %s (Django's cursor converts on every call)."""
    text = _driver_sql.get(sql)
    if text is None:
        text = _FORMAT.sub("?", sql).replace("%%", "%")
        if len(_driver_sql) < _CACHE_LIMIT:
            _driver_sql[sql] = text
    return text


# --- writing -------------------------------------------------------------------------


def insert_rows(
    model: type[Model], rows: Sequence[Mapping[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """INSERT rows given as {column attribute: value} (`payment_id` for a foreign key),
    all naming the same fields; fields left out take their defaults, and those with a
    `db_default` (timestamps) are left to the database. With `return_ids`, the new ids in
    order (asking costs SQLite a RETURNING step, so only when needed); otherwise []."""
    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    keys = tuple(rows[0])
    plan = _plans.get((model, keys, db.vendor)) or _plan(db, model, keys)
    defaults = {name: _db_value(f, _default(f), db) for name, f in plan.fresh_defaults}
    values = []
    for row in rows:
        if len(rows) > 1 and row.keys() != rows[0].keys():
            raise ValueError("insert_rows() takes rows that all name the same fields")
        values.append(
            [
                _db_value(f, row[name], db) if source is _GIVEN else defaults.get(name, source)
                for f, name, source in plan.columns
            ]
        )
    return _insert(db, model, plan.fields, keys, values, return_ids=return_ids)


_GIVEN = object()  # in a plan: the value comes from the row
_FRESH = object()  # in a plan: a default computed for each insert (a timestamp)


class _Plan(NamedTuple):
    """How insert_rows() writes `model` when rows name `keys`, worked out once."""

    fields: list[Field]  # the columns written
    columns: list[tuple[Field, str, Any]]  # (field, attname, _GIVEN / _FRESH / db value)
    fresh_defaults: list[tuple[str, Field]]


_plans: dict[tuple[Any, ...], _Plan] = {}


def _plan(db: Any, model: type[Model], keys: tuple[str, ...]) -> _Plan:
    writable = _writable(model)
    fields = [f for f in writable if f.attname in keys or not f.has_db_default()]
    unknown = sorted(set(keys) - {f.attname for f in writable})
    if unknown:
        raise ValueError(f"{model.__name__} has no field {unknown}")
    columns: list[tuple[Field, str, Any]] = []
    for f in fields:
        if f.attname in keys:
            columns.append((f, f.attname, _GIVEN))
        elif _fresh(f):
            columns.append((f, f.attname, _FRESH))
        else:  # a constant default ("", False, {}): converted once, here
            columns.append((f, f.attname, _db_value(f, f.get_default(), db)))
    fresh = [(name, f) for f, name, source in columns if source is _FRESH]
    plan = _Plan(fields, columns, fresh)
    if len(_plans) < _CACHE_LIMIT:
        _plans[(model, keys, db.vendor)] = plan
    return plan


def _fresh(field: Field) -> bool:
    """A default that differs per insert: a timestamp, or a callable other than dict/list."""
    if _stamped_on_save(field):
        return True
    return callable(field.default) and field.default not in (dict, list)


class _InstancePlan(NamedTuple):
    """How insert() writes instances of a model, worked out once."""

    fields: list[Field]
    stamped: list[bool]  # auto_now(_add): set by pre_save; the others are read as they are


_instance_plans: dict[type[Model], _InstancePlan] = {}


def _instance_plan(model: type[Model]) -> _InstancePlan:
    fields = _writable(model)
    if any(f.has_db_default() for f in fields):  # the database's value would be read back
        raise TypeError(f"insert() cannot write {model.__name__}: use insert_rows()")
    plan = _instance_plans[model] = _InstancePlan(fields, [_stamped_on_save(f) for f in fields])
    return plan


def insert(objs: Sequence[Model]) -> None:
    """INSERT new model instances (all of one model) and set their primary keys, like
    `bulk_create`; for rows the caller goes on using, such as the payment itself."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    fields, stamped = _instance_plans.get(model) or _instance_plan(model)
    values = []
    for obj in objs:
        if type(obj) is not model or not obj._state.adding:
            raise ValueError(f"insert() takes new {model.__name__} rows only")
        attributes = obj.__dict__
        values.append(
            [
                _db_value(f, f.pre_save(obj, True) if stamp else attributes[f.attname], db)
                for f, stamp in zip(fields, stamped, strict=True)
            ]
        )
    ids = _insert(db, model, fields, None, values, return_ids=True)  # None: every field
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias


def update_where_id_in(model: type[Model], ids: Sequence[int], **values: Any) -> None:
    """UPDATE the rows of `model` whose id is in `ids`, setting `values` (field names)."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(name) for name in values]
    condition, id_param = id_list(ids)
    key = ("update", model, tuple(values), condition, db.vendor)
    sql = _statements.get(key)
    if sql is None:
        q = db.ops.quote_name
        assignments = ", ".join(f"{q(f.column)} = %s" for f in fields)
        sql = _statements[key] = (
            f"UPDATE {q(model._meta.db_table)} SET {assignments}"  # noqa: S608
            f" WHERE {q(model._meta.pk.column)} {condition}"
        )
    _run(db, sql, [*(_db_value(f, values[f.name], db) for f in fields), id_param], fetch=False)


def id_list(ids: Sequence[int]) -> tuple[str, Any]:
    """`IN` a list of ids as one parameter, however long the list: the SQL to put after
    the column, and the parameter. An array on PostgreSQL, a JSON array on SQLite, so no
    statement has 10,000 placeholders. One id is simply `= %s`, the cheapest plan."""
    if len(ids) == 1:
        return "= %s", ids[0]
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return "= ANY(CAST(%s AS bigint[]))", _pg_array(ids)
    return "IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))


def _pg_array(values: Sequence[Any]) -> Any:
    """A column of values as one PostgreSQL array parameter. Integers are sent in the
    array's text form, '{1,2,3}', joined in C: psycopg's list dumper handles each element
    in Python, a third of a 10,000-invoice lump sum's time."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


def _insert(
    db: Any,
    model: type[Model],
    fields: list[Field],
    shape: tuple[str, ...] | None,
    values: list[list[Any]],
    *,
    return_ids: bool,
) -> list[int]:
    if len(values) == 1:  # most inserts: one row, one statement
        sql = _insert_sql(db, model, fields, shape, 1, return_ids=return_ids)
        found = _run(db, sql, values[0], fetch=return_ids)
        return [found[0][0]] if return_ids else []
    if _unnestable(db, fields):
        # PostgreSQL: one array per column (as Django's bulk_create does) plans far faster
        # than thousands of VALUES groups.
        sql = _insert_sql(db, model, fields, shape, rows=0, return_ids=return_ids)
        columns = zip(*values, strict=True)
        params = [_pg_array(column) for column in columns]
        found = _run(db, sql, params, fetch=return_ids)
        return [row[0] for row in found] if return_ids else []
    limit = db.features.max_query_params or 65535  # psycopg's own limit
    size = max(1, limit // len(fields))
    ids: list[int] = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        sql = _insert_sql(db, model, fields, shape, len(chunk), return_ids=return_ids)
        found = _run(db, sql, [v for row in chunk for v in row], fetch=return_ids)
        if return_ids:
            ids.extend(row[0] for row in found)
    return ids


def _unnestable(db: Any, fields: list[Field]) -> bool:
    return db.vendor == "postgresql" and not any(
        hasattr(f, "get_placeholder")
        or (f.target_field if f.is_relation else f).get_internal_type() not in db.data_types
        for f in fields
    )


def _writable(model: type[Model]) -> list[Field]:
    """Every column of `model` but its auto-incremented id."""
    meta = model._meta
    return [f for f in meta.concrete_fields if f is not meta.auto_field]


def _stamped_on_save(field: Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _default(field: Field) -> Any:
    return timezone.now() if _stamped_on_save(field) else field.get_default()


def _db_value(field: Field, value: Any, db: Any) -> Any:
    kind = type(value)
    if (
        value is None  # SQL NULL for every field (JSONField included: Value(None) is JSON null)
        or (isinstance(value, str) and isinstance(field, _TEXT_COLUMNS))  # enums too
        or (kind is int and isinstance(field, _INTEGER_COLUMNS))
    ):
        return value
    return field.get_db_prep_save(value, db)


def _insert_sql(
    db: Any,
    model: type[Model],
    fields: list[Field],
    shape: tuple[str, ...] | None,
    rows: int,
    *,
    return_ids: bool,
) -> str:
    """INSERT ... VALUES with `rows` groups, or with rows=0 INSERT ... SELECT FROM UNNEST."""
    # Keyed by `shape` (the names given), not the fields: a Field's hash is Python code.
    key = ("insert", model, shape, rows, return_ids, db.vendor)
    sql = _statements.get(key)
    if sql is None:
        q = db.ops.quote_name
        columns = ", ".join(q(f.column) for f in fields)
        if rows:
            group = "(" + ", ".join(["%s"] * len(fields)) + ")"
            source = f"VALUES {', '.join([group] * rows)}"
        else:  # the type without its length: varchar[], not varchar(3)[]
            arrays = ", ".join(f"(%s)::{f.db_type(db).split('(')[0]}[]" for f in fields)
            source = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608
        sql = f"INSERT INTO {q(model._meta.db_table)} ({columns}) {source}"
        if return_ids:
            sql += f" RETURNING {q(model._meta.pk.column)}"
        if len(_statements) < _CACHE_LIMIT:
            _statements[key] = sql
    return sql


# --- reading -------------------------------------------------------------------------


def lock(model: type[Model], pk: int) -> None:
    """Lock the row `pk` of `model` until the transaction ends (SELECT ... FOR UPDATE; on
    SQLite the write transaction already keeps other writers out); DoesNotExist if none."""
    db = connections[DEFAULT_DB_ALIAS]
    key = ("lock", model, db.vendor)
    if key not in _statements:
        q = db.ops.quote_name
        lock_clause = " FOR UPDATE" if db.features.has_select_for_update else ""
        _statements[key] = (
            f"SELECT 1 FROM {q(model._meta.db_table)}"  # noqa: S608
            f" WHERE {q(model._meta.pk.column)} = %s{lock_clause}"
        )
    if not _run(db, _statements[key], [pk], fetch=True):
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist.")
