"""`payment_transition`: the one way a payment's status moves (DESIGN rule 4).

It looks the move up in the state table (`remit.payments.states`), refusing anything
undeclared, sets the status, writes the change into the payment's status history, and
writes the integrator event (posted; then settled, failed, voided, refunded). A payment
comes into existence by its first transition (from no state), which inserts it.
"""

from __future__ import annotations

from collections.abc import Sequence

from remit.core.audit import Actor
from remit.core.repository import instances_insert, rows_insert
from remit.payments.events import payment_events_record
from remit.payments.models import EventKind, Payment, PaymentEvent
from remit.payments.states import PaymentStatus, next_status


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
    if payment.pk is None:
        instances_insert([payment], ids=True)
        kinds = [EventKind.PAYMENT_POSTED]
        if to == PaymentStatus.SETTLED:  # offline money is final at once
            kinds.append(EventKind.PAYMENT_SETTLED)
        payment_events_record(kinds, payment, type=payment.type)
    else:
        payment.save(update_fields=["status", *also])
        if to != before and to != PaymentStatus.PENDING:
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
