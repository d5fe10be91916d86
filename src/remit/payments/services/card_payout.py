"""Credit paid back to the card it came from (issue 14): `remit payout --type card`.

Customer credit made by a card or bank payment (its overpayment, or what was unapplied of
it) goes back as a refund of that payment at the gateway, exactly once: the pay-out (a
payment of type `payout`, reason `card`, reference the payment refunded) and the refund
attempt (a partial refund of that payment, with a key of its own) are written in one
transaction before the request is sent; the answer finishes it (`card_payout_books`); a
lost answer is resumed by `remit reconcile`, which resends the same key. The payment must
be settled; at most the credit it created, less what was paid back from it already, goes
back. Journal: debit customer credit, credit Refunds (as a refund does).
"""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import GatewayUnavailable, NotFound, RemitError
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import Gateway
from remit.gateways.registry import get_gateway
from remit.payments.allocation import Split
from remit.payments.models import (
    CARD_PAYOUT,
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentType,
)
from remit.payments.services.attempts import action_send, attempt_start, charge_attempt
from remit.payments.services.card_payout_books import PAYOUT_PLAN
from remit.payments.services.credit_ledger import credit_created
from remit.payments.services.partial_refund import refund_unfinished, refund_unfinished_refusal
from remit.payments.services.payout import payout_amount_check
from remit.payments.services.recording import payment_record
from remit.payments.services.unit_of_work import (
    money_transaction,
    payment_lock,
    request_fingerprint,
)
from remit.payments.services.voids import FAILED_OUTCOMES, action_answer_record
from remit.payments.states import Action, Outcome, PaymentStatus, next_status

GATEWAY_TYPES = (PaymentType.CARD, PaymentType.BANK)


def card_payout_room(payment: Payment) -> Money:
    """What of the credit `payment` created may still go back to its card."""
    paid = Payment.objects.filter(
        customer_id=payment.customer_id,
        type=PaymentType.PAYOUT,
        reason=CARD_PAYOUT,
        reference=payment.number,
        status=PaymentStatus.SETTLED,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return credit_created(payment) - Money.from_minor(paid or 0, payment.currency)


def card_payout_sources(*, customer: Customer, currency: str) -> list[tuple[Payment, Money]]:
    """The settled card and bank payments whose credit may go back to the card, newest
    first, each with what may still go back (shown by the back office)."""
    payments = Payment.objects.filter(
        customer=customer,
        type__in=GATEWAY_TYPES,
        status=PaymentStatus.SETTLED,
        currency=currency,
        method__isnull=False,
    ).order_by("-id")
    rows = [(p, card_payout_room(p)) for p in payments]
    return [(p, room) for p, room in rows if room.is_positive()]


def card_payout_record(
    *,
    customer: Customer,
    amount: Money,
    idempotency_key: str,
    actor: Actor,
    source: str,
    payment_number: str = "",
    notes: str = "",
    gateway: Gateway | None = None,
) -> Payment:
    """Pay `amount` of credit back to the card of `payment_number` (or of the newest card
    or bank payment whose credit covers it); the same key returns the first pay-out."""
    gateway = gateway or get_gateway()
    fingerprint = request_fingerprint(
        "card_payout", customer.number, amount, payment_number, notes, source
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        payout_amount_check(customer, amount)
        refunded = payment_lock(_source(customer, amount, payment_number))
        _check(refunded, amount)
        charge = charge_attempt(refunded)
        payout = payment_record(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.PAYOUT,
            split=Split(lines=(), credit=Money.zero(amount.currency), policy="payout"),
            reference=refunded.number,
            post_date=timezone.localdate(),
            notes=notes,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            reason=CARD_PAYOUT,
        )
        sequence = (
            1 + refunded.attempts.filter(operation=GatewayOperation.REFUND, sequence__gt=0).count()
        )
        attempt = attempt_start(
            refunded,
            GatewayOperation.REFUND,
            gateway=gateway,
            amount=amount,
            sequence=sequence,
            plan={PAYOUT_PLAN: payout.number},
        )
    result = action_send(gateway, attempt, charge.idempotency_key)
    action_answer_record(attempt.pk, result, actor=actor)
    payout.refresh_from_db()
    if result.outcome in FAILED_OUTCOMES:
        raise RemitError(
            f"The gateway refused the refund to the card of {refunded.number}: "
            f"{result.decline_reason or 'no reason given'}. The credit stays."
        )
    if GatewayAttempt.objects.get(pk=attempt.pk).outcome != Outcome.APPROVED:
        raise GatewayUnavailable(
            f"The gateway did not confirm the refund to the card of {refunded.number}. "
            f"{payout.number} holds the credit until `remit reconcile` finishes it; "
            "the gateway will not refund twice."
        )
    return payout


def _source(customer: Customer, amount: Money, number: str) -> Payment:
    if number:
        found = Payment.objects.filter(customer=customer, number=number).first()
        if found is None:
            raise NotFound(
                f"{customer.number} has no payment {number}.", fields={"payment": number}
            )
        return found
    for payment, room in card_payout_sources(customer=customer, currency=amount.currency):
        if room >= amount:
            return payment
    raise RemitError(
        f"No card or bank payment of {customer.number} made {amount.format()} of credit "
        "that can go back to its card; name the payment, or pay out by check or transfer.",
        fields={"payment": "none"},
    )


def _check(payment: Payment, amount: Money) -> None:
    if payment.type not in GATEWAY_TYPES or payment.method_id is None:
        raise RemitError(
            f"{payment.number} was not paid through the gateway; pay out by check or transfer.",
            fields={"payment": "not a card payment"},
        )
    if payment.status != PaymentStatus.SETTLED:
        raise RemitError(
            f"{payment.number} has not settled; its credit can go back to the card once it has.",
            fields={"payment": "not settled"},
        )
    next_status(payment.status, Action.PARTIAL_REFUND, Outcome.APPROVED, payment=payment.number)
    if refund_unfinished(payment):
        raise refund_unfinished_refusal(payment)
    if amount.currency != payment.currency:
        raise RemitError(
            f"{payment.number} is in {payment.currency}, not {amount.currency}.",
            fields={"currency": "mismatch"},
        )
    room = card_payout_room(payment)
    if amount > room:
        raise RemitError(
            f"{payment.number} made {room.format()} of credit that can go back to its card; "
            f"{amount.format()} cannot.",
            fields={"amount": "over the payment's credit"},
        )
