"""Early-payment discounts booked with the payment that earns them (issue 14).

Each discount is a write-off document (a payment of type `write_off`, reason `discount`,
journal: debit `write_off_discount`, credit receivables) whose reference is the payment
and whose `discount_of` points at it: written in the payment's own transaction, right
after it, and voided with it (`voids`), so the invoice reopens in full.
"""

from __future__ import annotations

import hashlib
from datetime import date

from remit.core.audit import Actor, audit_record
from remit.customers.models import Customer
from remit.payments.allocation import Split, split_payment
from remit.payments.models import Payment, PaymentType, WriteOffReason
from remit.payments.services.recording import payment_record
from remit.payments.services.reversal import payment_reverse
from remit.payments.services.transitions import payment_transition
from remit.payments.states import Action, Outcome, PaymentStatus


def discounts_record(
    customer: Customer,
    payment: Payment,
    split: Split,
    *,
    fingerprint: str,
    actor: Actor,
    source: str,
    post_date: date,
) -> list[Payment]:
    """Book the discount of every line of `split` that earned one, in the caller's money
    transaction (customer and invoices locked)."""
    made = []
    for line in split.discounts:
        assert line.discount is not None
        left = line.invoice.balance - line.amount
        invoice = line.invoice._replace(balance=left, discount=None, partly_paid=True)
        made.append(
            payment_record(
                customer=customer,
                amount=line.discount,
                payment_type=PaymentType.WRITE_OFF,
                split=split_payment(line.discount, [invoice], {invoice.number: line.discount}),
                reference=payment.number,
                post_date=post_date,
                notes=f"Early-payment discount earned by {payment.number}",
                idempotency_key=discount_key(payment.idempotency_key, invoice.number),
                fingerprint=fingerprint,
                actor=actor,
                source=source,
                reason=WriteOffReason.DISCOUNT,
                discount_of=payment,
            )
        )
    return made


def discount_key(key: str, invoice: str) -> str:
    """The key of the discount a payment of `key` earns on `invoice`: derived from it, so
    a repeated post books none twice."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"discount:{digest}:{invoice}"[:120]


def discounts_void(customer: Customer, payment: Payment, *, actor: Actor, description: str) -> None:
    """Void the live discounts `payment` earned, after the payment itself is undone (a
    void, a refund, a decline): their invoices reopen in full. In the caller's transaction."""
    for discount in payment.discounts.exclude(status=PaymentStatus.VOIDED).order_by("id"):
        before = {"status": discount.status}
        reopened = payment_reverse(customer, discount, description=description)
        discount.void_reason = description[:300]
        payment_transition(
            discount,
            action=Action.VOID,
            outcome=Outcome.APPROVED,
            actor=actor,
            reason=description,
            also=("void_reason",),
        )
        audit_record(
            actor=actor,
            action="payment.voided",
            obj=discount,
            before=before,
            after={"status": discount.status, "reason": description, "reopened": reopened},
        )
