"""Card and bank payments through the gateway (DESIGN rules 4, 8, 9).

Every gateway call follows one pattern, so a crash at any point loses nothing and
charges nothing twice:

1. in one transaction, under the customer lock: check, write the payment (pending) and a
   GatewayAttempt row with a key derived from the payment;
2. outside any transaction: call the gateway with that key;
3. in a second transaction: record the answer and move the payment through the state
   table. An unknown answer (a timeout, a crash before step 3) leaves the payment
   pending; `payments_reconcile` asks the gateway by key. Nothing is retried blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import (
    AllocationRefused,
    GatewayUnavailable,
    RefundRequired,
    RemitError,
    VoidRefused,
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
    A decline reopens them in the same transaction that records it.
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
        attempt = _attempt(payment, GatewayOperation.CHARGE)
        payment_method_spend(method=method, actor=actor)  # a card not saved pays once

    gateway = gateway or get_gateway()
    result = _call(
        lambda: gateway.charge(
            ChargeRequest(
                idempotency_key=attempt.idempotency_key,
                token=method.token,
                amount=amount,
                description=f"{payment.number} for {customer.number}",
            )
        )
    )
    return _apply_charge_answer(payment.pk, result, actor, Action.CHARGE)


# --- settlement and reconciliation ----------------------------------------------------------


def payments_settle(*, actor: Actor, gateway: Gateway | None = None) -> dict[str, int]:
    """The daily cut-off: the sandbox settles its captured charges, then every pending
    payment is brought up to date with the gateway."""
    gateway = gateway or get_gateway()
    settle_all = getattr(gateway, "settle_all", None)
    if settle_all is not None:
        settle_all()
    return payments_reconcile(actor=actor, gateway=gateway)


def payments_reconcile(*, actor: Actor, gateway: Gateway | None = None) -> dict[str, int]:
    """Ask the gateway about every pending card and bank payment, by its charge key, and
    move each to what the gateway says: settled, failed, voided, refunded or still pending."""
    gateway = gateway or get_gateway()
    counts = {"checked": 0, "settled": 0, "failed": 0, "pending": 0, "unknown": 0}
    pending = Payment.objects.filter(
        status=PaymentStatus.PENDING, attempts__operation=GatewayOperation.CHARGE
    ).values_list("pk", "attempts__idempotency_key")
    for payment_id, charge_key in list(pending):
        counts["checked"] += 1
        result = _call(lambda key=charge_key: gateway.lookup(key))
        payment = _apply_charge_answer(payment_id, result, actor, Action.RECONCILE)
        if payment.status == PaymentStatus.PENDING:
            counts["unknown" if payment.gateway_outcome == Outcome.UNKNOWN else "pending"] += 1
        else:
            counts["settled" if payment.status == PaymentStatus.SETTLED else "failed"] += 1
    return counts


def payment_sync(*, charge_key: str, actor: Actor, gateway: Gateway | None = None) -> Payment:
    """Bring one payment up to date with the gateway (a webhook said something changed)."""
    attempt = GatewayAttempt.objects.get(
        idempotency_key=charge_key, operation=GatewayOperation.CHARGE
    )
    gateway = gateway or get_gateway()
    result = _call(lambda: gateway.lookup(charge_key))
    return _apply_charge_answer(attempt.payment_id, result, actor, Action.RECONCILE)


def _apply_charge_answer(
    payment_id: int, result: GatewayResult, actor: Actor, action: Action
) -> Payment:
    """Record what the gateway said of a charge and move the payment accordingly."""
    with transaction.atomic():
        payment = Payment.objects.select_related("customer").get(pk=payment_id)
        customer = lock_customer(payment.customer)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.PENDING:
            return payment  # already resolved (by the reconciler, or the first caller)
        attempt = payment.attempts.get(operation=GatewayOperation.CHARGE)
        _complete(attempt, result)
        before = {"status": payment.status, "gateway_outcome": payment.gateway_outcome}
        outcome = Outcome(result.outcome)
        if action == Action.RECONCILE and payment.gateway_outcome == Outcome.UNKNOWN:
            action = Action.CHARGE  # the first answer to the charge, found by lookup
        if outcome == Outcome.APPROVED and result.charge_status == ChargeStatus.VOIDED:
            _finish_void(customer, payment, actor, "voided at the gateway")
        elif outcome == Outcome.APPROVED and result.charge_status == ChargeStatus.REFUNDED:
            _finish_refund(customer, payment, actor)
        elif outcome == Outcome.DECLINED:
            next_action = Action.SETTLE if payment.gateway_outcome == Outcome.APPROVED else action
            transition(
                payment,
                next_status(payment.status, next_action, outcome),
                next_action,
                outcome,
                actor,
                result.decline_reason,
            )
            payment.failure_reason = result.decline_reason[:300]
            reverse_payment(
                customer, payment, description=f"{payment.number} failed: {result.decline_reason}"
            )
        else:
            transition(
                payment, next_status(payment.status, action, outcome), action, outcome, actor
            )
            if result.settled and outcome == Outcome.APPROVED:
                transition(
                    payment,
                    next_status(payment.status, Action.SETTLE, outcome),
                    Action.SETTLE,
                    outcome,
                    actor,
                )
        if outcome != Outcome.UNKNOWN:
            payment.gateway_outcome = outcome
        payment.save(update_fields=["status", "gateway_outcome", "failure_reason"])
        refresh_statuses(
            payment.allocations.values_list("invoice_id", flat=True),
            customer_id=payment.customer_id,
        )
        if before["status"] != payment.status or before["gateway_outcome"] != outcome:
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
    with transaction.atomic():
        lock_customer(payment.customer)
        payment = _lock_payment(payment)
        if payment.status == PaymentStatus.SETTLED:
            raise _refund_offer(payment, "it has settled")
        next_status(payment.status, Action.VOID, Outcome.APPROVED, payment=payment.number)
        charge = _confirmed_charge(payment)
        attempt = _attempt(payment, GatewayOperation.VOID, amount=payment.amount)
        if attempt.outcome == Outcome.DECLINED:
            raise _refund_offer(payment, attempt.decline_reason)

    gateway = gateway or get_gateway()
    result = _call(
        lambda: gateway.void(
            ActionRequest(
                idempotency_key=attempt.idempotency_key, charge_key=charge.idempotency_key
            )
        )
    )
    with transaction.atomic():
        customer = lock_customer(payment.customer)
        payment = _lock_payment(payment)
        _complete(GatewayAttempt.objects.get(pk=attempt.pk), result)
        if result.outcome == Outcome.APPROVED and payment.status == PaymentStatus.PENDING:
            _finish_void(customer, payment, actor, reason)
            payment.save(update_fields=["status", "void_reason"])
    if result.outcome == Outcome.DECLINED:
        raise _refund_offer(payment, result.decline_reason)
    if result.outcome != Outcome.APPROVED:
        raise GatewayUnavailable(
            f"The gateway did not confirm the void of {payment.number}. Nothing was lost: "
            "try the void again, it is safe to repeat."
        )
    return payment


def payment_refund(*, payment: Payment, actor: Actor, gateway: Gateway | None = None) -> Payment:
    """Refund the amount charged, through the gateway, exactly once."""
    with transaction.atomic():
        lock_customer(payment.customer)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.method_id is None:
            raise RemitError(f"{payment.number} was not paid through the gateway; void it.")
        next_status(payment.status, Action.REFUND, Outcome.APPROVED, payment=payment.number)
        charge = _confirmed_charge(payment)
        if (
            payment.status == PaymentStatus.PENDING
            and not payment.attempts.filter(
                operation=GatewayOperation.VOID, outcome=Outcome.DECLINED
            ).exists()
        ):
            raise RemitError(f"{payment.number} has not settled; void it instead.")
        attempt = _attempt(payment, GatewayOperation.REFUND, amount=payment.amount)

    gateway = gateway or get_gateway()
    result = _call(
        lambda: gateway.refund(
            RefundRequest(
                idempotency_key=attempt.idempotency_key,
                charge_key=charge.idempotency_key,
                amount=payment.amount,
            )
        )
    )
    with transaction.atomic():
        customer = lock_customer(payment.customer)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        _complete(GatewayAttempt.objects.get(pk=attempt.pk), result)
        if result.outcome == Outcome.APPROVED and payment.status != PaymentStatus.REFUNDED:
            _finish_refund(customer, payment, actor)
            payment.save(update_fields=["status"])
    if result.outcome == Outcome.DECLINED:
        raise RemitError(
            f"The gateway refused the refund of {payment.number}: {result.decline_reason}"
        )
    if result.outcome != Outcome.APPROVED:
        raise GatewayUnavailable(
            f"The gateway did not confirm the refund of {payment.number}. Nothing was lost: "
            "try the refund again; the gateway will not refund twice."
        )
    return payment


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


# --- attempts -----------------------------------------------------------------------------


def _attempt(
    payment: Payment, operation: GatewayOperation, amount: Money | None = None
) -> GatewayAttempt:
    """The attempt row for `operation`, written before the call. Its key is derived from
    the payment, so a repeat after a crash sends the same key. One in flight at a time."""
    attempt, created = GatewayAttempt.objects.get_or_create(
        payment=payment,
        operation=operation,
        defaults={
            "idempotency_key": f"remit-{payment.number}-{operation}",
            "amount_minor": (amount or payment.amount).minor,
            "currency": payment.currency,
        },
    )
    if not created and attempt.outcome == "":
        raise VoidRefused(
            f"A {operation} of {payment.number} is already in progress; wait for it to finish."
        )
    return attempt


def _confirmed_charge(payment: Payment) -> GatewayAttempt:
    charge = payment.attempts.get(operation=GatewayOperation.CHARGE)
    if charge.outcome in ("", Outcome.UNKNOWN):
        raise GatewayUnavailable(
            f"The gateway has not confirmed the charge of {payment.number} yet; "
            "run `remit reconcile` (or wait for the worker) and try again."
        )
    return charge


def _complete(attempt: GatewayAttempt, result: GatewayResult) -> None:
    if (
        attempt.outcome in (Outcome.APPROVED, Outcome.DECLINED)
        and result.outcome == attempt.outcome
    ):
        return
    attempt.outcome = result.outcome
    attempt.gateway_reference = result.gateway_reference or attempt.gateway_reference
    attempt.decline_reason = result.decline_reason[:300]
    attempt.completed_at = timezone.now()
    attempt.save(update_fields=["outcome", "gateway_reference", "decline_reason", "completed_at"])


def _call(send: Callable[[], GatewayResult]) -> GatewayResult:
    """Call the gateway; anything unexpected is an unknown outcome, to be reconciled."""
    try:
        return send()
    except Exception:  # the attempt row stays; the reconciler or a repeat resolves it
        log.exception("gateway call failed; the outcome is unknown and will be reconciled")
        return GatewayResult(outcome=Outcome.UNKNOWN)
