"""A void's four steps in the books, once for every void (offline, at the gateway, a
credit application given back, a card pay-out the gateway declined)."""

from __future__ import annotations

from collections.abc import Sequence

from remit.core.audit import Actor, audit_record
from remit.customers.models import Customer
from remit.payments.models import Payment
from remit.payments.services.discount import discounts_void
from remit.payments.services.reversal import payment_reverse
from remit.payments.services.transitions import payment_transition
from remit.payments.states import Action, Outcome


def void_in_the_books(
    customer: Customer,
    payment: Payment,
    actor: Actor,
    reason: str,
    description: str,
    also: Sequence[str] = (),
) -> None:
    """Every void's steps, once: reverse the allocations, journal and credit (the invoices
    reopen, and an early-payment discount it earned is voided with it), keep the reason,
    move the status, and write the audit event. The caller holds the customer's lock and
    has checked that the void is allowed."""
    before = {"status": payment.status}
    reopened = payment_reverse(customer, payment, description=description)
    discounts_void(customer, payment, actor=actor, description=description)
    payment.void_reason = reason[:300]
    payment_transition(
        payment,
        action=Action.VOID,
        outcome=Outcome.APPROVED,
        actor=actor,
        reason=reason,
        also=(*also, "void_reason"),
    )
    audit_record(
        actor=actor,
        action="payment.voided",
        obj=payment,
        before=before,
        after={"status": payment.status, "reason": reason, "reopened": reopened},
    )
