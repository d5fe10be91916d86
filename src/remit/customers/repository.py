"""The customers app's hand-written SQL: the customer's row lock.

Every money service takes it first (`money_transaction`), so two services for one
customer run one after the other; one statement, built once. SQLite has no row locks: its
write transaction (BEGIN IMMEDIATE) already keeps other writers out.
"""

from __future__ import annotations

from django.db import connection

from remit.customers.models import Customer

_LOCK = (
    f"SELECT 1 FROM {Customer._meta.db_table}"  # noqa: S608
    f" WHERE {Customer._meta.pk.column} = %s"
)


def customer_row_lock(customer_id: int) -> None:
    """Lock the customer's row until the transaction ends; DoesNotExist if there is none."""
    sql = _LOCK + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id])
        if cursor.fetchone() is None:
            raise Customer.DoesNotExist(f"Customer {customer_id} does not exist.")
