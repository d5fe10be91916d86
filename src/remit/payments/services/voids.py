"""Voids and refunds (DESIGN rule 8).

A void keeps the payment and its allocations on record, reversed; reopens its invoices;
takes back the credit it created (refused, naming the invoices, if that credit was used).
Offline money is voided in the books. A card or bank payment is voided at the gateway
first; when the gateway can no longer void it (settled, or a card that refuses voids),
`RefundRequired` carries the offer of a refund, which goes through the gateway exactly
once. Both follow the attempt pattern of `card`: written down, sent, recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from remit.core.audit import Actor, audit_record
from remit.core.errors import (
    AllocationRefused,
    GatewayUnavailable,
    RefundRequired,
    RemitError,
    VoidRefused,
)
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money, currency_mismatch
from remit.customers.models import Customer
from remit.gateways.protocol import (
    ChargeStatus,
    Gateway,
    GatewayResult,
)
from remit.gateways.registry import get_gateway
from remit.payments.models import GatewayAttempt, GatewayOperation, Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.services.attempts import (
    action_send,
    attempt_of,
    attempt_record,
    attempt_start,
    charge_attempt,
)
from remit.payments.services.card_payout_books import (
    card_payout,
    card_payout_answer,
    card_payout_attempt,
    paid_back_to_card,
)
from remit.payments.services.checkout_keys import credit_key_of_card
from remit.payments.services.credit_ledger import credit_created, credit_used_refusal
from remit.payments.services.discount import discounts_void
from remit.payments.services.partial_refund import (
    partial_refund_asked,
    partial_refund_finish,
    partial_refund_start,
    partial_refund_unfinished,
    refund_unfinished_refusal,
    refunded_partly,
)
from remit.payments.services.reversal import payment_reverse
from remit.payments.services.transitions import payment_transition
from remit.payments.services.unit_of_work import money_transaction, payment_lock
from remit.payments.services.void_steps import void_in_the_books
from remit.payments.states import Action, Outcome, PaymentStatus, next_status

GATEWAY_TYPES = (PaymentType.CARD, PaymentType.BANK)
FAILED_OUTCOMES = (Outcome.DECLINED, Outcome.REFUSED)


def payment_void(
    *, payment: Payment, reason: str = "", actor: Actor, gateway: Gateway | None = None
) -> Payment:
    """Void a payment: in the books for offline money and credit, at the gateway for a
    card or bank payment (RefundRequired when the gateway can no longer void it)."""
    if payment.type in GATEWAY_TYPES:
        return _void_at_gateway(payment, reason, actor, gateway or get_gateway())
    with money_transaction(payment.customer) as work:
        payment = payment_lock(payment)
        next_status(payment.status, Action.VOID, Outcome.APPROVED, payment=payment.number)
        if card_payout(payment):
            raise VoidRefused(
                f"{payment.number} paid credit back to a card through the gateway; "
                "it cannot be voided."
            )
        created = credit_created(payment)
        if created.is_positive():
            available = credit_balance(customer=work.customer, currency=payment.currency)
            if available < created:
                raise VoidRefused(credit_used_refusal(payment, created))
        description = f"Void of {payment.number}" + (f": {reason}" if reason else "")
        void_in_the_books(work.customer, payment, actor, reason, description)
        return payment


def payment_refund(
    *,
    payment: Payment,
    actor: Actor,
    gateway: Gateway | None = None,
    amount: Money | None = None,
    invoices: Sequence[InvoiceRequest] | None = None,
    idempotency_key: str = "",
) -> Payment:
    """Refund through the gateway, exactly once: all that is left of the amount charged,
    or (`amount`, `invoices`) part of a settled payment (`partial_refund`), reopening the
    invoices named or the newest first. A partial refund asked again with its
    `idempotency_key` (a form sent twice) refunds nothing more."""
    gateway = gateway or get_gateway()
    with money_transaction(payment.customer):
        payment = payment_lock(payment)
        if partial_refund_asked(payment, idempotency_key):
            return payment
        if payment.method_id is None:
            raise RemitError(f"{payment.number} was not paid through the gateway; void it.")
        left = payment.amount - refunded_partly(payment)
        if amount is not None and amount.currency != payment.currency:
            raise currency_mismatch(payment.number, billed=payment.currency, given=amount.currency)
        if amount is not None and amount > left:
            raise AllocationRefused(
                f"{left.format()} of {payment.number} is left to refund; {amount.format()} "
                "cannot be refunded.",
                fields={"amount": "over what is left"},
            )
        partial = invoices is not None or (amount is not None and amount < left)
        # Credit of it paid back to the card: what is left is refunded as a partial refund
        # of the invoices it still pays (the books cannot reverse the whole payment).
        partial = partial or paid_back_to_card(payment)
        if partial:
            charge = _confirmed_charge(payment)
            attempt = partial_refund_start(
                payment, amount or left, invoices, gateway=gateway, actor=actor, key=idempotency_key
            )
        else:
            next_status(payment.status, Action.REFUND, Outcome.APPROVED, payment=payment.number)
            charge = _confirmed_charge(payment)
            void = attempt_of(payment, GatewayOperation.VOID)
            if payment.status == PaymentStatus.PENDING and (
                void is None or void.outcome != Outcome.DECLINED
            ):
                raise RemitError(f"{payment.number} has not settled; void it instead.")
            if partial_refund_unfinished(payment):
                raise refund_unfinished_refusal(payment)
            attempt = attempt_start(payment, GatewayOperation.REFUND, gateway=gateway, amount=left)
    result = action_send(gateway, attempt, charge.idempotency_key)
    payment = action_answer_record(attempt.pk, result, actor=actor)
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if partial and GatewayAttempt.objects.get(pk=attempt.pk).outcome == Outcome.APPROVED:
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
    attempt = GatewayAttempt.objects.select_related("payment__customer").get(pk=attempt_id)
    with money_transaction(attempt.payment.customer) as work:
        payment = payment_lock(attempt.payment)
        attempt = GatewayAttempt.objects.get(pk=attempt_id)
        finished_before = attempt.outcome == Outcome.APPROVED
        attempt_record(attempt, result)
        done = result.outcome == Outcome.APPROVED
        if card_payout_attempt(attempt):  # credit paid back to the card
            card_payout_answer(work.customer, payment, attempt, result, actor, finished_before)
        elif attempt.sequence:  # a partial refund: finished in the books once, when approved
            if done and not finished_before:
                partial_refund_finish(work.customer, payment, attempt, actor)
        elif attempt.operation == GatewayOperation.VOID:
            done = done or result.charge_status == ChargeStatus.VOIDED
            if done and payment.status == PaymentStatus.PENDING:
                payment_finish_void(work.customer, payment, actor, reason)
        else:
            done = done or result.charge_status == ChargeStatus.REFUNDED
            refundable = (PaymentStatus.SETTLED, PaymentStatus.PENDING)
            if done and payment.status in refundable:
                payment_finish_refund(work.customer, payment, actor)
        return payment


def payment_finish_void(
    customer: Customer, payment: Payment, actor: Actor, reason: str, also: Sequence[str] = ()
) -> None:
    """The books' side of a void the gateway made."""
    description = f"Void of {payment.number} at the gateway"
    void_in_the_books(customer, payment, actor, reason, description, also)


def payment_finish_refund(
    customer: Customer, payment: Payment, actor: Actor, also: Sequence[str] = ()
) -> None:
    """The books' side of a refund the gateway made."""
    reopened = payment_reverse(
        customer, payment, description=f"Refund of {payment.number}", refund=True
    )
    discounts_void(customer, payment, actor=actor, description=f"Refund of {payment.number}")
    payment_transition(
        payment, action=Action.REFUND, outcome=Outcome.APPROVED, actor=actor, also=also
    )
    audit_record(
        actor=actor,
        action="payment.refunded",
        obj=payment,
        after={"status": payment.status, "amount": str(payment.amount), "reopened": reopened},
    )
    _checkout_credit_back(customer, payment, actor)


def _checkout_credit_back(customer: Customer, payment: Payment, actor: Actor) -> None:
    """A portal checkout that used credit first and a card for the rest, refunded in full:
    only the card part went back through the gateway; the credit application is voided in
    the same transaction, so the credit comes back as credit (Invoice Ninja's split
    refund). Left as it is if the credit it would take back was used since."""
    key = credit_key_of_card(payment.idempotency_key)
    if key is None:
        return
    credit = (
        Payment.objects.select_for_update()
        .filter(
            customer=customer,
            idempotency_key=key,
            type=PaymentType.CREDIT,
            status=PaymentStatus.SETTLED,
        )
        .first()
    )
    if credit is None:
        return
    created = credit_created(credit)
    if (
        created.is_positive()
        and credit_balance(customer=customer, currency=credit.currency) < created
    ):
        return
    reason = f"{payment.number} was refunded in full: the credit used with it is given back"
    void_in_the_books(customer, credit, actor, reason, f"Void of {credit.number}: {reason}")


def _void_at_gateway(payment: Payment, reason: str, actor: Actor, gateway: Gateway) -> Payment:
    with money_transaction(payment.customer):
        payment = payment_lock(payment)
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
    result = action_send(gateway, attempt, charge.idempotency_key)
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
