"""`payment_record`: a payment written with everything that goes with it, in the caller's
transaction (DESIGN rules 1, 6, 10, 12): the payment in its first state, its allocations,
the invoices' balances, the credit it creates, its journal entry, and its audit event.
"""

from __future__ import annotations

from datetime import date

from remit.core.audit import Actor, audit_record
from remit.core.errors import InvalidAmount
from remit.core.money import Money
from remit.core.numbering import next_number
from remit.core.repository import rows_insert
from remit.customers.models import Customer
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.allocation import Split
from remit.payments.models import (
    CARD_PAYOUT,
    OFFLINE_TYPES,
    Allocation,
    CreditKind,
    Payment,
    PaymentType,
    WriteOffReason,
)
from remit.payments.services.balances import invoice_balances_set
from remit.payments.services.credit_ledger import credit_entry_add, credit_note, invoice_names
from remit.payments.services.transitions import payment_transition
from remit.payments.states import Action, Outcome, PaymentStatus


def payment_record(
    *,
    customer: Customer,
    amount: Money,
    payment_type: str,
    split: Split,
    reference: str,
    post_date: date,
    notes: str,
    idempotency_key: str,
    fingerprint: str,
    actor: Actor,
    source: str,
    action: str = Action.RECORD,
    outcome: str = Outcome.APPROVED,
    method_id: int | None = None,
    reason: str = "",
    number: str | None = None,
    discount_of: Payment | None = None,
) -> Payment:
    """Write a payment and everything that goes with it. Offline money is RECORDed
    (settled at once); card and bank payments are SUBMITted (pending) before the gateway
    is asked."""
    payment = Payment(
        number=number or next_number("payment", prefix="PMT-"),
        customer=customer,
        type=payment_type,
        reference=reference,
        amount_minor=amount.minor,
        currency=amount.currency,
        post_date=post_date,
        notes=notes,
        allocation_policy=split.policy,
        posted_by_id=actor.user_id,
        actor=actor.label,
        source=source,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        method_id=method_id,
        reason=reason,
        discount_of=discount_of,
    )
    payment_transition(payment, action=action, outcome=outcome, actor=actor)
    rows_insert(
        Allocation,
        [
            {
                "payment_id": payment.pk,
                "invoice_id": line.invoice.id,
                "amount_minor": line.amount.minor,
                "currency": amount.currency,
            }
            for line in split.lines
        ],
    )
    invoice_balances_set(
        {line.invoice.id: line.invoice for line in split.lines},
        {line.invoice.id: -line.amount.minor for line in split.lines},
        customer_id=customer.pk,
        in_flight=payment.status == PaymentStatus.PENDING,
    )
    if split.credit.is_positive():
        credit_entry_add(
            customer, split.credit, CreditKind.CREATED, payment, credit_note(payment, split)
        )
    if payment_type == PaymentType.CREDIT:
        note = f"Applied by {payment.number} to {invoice_names(split)}"
        credit_entry_add(customer, -amount, CreditKind.APPLIED, payment, note)
    if payment_type == PaymentType.PAYOUT:
        note = f"Paid out by {payment.number}: {reason}" + (f" #{reference}" if reference else "")
        credit_entry_add(customer, -amount, CreditKind.PAID_OUT, payment, note)
    journal_post(
        posted_on=post_date,
        reference=payment.number,
        description=payment_description(payment),
        postings=payment_postings(payment_type, amount, split.applied, split.credit, reason),
    )
    audit_record(
        actor=actor,
        action="payment.posted",
        obj=payment,
        idempotency_key=idempotency_key,
        after={
            "amount": str(amount),
            "currency": amount.currency,
            "type": payment_type,
            "allocations": {line.invoice.number: str(line.amount) for line in split.lines},
            "credit_created": str(split.credit),
            **({"reason": reason} if reason else {}),
            **({"discount_of": discount_of.number} if discount_of else {}),
        },
    )
    return payment


WRITE_OFF_ACCOUNTS = {
    WriteOffReason.BANK_FEE: Account.WRITE_OFF_BANK_FEE,
    WriteOffReason.DISCOUNT: Account.WRITE_OFF_DISCOUNT,
    WriteOffReason.SMALL_BALANCE: Account.WRITE_OFF_SMALL_BALANCE,
    WriteOffReason.BAD_DEBT: Account.BAD_DEBT,
    WriteOffReason.OTHER: Account.WRITE_OFF_OTHER,
}
"""The journal account each write-off reason is booked to."""


def payment_description(payment: Payment) -> str:
    """How a payment's journal entry is described."""
    if payment.type == PaymentType.WRITE_OFF:
        return f"Write-off {payment.number} ({WriteOffReason(payment.reason).label.lower()})"
    if payment.type == PaymentType.CREDIT_NOTE:
        return f"Credit note {payment.number}" + (f": {payment.reason}" if payment.reason else "")
    if payment.type == PaymentType.PAYOUT:
        return f"Credit paid out by {payment.reason} {payment.number}"
    return f"{PaymentType(payment.type).label} payment {payment.number}"


def payment_postings(
    payment_type: str, amount: Money, applied: Money, credit: Money, reason: str = ""
) -> list[Posting]:
    """The journal lines of a payment: where the money came from, where it went. A
    write-off comes from its reason's expense account, a credit note from Credit notes."""
    if payment_type == PaymentType.PAYOUT:  # credit given back as money: nothing applied
        paid_from = Account.REFUNDS if reason == CARD_PAYOUT else Account.CREDIT_PAYOUTS
        return [
            Posting.debit(Account.CUSTOMER_CREDIT, amount),
            Posting.credit(paid_from, amount),
        ]
    if payment_type == PaymentType.WRITE_OFF:
        source = WRITE_OFF_ACCOUNTS[WriteOffReason(reason)]
    elif payment_type == PaymentType.CREDIT_NOTE:
        source = Account.CREDIT_NOTES
    elif payment_type == PaymentType.CREDIT:
        source = Account.CUSTOMER_CREDIT
    elif payment_type in OFFLINE_TYPES:
        source = Account.UNDEPOSITED_FUNDS
    else:
        source = Account.CARD_CLEARING
    return [
        Posting.debit(source, amount),
        Posting.credit(Account.RECEIVABLE, applied),
        Posting.credit(Account.CUSTOMER_CREDIT, credit),
    ]


def payment_amount_check(customer: Customer, amount: Money) -> None:
    """An amount a payment of `customer` may be: above zero. Any currency: a customer may
    hold invoices in several (`customer.currency` is only the default); the payment pays
    those of its own currency, and `invoice_candidates_load` refuses any other."""
    if not amount.is_positive():
        raise InvalidAmount("A payment must be more than zero.", fields={"amount": "not positive"})
