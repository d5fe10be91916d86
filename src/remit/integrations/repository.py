"""The integrations app's hand-written SQL, on Django's cursor, with names from `_meta`:
claiming an Idempotency-Key's row.

INSERT ... ON CONFLICT DO NOTHING RETURNING says in one statement whether this request
got the key, where the ORM would raise an IntegrityError and, inside a transaction, need
a savepoint around the INSERT to survive it (two more round trips on every API POST).
"""

from __future__ import annotations

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections

from remit.integrations.models import IdempotencyRecord

_FIELDS = ("owner", "key", "fingerprint", "method", "path", "body", "content_type", "started_at")


def idempotency_row_insert(
    *, owner: str, key: str, fingerprint: str, method: str, path: str, started_at: datetime
) -> int | None:
    """The new row's id, or None when (owner, key) already has one."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = IdempotencyRecord._meta
    fields = [meta.get_field(name) for name in _FIELDS]
    conflict = ", ".join(meta.get_field(name).column for name in ("owner", "key"))
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(f.column for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" ON CONFLICT ({conflict}) DO NOTHING RETURNING {meta.pk.column}"
    )
    values = {
        "owner": owner,
        "key": key,
        "fingerprint": fingerprint,
        "method": method,
        "path": path,
        "body": b"",
        "content_type": "",
        "started_at": started_at,
    }
    params = [f.get_db_prep_save(values[f.name], db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None
