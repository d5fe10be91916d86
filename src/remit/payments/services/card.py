"""Card and bank payments through the gateway: the charge and its answers (DESIGN rules 4
and 9).

Every gateway operation follows one pattern, so a crash at any point loses nothing and
charges nothing twice:

1. in one transaction, under the customer lock: check, write the payment (pending) and
   start its attempt (`attempts`): the key, the send's time and deadline, committed
   before anything is sent;
2. outside any transaction: send the request with that key;
3. in a second transaction: record the answer and move the payment through the state
   table. A refusal before sending fails the payment with its sentence. An unknown answer
   (a timeout, a crash before step 3) leaves the payment pending and the attempt
   unfinished: the reconciler finishes it once it is no longer in flight. Nothing is
   retried blindly.

Recording is idempotent: the first process and the reconciler may both record one
answer, and the second changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import AllocationRefused, RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import ChargeRequest, ChargeStatus, Gateway, GatewayResult
from remit.gateways.registry import get_gateway
from remit.payments.allocation import split_payment
from remit.payments.candidates import fixed_amounts, invoice_candidates_load
from remit.payments.models import GatewayOperation, Payment, PaymentMethod
from remit.payments.services.attempts import (
    NEVER_REACHED,
    attempt_never_reached,
    attempt_record,
    attempt_start,
    charge_attempt,
    gateway_send,
)
from remit.payments.services.balances import invoice_statuses_refresh
from remit.payments.services.discount import discounts_record, discounts_void
from remit.payments.services.method import payment_method_spend
from remit.payments.services.recording import payment_amount_check, payment_record
from remit.payments.services.reversal import payment_reverse
from remit.payments.services.transitions import payment_transition
from remit.payments.services.unit_of_work import (
    money_transaction,
    payment_lock,
    request_fingerprint,
    requests_for_fingerprint,
)
from remit.payments.services.voids import payment_finish_refund, payment_finish_void
from remit.payments.states import Action, Outcome, PaymentStatus, past_tense

FAILED_OUTCOMES = (Outcome.DECLINED, Outcome.REFUSED)


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
    discounts: bool = True,
) -> Payment:
    """Charge a saved card or bank account and apply the payment to invoices.

    Inside an invoice's early-payment window the payment earns its discount, unless
    `discounts` is off (a scheduled payment charges what it worked out when claimed).

    The invoices are held (Pending) from the moment the payment is recorded, before the
    gateway is asked, so a second payment cannot reach them while the charge is in flight.
    A decline or a refusal reopens them in the same transaction that records it.
    """
    if method.customer_id != customer.pk or method.removed:
        raise RemitError(
            "That payment method is not on file for this customer.", fields={"method": "unknown"}
        )
    payment_amount_check(customer, amount)
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
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first  # the first request's payment, whatever stage it has reached
        candidates = invoice_candidates_load(
            customer,
            amount.currency,
            invoices,
            lock=True,
            discount_on=post_date if discounts else None,
        )
        split = split_payment(amount, candidates, fixed_amounts(invoices))
        if split.credit.is_positive():
            # A card is charged for what is due, never more: credit from a charge that
            # later fails could already have been spent.
            raise AllocationRefused(
                f"A {method.get_kind_display().lower()} payment cannot be more than the "
                f"balance due ({split.applied.format()}).",
                fields={"amount": "over balance"},
            )
        payment = payment_record(
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
        discounts_record(
            customer,
            payment,
            split,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            post_date=post_date,
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
        ),
        operation="charge",
    )
    return charge_answer_record(payment.pk, result, actor=actor, gateway=gateway)


def charge_answer_record(
    payment_id: int, result: GatewayResult, *, actor: Actor, gateway: Gateway
) -> Payment:
    """Record what the gateway said of a charge (its first answer, a lookup, a settlement)
    and move the payment accordingly. Safe to call twice with one answer."""
    payment = Payment.objects.select_related("customer").get(pk=payment_id)
    with money_transaction(payment.customer) as work:
        payment = payment_lock(payment)
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
        payment.gateway_outcome = outcome
        also = ("gateway_outcome",)
        action = Action.RECONCILE if known else Action.CHARGE
        if voided:
            payment_finish_void(work.customer, payment, actor, "voided at the gateway", also)
        elif refunded:
            payment_finish_refund(work.customer, payment, actor, also)
        elif outcome in FAILED_OUTCOMES:
            # After an approval, a decline is the money coming back at settlement.
            action = Action.SETTLE if known else Action.CHARGE
            payment.failure_reason = result.decline_reason[:300]
            failed = f"{payment.number} failed: {result.decline_reason}"
            payment_reverse(work.customer, payment, description=failed)
            discounts_void(work.customer, payment, actor=actor, description=failed)
            payment_transition(
                payment,
                action=action,
                outcome=outcome,
                actor=actor,
                reason=result.decline_reason,
                also=(*also, "failure_reason"),
            )
        else:
            if changed:
                payment_transition(payment, action=action, outcome=outcome, actor=actor, also=also)
            if settles:
                action = Action.SETTLE
                payment_transition(payment, action=action, outcome=outcome, actor=actor, also=also)
        invoice_statuses_refresh(
            payment.allocations.values_list("invoice_id", flat=True),
            customer_id=payment.customer_id,
        )
        audit_record(
            actor=actor,
            action=f"payment.{past_tense(action)}",
            obj=payment,
            before=before,
            after={
                "status": payment.status,
                "gateway_outcome": payment.gateway_outcome,
                "reason": result.decline_reason,
            },
        )
        return payment
