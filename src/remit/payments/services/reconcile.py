"""Bringing remit up to date with the gateway: the reconciler, the daily settlement, and
one payment at a webhook's word (DESIGN rule 4).

The reconciler never judges an attempt in flight and never retries blindly:

- a pending payment's charge is looked up by its key once the charge is no longer in
  flight, and the answer recorded; "not found" fails the payment only once the gateway
  can no longer create the charge (`remit.payments.services.attempts`);
- a void or refund left unfinished (its answer lost, or its process dead) is looked up
  through its charge, and finished from what the gateway says, or sent again with the
  same key, which the gateway replays or acts on once.

Several reconcilers may run at once (two workers, a person at the command line): each
resumes an attempt only after taking the customer's lock and finding it still unfinished,
and recording an answer twice changes nothing.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from remit.core.audit import Actor
from remit.gateways.protocol import (
    ChargeStatus,
    Gateway,
    GatewayResult,
)
from remit.gateways.registry import get_gateway
from remit.payments.models import GatewayAttempt, GatewayOperation, Payment
from remit.payments.services.attempts import (
    UNFINISHED,
    action_send,
    attempt_in_flight,
    attempt_resumable,
    attempt_resume,
    charge_attempt,
    gateway_lookup,
)
from remit.payments.services.card import charge_answer_record
from remit.payments.services.disputes import disputes_deliver
from remit.payments.services.unit_of_work import money_transaction
from remit.payments.services.voids import action_answer_record
from remit.payments.states import Outcome, PaymentStatus

log = logging.getLogger("remit.payments")


def payments_settle(*, actor: Actor, gateway: Gateway | None = None) -> dict[str, int]:
    """The daily cut-off: the sandbox settles its captured charges, then every pending
    payment is brought up to date with the gateway."""
    gateway = gateway or get_gateway()
    settle_all = getattr(gateway, "settle_all", None)
    if settle_all is not None:
        settle_all()
    counts = payments_reconcile(actor=actor, gateway=gateway)
    disputes_deliver(gateway=gateway, actor=actor)  # the sandbox's dispute card, disputed
    return counts


def payments_reconcile(*, actor: Actor, gateway: Gateway | None = None) -> dict[str, int]:
    """Ask the gateway about every pending card and bank payment, by its charge key, and
    move each to what the gateway says; then resume every void and refund left unfinished."""
    gateway = gateway or get_gateway()
    counts = {"checked": 0, "settled": 0, "failed": 0, "pending": 0, "unknown": 0}
    counts |= {"in_flight": 0, "resumed": 0}
    now = timezone.now()
    charges = GatewayAttempt.objects.filter(
        operation=GatewayOperation.CHARGE, payment__status=PaymentStatus.PENDING
    ).order_by("id")
    for attempt in list(charges):
        if attempt_in_flight(attempt, now):
            counts["in_flight"] += 1  # its own process may still record the answer
            continue
        counts["checked"] += 1
        result = gateway_lookup(gateway, attempt.idempotency_key)
        payment = charge_answer_record(attempt.payment_id, result, actor=actor, gateway=gateway)
        if payment.status == PaymentStatus.PENDING:
            counts["unknown" if payment.gateway_outcome == Outcome.UNKNOWN else "pending"] += 1
        else:
            counts["settled" if payment.status == PaymentStatus.SETTLED else "failed"] += 1
    actions = GatewayAttempt.objects.filter(
        operation__in=[GatewayOperation.VOID, GatewayOperation.REFUND], outcome__in=UNFINISHED
    ).order_by("id")
    for attempt in list(actions):
        if attempt_resumable(attempt, now):
            counts["resumed"] += action_resume(attempt.pk, actor=actor, gateway=gateway)
        else:
            counts["in_flight"] += 1
    return counts


def payment_sync(*, charge_key: str, actor: Actor, gateway: Gateway | None = None) -> Payment:
    """Bring one payment up to date with the gateway (a webhook said something changed)."""
    attempt = GatewayAttempt.objects.get(
        idempotency_key=charge_key, operation=GatewayOperation.CHARGE
    )
    gateway = gateway or get_gateway()
    result = gateway_lookup(gateway, charge_key)
    return charge_answer_record(attempt.payment_id, result, actor=actor, gateway=gateway)


def action_resume(attempt_id: int, *, actor: Actor, gateway: Gateway) -> int:
    """Finish an unfinished void or refund: 1 if this call took it up, 0 if another had."""
    attempt = GatewayAttempt.objects.select_related("payment__customer").get(pk=attempt_id)
    with money_transaction(attempt.payment.customer):
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=attempt.payment_id)
        attempt = GatewayAttempt.objects.get(pk=attempt_id)
        if not attempt_resumable(attempt, timezone.now()):
            return 0  # another reconciler, or the user, took it up
        charge = charge_attempt(payment)
        attempt_resume(attempt, gateway=gateway)
    log.info("resuming the %s of %s (%s)", attempt.operation, payment.number, attempt.sends)
    result = _already_done(attempt, gateway_lookup(gateway, charge.idempotency_key))
    if result is None:
        result = action_send(gateway, attempt, charge.idempotency_key)
    action_answer_record(attempt.pk, result, actor=actor, reason="finished by the reconciler")
    return 1


def _already_done(attempt: GatewayAttempt, charge: GatewayResult) -> GatewayResult | None:
    """The charge already stands voided (for a void) or refunded (for a refund): the
    operation happened, only its answer was lost."""
    if attempt.sequence:  # a partial refund: the charge's status cannot say; resend its key
        return None
    wanted = (
        ChargeStatus.VOIDED if attempt.operation == GatewayOperation.VOID else ChargeStatus.REFUNDED
    )
    if charge.charge_status != wanted:
        return None
    return GatewayResult(outcome=Outcome.APPROVED, charge_status=wanted)
