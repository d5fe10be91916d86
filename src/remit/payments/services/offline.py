"""`payment_post`: money already in hand, posted by staff (checks, money orders, cash,
PayPal, other), settled at once (DESIGN rules 1, 5, 6).

With no invoices named, the amount is spread over the customer's open invoices oldest
first; with invoices, their fixed amounts apply first and the rest spreads over the named
ones. Whatever is left becomes customer credit with a note of where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import PossibleDuplicate, RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments.allocation import split_payment
from remit.payments.candidates import fixed_amounts, invoice_candidates_load
from remit.payments.models import OFFLINE_TYPES, Payment, PaymentType
from remit.payments.repository import payment_twin
from remit.payments.services.discount import discounts_record
from remit.payments.services.recording import payment_amount_check, payment_record
from remit.payments.services.unit_of_work import (
    money_transaction,
    request_fingerprint,
    requests_for_fingerprint,
)
from remit.payments.services.writeoff import (
    WriteOffRequest,
    write_off_keys,
    write_offs_record,
)


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
    write_offs: Sequence[WriteOffRequest] = (),
    above_tolerance: bool = False,
    allow_duplicate: bool = True,
) -> Payment:
    """Post money received offline; the same key with the same request returns the first.

    `write_offs` close what the payment leaves of its invoices (a short pay: 95.00 paid,
    5.00 written off), in the same transaction, after the payment is applied; each is a
    write-off document whose reference is the payment (`remit.payments.services.writeoff`).

    Without `allow_duplicate`, a payment like one already posted (same type, amount,
    reference and post date, not voided) is refused with `PossibleDuplicate` naming it: the
    faces warn and post once the user confirms.
    """
    if payment_type not in OFFLINE_TYPES:
        raise RemitError(offline_type_refusal(payment_type), fields={"type": "unsupported"})
    payment_amount_check(customer, amount)
    post_date = post_date or timezone.localdate()
    parts = [[w.fingerprint() for w in write_offs]] if write_offs else []
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
        *parts,
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        if not allow_duplicate:
            duplicate_check(customer, amount, payment_type, reference.strip(), post_date)
        candidates = invoice_candidates_load(
            customer, amount.currency, invoices, lock=True, discount_on=post_date
        )
        split = split_payment(amount, candidates, fixed_amounts(invoices))
        payment = payment_record(
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
        discounts_record(
            customer,
            payment,
            split,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            post_date=post_date,
        )
        write_offs_record(
            customer,
            write_offs,
            keys=write_off_keys(idempotency_key, len(write_offs)),
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            above_tolerance=above_tolerance,
            post_date=post_date,
            notes=notes,
            reference=payment.number,
        )
        return payment


def duplicate_check(
    customer: Customer, amount: Money, payment_type: str, reference: str, post_date: date
) -> None:
    """Refuse a payment that looks like one already posted: the same customer, type,
    amount, reference and post date (a check entered twice), unless voided. Without a
    reference there is nothing to tell two payments apart by, so nothing is refused."""
    if not reference:
        return
    twin = payment_twin(
        customer.pk, str(payment_type), amount.minor, amount.currency, reference, post_date
    )
    if twin is None:
        return
    kind = PaymentType(payment_type).label.lower()
    raise PossibleDuplicate(
        f"{twin} is a {kind} #{reference} of {amount.format()} from {customer.number} "
        f"posted for {post_date.isoformat()} too: this may be the same {kind} twice. Post it "
        "only if it is not.",
        duplicate_of=twin,
    )


def offline_type_refusal(payment_type: str) -> str:
    """Why `payment_type` is not posted as offline money."""
    if payment_type in (PaymentType.CARD, PaymentType.BANK):
        return "Card and bank payments are taken through the payment gateway."
    if payment_type == PaymentType.CREDIT:
        return "Customer credit is applied with apply-credit, not posted as a payment."
    return f"'{payment_type}' is not a payment type."
