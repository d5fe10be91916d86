"""The only writers of payments, allocations and customer credit.

Each service is one transaction. It locks the customer row first, then the invoices it
touches in id order, and re-checks balances under those locks, so two clerks paying the
same invoice at once cannot both apply to it (DESIGN rule 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError, VoidRefused
from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments import gateway_services
from remit.payments.allocation import split_payment
from remit.payments.bookkeeping import (
    check_money,
    credit_created,
    credit_used_message,
    fixed_amounts,
    lock_customer,
    record_payment,
    replay,
    request_fingerprint,
    requests_for_fingerprint,
    reverse_payment,
    transition,
    type_refusal,
)
from remit.payments.candidates import InvoiceRequest, load_candidates
from remit.payments.models import OFFLINE_TYPES, Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.states import Action, Outcome, next_status

# --- posting money ------------------------------------------------------------------


def payment_post(
    *,
    customer: Customer,
    amount: Money,
    payment_type: str,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    reference: str = "",
    post_date: date | None = None,
    notes: str = "",
) -> Payment:
    """Post money received (check, money order, cash, PayPal, other).

    With no `invoices`, the amount is spread over the customer's open invoices oldest
    first; with invoices, their fixed amounts apply first and the rest spreads over the
    named ones. Whatever is left becomes customer credit with a note of its origin.
    """
    if payment_type not in OFFLINE_TYPES:
        raise RemitError(type_refusal(payment_type), fields={"type": "unsupported"})
    check_money(customer, amount)
    post_date = post_date or timezone.localdate()
    fingerprint = request_fingerprint(
        "payment_post",
        customer.number,
        amount,
        payment_type,
        reference.strip(),
        post_date.isoformat(),
        notes,
        source,
        requests_for_fingerprint(invoices),
    )
    with transaction.atomic():
        customer = lock_customer(customer)
        first = replay(customer, idempotency_key, fingerprint)
        if first:
            return first
        candidates = load_candidates(customer, amount.currency, invoices, lock=True)
        split = split_payment(amount, candidates, fixed_amounts(invoices))
        return record_payment(
            customer=customer,
            amount=amount,
            payment_type=payment_type,
            split=split,
            reference=reference.strip(),
            post_date=post_date,
            notes=notes,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
        )


def credit_apply(
    *,
    customer: Customer,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    currency: str | None = None,
    post_date: date | None = None,
) -> Payment:
    """Apply the customer's credit to open invoices: oldest first, or to those named.

    It is recorded as a payment of type "credit", so it can be voided like any other.
    """
    currency = (currency or customer.currency).upper()
    fingerprint = request_fingerprint(
        "credit_apply", customer.number, currency, source, requests_for_fingerprint(invoices)
    )
    with transaction.atomic():
        customer = lock_customer(customer)
        first = replay(customer, idempotency_key, fingerprint)
        if first:
            return first
        available = credit_balance(customer=customer, currency=currency)
        if not available.is_positive():
            raise RemitError(f"{customer.number} has no {currency} credit to apply.")
        candidates = load_candidates(customer, currency, invoices, lock=True)
        fixed = fixed_amounts(invoices)
        fixed_total = sum((m for m in fixed.values()), Money.zero(currency))
        if fixed_total > available:
            raise RemitError(
                f"{customer.number} has {available.format()} of credit; "
                f"{fixed_total.format()} cannot be applied."
            )
        spreadable = sum(
            (i.balance for i in candidates if i.number not in fixed), Money.zero(currency)
        )
        amount = fixed_total + (available - fixed_total).min(spreadable)
        if not amount.is_positive():
            raise RemitError(f"{customer.number} has no open invoices to apply credit to.")
        split = split_payment(amount, candidates, fixed)
        assert split.credit.is_zero()  # credit is only ever applied up to what is due
        return record_payment(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.CREDIT,
            split=split,
            reference="",
            post_date=post_date or timezone.localdate(),
            notes="",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
        )


# --- voiding ------------------------------------------------------------------------


def payment_void(*, payment: Payment, reason: str = "", actor: Actor) -> Payment:
    """Void a payment: keep it and its allocations on record, marked reversed; reopen its
    invoices; take back the credit it created (refused if that credit was already used).

    A card or bank payment is voided at the gateway first; when the gateway can no longer
    void it, RefundRequired offers a refund instead.
    """
    if payment.type in (PaymentType.CARD, PaymentType.BANK):
        return gateway_services.payment_void_at_gateway(payment=payment, reason=reason, actor=actor)
    with transaction.atomic():
        customer = lock_customer(payment.customer)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        new_status = next_status(
            payment.status, Action.VOID, Outcome.APPROVED, payment=payment.number
        )
        created = credit_created(payment)
        if created.is_positive():
            available = credit_balance(customer=customer, currency=payment.currency)
            if available < created:
                raise VoidRefused(credit_used_message(payment, created))
        reopened = reverse_payment(
            customer,
            payment,
            description=f"Void of {payment.number}" + (f": {reason}" if reason else ""),
        )
        before = {"status": payment.status}
        transition(payment, new_status, Action.VOID, Outcome.APPROVED, actor, reason)
        payment.void_reason = reason[:300]
        payment.save(update_fields=["status", "void_reason"])
        audit_record(
            actor=actor,
            action="payment.voided",
            obj=payment,
            before=before,
            after={"status": payment.status, "reason": reason, "reopened": reopened},
        )
        return payment
