"""The books' side of credit paid back to a card (`card_payout`): what a gateway answer
to its refund does. Kept apart from the service so that the answer recorder
(`voids.action_answer_record`, also the reconciler's) can call it without a cycle.

A card pay-out is a payment of type `payout` whose reason is `card` and whose reference is
the card or bank payment refunded; its refund is a partial-refund attempt of that payment
(`sequence` 1, 2…, a key of its own) whose plan names the pay-out instead of invoices.
The pay-out is written before the refund is sent, so the credit is held while the answer
is out: approved, the payment's history gets its `partial_refund` line; declined or
refused, the pay-out is voided and the credit comes back.
"""

from __future__ import annotations

from remit.core.audit import Actor, audit_record
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import GatewayResult
from remit.payments.events import payment_events_record
from remit.payments.models import CARD_PAYOUT, EventKind, GatewayAttempt, Payment, PaymentType
from remit.payments.services.transitions import payment_transition
from remit.payments.services.void_steps import void_in_the_books
from remit.payments.states import Action, Outcome, PaymentStatus

PAYOUT_PLAN = "credit payout"
"""The key of a refund attempt's plan that names a pay-out (never an invoice number:
those have no spaces)."""


def card_payout(payment: Payment) -> bool:
    """`payment` is credit paid back to a card through the gateway."""
    return payment.type == PaymentType.PAYOUT and payment.reason == CARD_PAYOUT


def card_payout_attempt(attempt: GatewayAttempt) -> bool:
    """`attempt` is the refund of a card pay-out."""
    return bool(attempt.sequence) and PAYOUT_PLAN in (attempt.plan or {})


def paid_back_to_card(payment: Payment) -> bool:
    """Some of the credit `payment` made was paid back to its card (or is being)."""
    return any(card_payout_attempt(a) for a in payment.attempts.filter(sequence__gt=0))


def card_payout_answer(
    customer: Customer,
    payment: Payment,
    attempt: GatewayAttempt,
    result: GatewayResult,
    actor: Actor,
    finished_before: bool,
) -> None:
    """Inside the answer's transaction, `payment` (the one refunded) locked: finish once."""
    payout = Payment.objects.select_for_update().get(number=attempt.plan[PAYOUT_PLAN])
    amount = Money.from_minor(attempt.amount_minor, attempt.currency)
    if result.outcome == Outcome.APPROVED and not finished_before:
        payment_transition(
            payment,
            action=Action.PARTIAL_REFUND,
            outcome=Outcome.APPROVED,
            actor=actor,
            reason=f"{amount.format()} of credit paid back to the card by {payout.number}",
        )
        payment_events_record(
            [EventKind.PAYMENT_PARTLY_REFUNDED],
            payment,
            refunded=str(amount),
            invoices={},
            payout=payout.number,
        )
        audit_record(
            actor=actor,
            action="payment.credit_paid_to_card",
            obj=payment,
            idempotency_key=attempt.idempotency_key,
            after={"refunded": str(amount), "payout": payout.number},
        )
    elif result.outcome in (Outcome.DECLINED, Outcome.REFUSED):
        if payout.status != PaymentStatus.SETTLED:
            return  # given back already
        why = result.decline_reason or "the gateway refused it"
        reason = f"The refund to the card was not made ({why}); the credit is given back"
        description = f"Void of {payout.number}: {reason}"
        void_in_the_books(customer, payout, actor, reason, description)
