"""Credit paid out (issue 14): a customer's credit (an overpayment, an unapplied payment,
a credit note) given back as money, by a check written or a transfer sent.

A pay-out is kept as a payment of type `payout` (its `reason` says check or transfer, its
`reference` the check number or the transfer's reference): it applies to no invoice and
uses its amount of the customer's credit in that currency, never more than there is. Its
journal entry debits customer credit and credits Credit paid out. Voiding it (the check
came back uncashed) gives the credit back.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.inputs.free_text import free_text_parse
from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments.allocation import Split
from remit.payments.models import Payment, PaymentType, PayoutType
from remit.payments.selectors import credit_balance
from remit.payments.services.recording import payment_record
from remit.payments.services.unit_of_work import money_transaction, request_fingerprint


def payout_record(
    *,
    customer: Customer,
    amount: Money,
    payout_type: str,
    reference: str,
    idempotency_key: str,
    actor: Actor,
    source: str,
    notes: str = "",
    post_date: date | None = None,
) -> Payment:
    """Pay `amount` of the customer's credit back; the same key returns the first."""
    if payout_type not in PayoutType.values:
        raise RemitError(
            f"'{payout_type}' is not a way to pay credit out: check or transfer.",
            fields={"type": "unknown"},
        )
    reference = free_text_parse(reference, what="reference").strip()
    notes = free_text_parse(notes, what="notes")
    post_date = post_date or timezone.localdate()
    fingerprint = request_fingerprint(
        "payout_record", customer.number, amount, payout_type, reference, notes, source
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        payout_amount_check(customer, amount)
        return payment_record(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.PAYOUT,
            split=Split(lines=(), credit=Money.zero(amount.currency), policy="payout"),
            reference=reference,
            post_date=post_date,
            notes=notes,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            reason=payout_type,
        )


def payout_amount_check(customer: Customer, amount: Money) -> None:
    """A pay-out is more than zero and at most the customer's credit in its currency; the
    caller holds the customer's lock (to a check, a transfer, or the card)."""
    if not amount.is_positive():
        raise RemitError("A pay-out must be more than zero.", fields={"amount": "not positive"})
    available = credit_balance(customer=customer, currency=amount.currency)
    if amount > available:
        raise RemitError(
            f"{customer.number} has {available.format()} of {amount.currency} credit; "
            f"{amount.format()} cannot be paid out.",
            fields={"amount": "over the credit"},
        )
