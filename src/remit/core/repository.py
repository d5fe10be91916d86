"""The core app's hand-written SQL: the numbering counter.

One statement that the ORM cannot say: UPDATE ... RETURNING takes the counter's row lock
and its new value together (PostgreSQL, and SQLite since 3.35), so concurrent posts never
share a number. Column and table names come from the model's `_meta`.
"""

from __future__ import annotations

from django.db import connection

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
