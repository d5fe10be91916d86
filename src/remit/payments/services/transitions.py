"""`payment_transition`: the one way a payment's status moves (DESIGN rule 4).

It looks the move up in the state table (`remit.payments.states`), refusing anything
undeclared, sets the status, writes the change into the payment's status history, and
writes the integrator event (posted; then settled, failed, voided, refunded). A payment
comes into existence by its first transition (from no state), which inserts it. A payment
posted or failed is logged and counted for `/metrics` when the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from remit.core import metrics
from remit.core.audit import Actor
from remit.core.logs import log_bind, log_fields
from remit.core.repository import instances_insert, rows_insert
from remit.payments.events import payment_events_record
from remit.payments.models import EventKind, Payment, PaymentEvent
from remit.payments.states import Action, PaymentStatus, next_status

log = logging.getLogger("remit.payments")

_ACTION_EVENTS = {
    Action.DISPUTE_OPEN: EventKind.PAYMENT_DISPUTED,
    Action.DISPUTE_WON: EventKind.PAYMENT_DISPUTE_WON,
    Action.DISPUTE_LOST: EventKind.PAYMENT_DISPUTE_LOST,
}


def payment_transition(
    payment: Payment,
    *,
    action: str,
    outcome: str,
    actor: Actor,
    reason: str = "",
    also: Sequence[str] = (),
) -> PaymentStatus:
    """Move `payment` by `action` with `outcome`; inside the caller's transaction.

    A new payment (no primary key yet) is inserted in its first state. For an existing one
    the status is saved, with the fields named in `also` that the caller changed too."""
    before = payment.status or None
    to = next_status(before, action, outcome, payment=payment.number)
    payment.status = to
    if before is None or (to == PaymentStatus.FAILED and before != to):
        _tell(payment, posted=before is None, reason=reason)
    if payment.pk is None:
        instances_insert([payment], ids=True)
        kinds = [EventKind.PAYMENT_POSTED]
        if to == PaymentStatus.SETTLED:  # offline money is final at once
            kinds.append(EventKind.PAYMENT_SETTLED)
        payment_events_record(kinds, payment, type=payment.type)
    else:
        payment.save(update_fields=["status", *also])
        if action in _ACTION_EVENTS:  # a dispute's steps are named by what happened
            payment_events_record([_ACTION_EVENTS[action]], payment, reason=reason)
        elif to != before and to != PaymentStatus.PENDING:
            payment_events_record([f"payment.{to}"], payment, reason=reason)
    rows_insert(
        PaymentEvent,
        [
            {
                "payment_id": payment.pk,
                "from_status": before or "new",
                "action": action,
                "outcome": outcome,
                "to_status": to,
                "actor": actor.label,
                "detail": reason[:300],
            }
        ],
    )
    return to


def _tell(payment: Payment, *, posted: bool, reason: str) -> None:
    """Once the transaction commits: one log line and one count for a payment posted or
    failed. The request's later log lines carry its customer and number."""
    customer = payment.customer.number if Payment.customer.is_cached(payment) else ""
    log_bind(customer=customer, payment=payment.number)
    # The request's fields as they are now: the commit may come after the request's scope.
    fields = log_fields() | {"payment": payment.number, "payment_type": payment.type}
    if customer:
        fields["customer"] = customer
    status = payment.status

    def told() -> None:
        if posted:
            metrics.payment_posted(payment.type)
            log.info("%s posted (%s, %s)", payment.number, payment.type, status, extra=fields)
        else:
            metrics.payment_failed(payment.type)
            log.info("%s failed (%s): %s", payment.number, payment.type, reason, extra=fields)

    transaction.on_commit(told, robust=True)
