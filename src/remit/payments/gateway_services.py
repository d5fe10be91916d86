"""Card and bank payments through the gateway: charge, void, refund (DESIGN rules 4, 8, 9).

Every gateway operation follows one pattern, so a crash at any point loses nothing and
charges nothing twice:

1. in one transaction, under the customer lock: check, write the payment (pending) or
   find it, and start its attempt (`remit.payments.attempts`): the key, the send's time
   and deadline, committed before anything is sent;
2. outside any transaction: send the request with that key;
3. in a second transaction: record the answer and move the payment through the state
   table. A refusal before sending fails the payment with its sentence. An unknown answer
   (a timeout, a crash before step 3) leaves the payment pending and the attempt
   unfinished: `payments_reconcile` finishes it from the gateway's answer once it is no
   longer in flight. Nothing is retried blindly.

Recording is idempotent: the first process and the reconciler may both record one
answer, and the second changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import (
    AllocationRefused,
    GatewayUnavailable,
    RefundRequired,
    RemitError,
)
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import (
    ActionRequest,
    ChargeRequest,
    ChargeStatus,
    Gateway,
    GatewayResult,
    RefundRequest,
)
from remit.gateways.registry import get_gateway
from remit.payments.allocation import split_payment
from remit.payments.attempts import (
    NEVER_REACHED,
    attempt_never_reached,
    attempt_of,
    attempt_record,
    attempt_start,
    charge_attempt,
    gateway_send,
)
from remit.payments.bookkeeping import (
    check_money,
    fixed_amounts,
    lock_customer,
    record_payment,
    refresh_statuses,
    replay,
    request_fingerprint,
    requests_for_fingerprint,
    reverse_payment,
    transition,
)
from remit.payments.candidates import InvoiceRequest, load_candidates
from remit.payments.method_services import payment_method_spend
from remit.payments.models import (
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from remit.payments.states import Action, Outcome, next_status

log = logging.getLogger("remit.payments")

FAILED_OUTCOMES = (Outcome.DECLINED, Outcome.REFUSED)


# --- charging -------------------------------------------------------------------------


def card_payment_submit(
    *,
    customer: Customer,
    method: PaymentMethod,
    amount: Money,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    post_date: date | None = None,
    notes: str = "",
    gateway: Gateway | None = None,
) -> Payment:
    """Charge a saved card or bank account and apply the payment to invoices.

    The invoices are held (Pending) from the moment the payment is recorded, before the
    gateway is asked, so a second payment cannot reach them while the charge is in flight.
    A decline or a refusal reopens them in the same transaction that records it.
    """
    if method.customer_id != customer.pk or method.removed:
        raise RemitError(
            "That payment method is not on file for this customer.", fields={"method": "unknown"}
        )
    check_money(customer, amount)
    post_date = post_date or timezone.localdate()
    fingerprint = request_fingerprint(
        "card_payment_submit",
        customer.number,
        amount,
        method.pk,
        post_date.isoformat(),
        notes,
        source,
        requests_for_fingerprint(invoices),
    )
    gateway = gateway or get_gateway()
    with transaction.atomic():
        customer = lock_customer(customer)
        first = replay(customer, idempotency_key, fingerprint)
        if first:
            return first  # the first request's payment, whatever stage it has reached
        candidates = load_candidates(customer, amount.currency, invoices, lock=True)
        split = split_payment(amount, candidates, fixed_amounts(invoices))
        if split.credit.is_positive():
            # A card is charged for what is due, never more: credit from a charge that
            # later fails could already have been spent.
            raise AllocationRefused(
                f"A {method.get_kind_display().lower()} payment cannot be more than the "
                f"balance due ({split.applied.format()}).",
                fields={"amount": "over balance"},
            )
        payment = record_payment(
            customer=customer,
            amount=amount,
            payment_type=method.kind,
            split=split,
            reference=method.display,
            post_date=post_date,
            notes=notes,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            action=Action.SUBMIT,
            outcome=Outcome.PENDING,
            method_id=method.pk,
        )
        payment.gateway_outcome = Outcome.UNKNOWN
        payment.save(update_fields=["gateway_outcome"])
        attempt = attempt_start(payment, GatewayOperation.CHARGE, gateway=gateway)
        payment_method_spend(method=method, actor=actor)  # a card not saved pays once

    result = gateway_send(
        lambda: gateway.charge(
            ChargeRequest(
                idempotency_key=attempt.idempotency_key,
                token=method.token,
                amount=amount,
                description=f"{payment.number} for {customer.number}",
                deadline=attempt.deadline,
            )
        )
    )
    return charge_answer_record(payment.pk, result, actor=actor, gateway=gateway)


def charge_answer_record(
    payment_id: int, result: GatewayResult, *, actor: Actor, gateway: Gateway
) -> Payment:
    """Record what the gateway said of a charge (its first answer, a lookup, a settlement)
    and move the payment accordingly. Safe to call twice with one answer."""
    with transaction.atomic():
        payment = Payment.objects.select_related("customer").get(pk=payment_id)
        customer = lock_customer(payment.customer)
        payment = _lock_payment(payment)
        if payment.status != PaymentStatus.PENDING:
            return payment  # already resolved (by the reconciler, or the first caller)
        attempt = charge_attempt(payment)
        known = payment.gateway_outcome not in ("", Outcome.UNKNOWN)  # an answer came before
        if not known and attempt_never_reached(attempt, result, gateway):
            result = GatewayResult(outcome=Outcome.REFUSED, decline_reason=NEVER_REACHED)
        attempt_record(attempt, result)
        outcome = Outcome(result.outcome)
        if outcome == Outcome.UNKNOWN:
            return payment  # nothing learnt: asked again later
        approved = outcome == Outcome.APPROVED
        voided = approved and result.charge_status == ChargeStatus.VOIDED
        refunded = approved and result.charge_status == ChargeStatus.REFUNDED
        settles = approved and result.settled and not refunded
        changed = outcome != payment.gateway_outcome
        if not (changed or settles or voided or refunded):
            return payment  # nothing new: a repeated answer, another reconcile
        before = {"status": payment.status, "gateway_outcome": payment.gateway_outcome}
        action = Action.RECONCILE if known else Action.CHARGE
        if voided:
            _finish_void(customer, payment, actor, "voided at the gateway")
        elif refunded:
            _finish_refund(customer, payment, actor)
        elif outcome in FAILED_OUTCOMES:
            # After an approval, a decline is the money coming back at settlement.
            action = Action.SETTLE if known else Action.CHARGE
            _fail(customer, payment, actor, action, outcome, result.decline_reason)
        else:
            if changed:
                to = next_status(payment.status, action, outcome)
                transition(payment, to, action, outcome, actor)
            if settles:
                action = Action.SETTLE
                to = next_status(payment.status, action, outcome)
                transition(payment, to, action, outcome, actor)
        payment.gateway_outcome = outcome
        payment.save(update_fields=["status", "gateway_outcome", "failure_reason", "void_reason"])
        refresh_statuses(
            payment.allocations.values_list("invoice_id", flat=True),
            customer_id=payment.customer_id,
        )
        audit_record(
            actor=actor,
            action=f"payment.{action}",
            obj=payment,
            before=before,
            after={
                "status": payment.status,
                "gateway_outcome": payment.gateway_outcome,
                "reason": result.decline_reason,
            },
        )
        return payment


# --- voids and refunds ----------------------------------------------------------------------


def payment_void_at_gateway(
    *, payment: Payment, reason: str = "", actor: Actor, gateway: Gateway | None = None
) -> Payment:
    """Void a pending card or bank payment at the gateway. When the gateway can no longer
    void it (settled, or it refuses), RefundRequired carries the refund offer."""
    gateway = gateway or get_gateway()
    with transaction.atomic():
        lock_customer(payment.customer)
        payment = _lock_payment(payment)
        if payment.status == PaymentStatus.SETTLED:
            raise _refund_offer(payment, "it has settled")
        next_status(payment.status, Action.VOID, Outcome.APPROVED, payment=payment.number)
        charge = _confirmed_charge(payment)
        earlier = attempt_of(payment, GatewayOperation.VOID)
        if earlier is not None and earlier.outcome == Outcome.DECLINED:
            raise _refund_offer(payment, earlier.decline_reason)
        attempt = attempt_start(
            payment, GatewayOperation.VOID, gateway=gateway, amount=payment.amount
        )
    result = gateway_send(
        lambda: gateway.void(
            ActionRequest(
                idempotency_key=attempt.idempotency_key,
                charge_key=charge.idempotency_key,
                deadline=attempt.deadline,
            )
        )
    )
    payment = action_answer_record(attempt.pk, result, actor=actor, reason=reason)
    if result.outcome == Outcome.DECLINED:
        raise _refund_offer(payment, result.decline_reason)
    if result.outcome == Outcome.REFUSED:
        raise RemitError(
            f"The gateway refused the void of {payment.number}: {result.decline_reason}"
        )
    if payment.status != PaymentStatus.VOIDED:
        raise GatewayUnavailable(
            f"The gateway did not confirm the void of {payment.number}. Nothing was lost: "
            "try the void again, it is safe to repeat."
        )
    return payment


def payment_refund(*, payment: Payment, actor: Actor, gateway: Gateway | None = None) -> Payment:
    """Refund the amount charged, through the gateway, exactly once."""
    gateway = gateway or get_gateway()
    with transaction.atomic():
        lock_customer(payment.customer)
        payment = _lock_payment(payment)
        if payment.method_id is None:
            raise RemitError(f"{payment.number} was not paid through the gateway; void it.")
        next_status(payment.status, Action.REFUND, Outcome.APPROVED, payment=payment.number)
        charge = _confirmed_charge(payment)
        void = attempt_of(payment, GatewayOperation.VOID)
        if payment.status == PaymentStatus.PENDING and (
            void is None or void.outcome != Outcome.DECLINED
        ):
            raise RemitError(f"{payment.number} has not settled; void it instead.")
        attempt = attempt_start(
            payment, GatewayOperation.REFUND, gateway=gateway, amount=payment.amount
        )
    result = gateway_send(
        lambda: gateway.refund(
            RefundRequest(
                idempotency_key=attempt.idempotency_key,
                charge_key=charge.idempotency_key,
                amount=payment.amount,
                deadline=attempt.deadline,
            )
        )
    )
    payment = action_answer_record(attempt.pk, result, actor=actor)
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if result.outcome in FAILED_OUTCOMES:
        raise RemitError(
            f"The gateway refused the refund of {payment.number}: {result.decline_reason}"
        )
    raise GatewayUnavailable(
        f"The gateway did not confirm the refund of {payment.number}. Nothing was lost: "
        "try the refund again; the gateway will not refund twice."
    )


def action_answer_record(
    attempt_id: int, result: GatewayResult, *, actor: Actor, reason: str = ""
) -> Payment:
    """Record the gateway's answer to a void or refund, and finish it in the books when
    the gateway did it (or says the charge already stands voided or refunded). Safe to
    call twice with one answer."""
    with transaction.atomic():
        attempt = GatewayAttempt.objects.select_related("payment__customer").get(pk=attempt_id)
        customer = lock_customer(attempt.payment.customer)
        payment = _lock_payment(attempt.payment)
        attempt = GatewayAttempt.objects.get(pk=attempt_id)
        attempt_record(attempt, result)
        done = result.outcome == Outcome.APPROVED
        if attempt.operation == GatewayOperation.VOID:
            done = done or result.charge_status == ChargeStatus.VOIDED
            if done and payment.status == PaymentStatus.PENDING:
                _finish_void(customer, payment, actor, reason)
                payment.save(update_fields=["status", "void_reason"])
        else:
            done = done or result.charge_status == ChargeStatus.REFUNDED
            refundable = (PaymentStatus.SETTLED, PaymentStatus.PENDING)
            if done and payment.status in refundable:
                _finish_refund(customer, payment, actor)
                payment.save(update_fields=["status"])
        return payment


def _fail(
    customer: Customer, payment: Payment, actor: Actor, action: str, outcome: str, why: str
) -> None:
    transition(payment, next_status(payment.status, action, outcome), action, outcome, actor, why)
    payment.failure_reason = why[:300]
    reverse_payment(customer, payment, description=f"{payment.number} failed: {why}")


def _finish_void(customer: Customer, payment: Payment, actor: Actor, reason: str) -> None:
    reopened = reverse_payment(
        customer, payment, description=f"Void of {payment.number} at the gateway"
    )
    transition(
        payment,
        next_status(payment.status, Action.VOID, Outcome.APPROVED),
        Action.VOID,
        Outcome.APPROVED,
        actor,
        reason,
    )
    payment.void_reason = reason[:300]
    audit_record(
        actor=actor,
        action="payment.voided",
        obj=payment,
        after={"status": payment.status, "reason": reason, "reopened": reopened},
    )


def _finish_refund(customer: Customer, payment: Payment, actor: Actor) -> None:
    reopened = reverse_payment(
        customer, payment, description=f"Refund of {payment.number}", refund=True
    )
    transition(
        payment,
        next_status(payment.status, Action.REFUND, Outcome.APPROVED),
        Action.REFUND,
        Outcome.APPROVED,
        actor,
    )
    audit_record(
        actor=actor,
        action="payment.refunded",
        obj=payment,
        after={"status": payment.status, "amount": str(payment.amount), "reopened": reopened},
    )


def _lock_payment(payment: Payment) -> Payment:
    # of=("self",): PostgreSQL will not lock the nullable side of the join to the method.
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("method").get(pk=payment.pk)
    )


def _refund_offer(payment: Payment, why: str) -> RefundRequired:
    method = payment.method.display if payment.method else payment.get_type_display()
    amount = payment.amount.format()
    why = why.rstrip(".")
    why = why[:1].lower() + why[1:]
    return RefundRequired(
        f"The gateway could not void this payment ({why}). Refund {amount} to {method} instead?",
        payment=payment.number,
        amount=amount,
        method=method,
    )


def _confirmed_charge(payment: Payment) -> GatewayAttempt:
    charge = charge_attempt(payment)
    if charge.outcome in ("", Outcome.UNKNOWN):
        raise GatewayUnavailable(
            f"The gateway has not confirmed the charge of {payment.number} yet; "
            "run `remit reconcile` (or wait for the worker) and try again."
        )
    return charge
