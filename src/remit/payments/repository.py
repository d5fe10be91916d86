"""The payments app's hand-written SQL, on Django's cursor, with names from `_meta`.

- the invoice events of a lump sum, written set-based (INSERT ... SELECT from the invoices
  table), so 10,000 invoices paid by one check are a few statements, not 10,000 rows
  built in Python;
- which of some invoices a payment still in flight (pending) covers, for their status;
- the lookup of a request's idempotency key, and of a possible duplicate of an offline
  payment, which run in every money service and usually find nothing.

Lists of ids travel as one parameter: an array on PostgreSQL, a JSON array on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from remit.invoices.models import Invoice
from remit.invoices.repository import id_list
from remit.payments.models import Allocation, Event, Payment, ScheduledPayment
from remit.payments.states import PaymentStatus


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


_ids = id_list


def invoice_events_insert(kind: str, invoice_ids: Sequence[int], *, customer_id: int) -> None:
    """One integrator event of `kind` per invoice, named by its number, in one statement."""
    if not invoice_ids:
        return
    condition, ids = _ids(invoice_ids)
    data = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    columns = ", ".join(
        _column(Event, name) for name in ("kind", "customer", "object_number", "data")
    )
    status = "paid" if kind == "invoice.paid" else "open"
    sql = (
        f"INSERT INTO {Event._meta.db_table} ({columns})"  # noqa: S608
        f" SELECT %s, %s, {_column(Invoice, 'number')}, {data} FROM {Invoice._meta.db_table}"
        f" WHERE {_column(Invoice, 'id')} {condition} ORDER BY {_column(Invoice, 'id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, customer_id, json.dumps({"status": status}), ids])


def invoices_in_flight(invoice_ids: Sequence[int]) -> set[int]:
    """Which of `invoice_ids` a live allocation of a pending payment covers."""
    if not invoice_ids:
        return set()
    condition, ids = _ids(invoice_ids)
    allocation, payment = Allocation._meta.db_table, Payment._meta.db_table
    sql = (
        f"SELECT DISTINCT a.{_column(Allocation, 'invoice')} FROM {allocation} a"  # noqa: S608
        f" JOIN {payment} p ON p.{_column(Payment, 'id')} = a.{_column(Allocation, 'payment')}"
        f" WHERE NOT a.{_column(Allocation, 'reversed')} AND p.{_column(Payment, 'status')} = %s"
        f" AND a.{_column(Allocation, 'invoice')} {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [PaymentStatus.PENDING.value, ids])
        return {row[0] for row in cursor.fetchall()}


def key_first_use(
    model: type[Payment] | type[ScheduledPayment], customer_id: int, key: str
) -> tuple[int, str] | None:
    """(id, request fingerprint) of what the customer's `key` made, if anything."""
    sql = (
        f"SELECT {_column(model, 'id')}, {_column(model, 'request_fingerprint')}"  # noqa: S608
        f" FROM {model._meta.db_table} WHERE {_column(model, 'customer')} = %s"
        f" AND {_column(model, 'idempotency_key')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, key])
        return cursor.fetchone()


def payment_twin(
    customer_id: int,
    payment_type: str,
    amount_minor: int,
    currency: str,
    reference: str,
    post_date,
) -> str | None:
    """The number of the first live (not voided, not failed) payment of the customer with
    this type, amount, reference and post date, if any."""
    c = {name: _column(Payment, name) for name in (
        "id", "number", "customer", "type", "amount_minor", "currency", "reference",
        "post_date", "status",
    )}  # fmt: skip
    sql = (
        f"SELECT {c['number']} FROM {Payment._meta.db_table}"  # noqa: S608
        f" WHERE {c['customer']} = %s AND {c['type']} = %s AND {c['amount_minor']} = %s"
        f" AND {c['currency']} = %s AND {c['reference']} = %s AND {c['post_date']} = %s"
        f" AND {c['status']} NOT IN (%s, %s) ORDER BY {c['id']} LIMIT 1"
    )
    params = [customer_id, payment_type, amount_minor, currency, reference, post_date]
    params += [PaymentStatus.VOIDED.value, PaymentStatus.FAILED.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
