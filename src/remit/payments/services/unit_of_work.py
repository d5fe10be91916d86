"""`money_transaction`: how every money service begins (cosmicpython's `with uow:`).

Inside one database transaction it takes the customer's row lock, so two money services
for one customer run one after the other (and read, under the lock, what they change),
then looks up the request's idempotency key: a key already used with the same request
gives back what the first request made; with a different request it is refused. The
service writes under the lock, and everything commits once, or nothing does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from remit.core.errors import IdempotencyConflict, RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.customers.repository import customer_row_lock
from remit.payments.models import Payment, ScheduledPayment
from remit.payments.repository import key_first_use

MAX_KEY_LENGTH = 255
_MADE = {Payment: "posted", ScheduledPayment: "scheduled"}


@dataclass
class MoneyTransaction:
    customer: Customer
    first: Any = None
    """What an earlier request with the same idempotency key made, if there was one."""


@contextmanager
def money_transaction(
    customer: Customer,
    *,
    key: str | None = None,
    fingerprint: str = "",
    replays: type[Payment] | type[ScheduledPayment] = Payment,
) -> Iterator[MoneyTransaction]:
    """Open the transaction, lock `customer`, and look up `key` among `replays`."""
    with transaction.atomic():
        customer_lock(customer)
        first = None if key is None else _first(replays, customer, key, fingerprint)
        yield MoneyTransaction(customer, first)


def customer_lock(customer: Customer) -> Customer:
    """Take the customer's row lock until the transaction ends (SQLite's write transaction
    already keeps other writers out). What services use of the customer, its number and
    currency, never changes (`customer_update`), so the object is not read again."""
    customer_row_lock(customer.pk)
    return customer


def payment_lock(payment: Payment) -> Payment:
    """The payment read again under its row lock, taken after the customer's."""
    # of=("self",): PostgreSQL will not lock the nullable side of the join to the method.
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("method").get(pk=payment.pk)
    )


def request_fingerprint(*parts: object) -> str:
    """What makes two requests the same request: their parts, canonically."""
    canonical = json.dumps(
        [str(p) if isinstance(p, Money | date) else p for p in parts], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def requests_for_fingerprint(requests: Sequence[InvoiceRequest] | None) -> list:
    return [[r.number, str(r.amount) if r.amount else None] for r in requests or ()]


def _first(model, customer: Customer, key: str, fingerprint: str):
    """The first object made with `key`, if the request is the same; refused otherwise.

    Its own statement, after the lock, not a join in the locking SELECT: on PostgreSQL a
    statement that waited for the lock still sees the rows of the snapshot it started
    with, so it would miss what the lock holder just committed."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise RemitError(
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            fields={"idempotency_key": "invalid"},
        )
    found = key_first_use(model, customer.pk, key)  # usually nothing: no object is built
    if found is None:
        return None
    first = model.objects.get(pk=found[0])
    if found[1] != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key was already used for {first.number}, with a different "
            f"request; nothing was {_MADE[model]}."
        )
    return first
