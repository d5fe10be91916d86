"""The invoices app's hand-written SQL for the money write path, on Django's cursor, with
names from `_meta`: reading (and locking) the invoices a payment may touch, and setting
many invoices' balance and status at once.

Both run in every payment. Lists of ids travel as one parameter (an array on PostgreSQL,
a JSON array on SQLite), so a lump sum over 10,000 invoices is one statement, not 10,000
placeholders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from remit.invoices.models import Invoice

CANDIDATE_COLUMNS = (
    "id",
    "number",
    "invoice_date",
    "due_date",
    "balance_due_minor",
    "status",
    "currency",
    "total_minor",
    "discount_percent",
    "discount_days",
)
_TABLE = Invoice._meta.db_table


def _column(name: str) -> str:
    return Invoice._meta.get_field(name).column


def id_list(ids: Sequence[int]) -> tuple[str, object]:
    """`IN` a list of ids as one parameter: the SQL after the column, and the parameter."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", list(ids)
    return "IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))


def invoices_for_payment(
    customer_id: int, *, numbers: Sequence[str] | None, status: str, currency: str, lock: bool
) -> list[tuple]:
    """The CANDIDATE_COLUMNS of the customer's invoices named by `numbers`, or else of
    those with `status` in `currency`; in id order, locked with `lock`."""
    columns = ", ".join(_column(name) for name in CANDIDATE_COLUMNS)
    if numbers:
        if connection.vendor == "postgresql":
            condition, param = "= ANY(%s)", list(numbers)
        else:
            condition, param = "IN (SELECT value FROM json_each(%s))", json.dumps(list(numbers))
        conditions, params = [f"{_column('number')} {condition}"], [param]
    else:
        conditions = [f"{_column('status')} = %s", f"{_column('currency')} = %s"]
        params = [status, currency]
    sql = (
        f"SELECT {columns} FROM {_TABLE}"  # noqa: S608
        f" WHERE {_column('customer')} = %s AND {' AND '.join(conditions)} ORDER BY {_column('id')}"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, *params])
        return cursor.fetchall()


def invoice_balances_update(ids: Sequence[int], *, balance_minor: int, status: str) -> None:
    """Set one balance and status on many invoices, in one statement."""
    condition, param = id_list(ids)
    sql = (
        f"UPDATE {_TABLE} SET {_column('balance_due_minor')} = %s,"  # noqa: S608
        f" {_column('status')} = %s WHERE {_column('id')} {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [balance_minor, status, param])
