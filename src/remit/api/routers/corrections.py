"""Corrections (issue 14): write off a balance, credit an invoice, move one allocation
of a payment to customer credit (unapply) or to another open invoice (reallocate). For
integrations: the business's own systems, which may write off any amount (the tolerance
binds clerks)."""

from ninja import Router

from remit.api.access import customer_seen, invoice_seen, payment_seen
from remit.api.auth import INTEGRATIONS
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import PaymentOut, payment_answer
from remit.api.schemas import (
    CreditNoteIn,
    NumberPath,
    PayoutIn,
    ReallocateIn,
    UnapplyIn,
    WriteOffIn,
    money,
)
from remit.core.errors import RemitError
from remit.payments.models import Source
from remit.payments.services.card_payout import card_payout_record
from remit.payments.services.credit_note import credit_note_issue
from remit.payments.services.moves import payment_reallocate, payment_unapply
from remit.payments.services.payout import payout_record
from remit.payments.services.writeoff import write_off_post

router = Router(tags=["payments"])
"""Mounted at /payments."""
write_offs = Router(tags=["write-offs"])
"""Mounted at /write-offs."""
credit_notes = Router(tags=["credit-notes"])
"""Mounted at /credit-notes."""
payouts = Router(tags=["payouts"])
"""Mounted at /payouts."""


@router.post(
    "/{number}/unapply", response=answers({200: PaymentOut}, *WRITES, 404), auth=INTEGRATIONS
)
@idempotent(200)
def payments_unapply(
    request, number: NumberPath, payload: UnapplyIn, idempotency_key: IdempotencyKey
):
    """Move what a settled payment applied to `invoice` (all of it, or `amount`) to the
    customer's credit; the invoice reopens. The payment's history records the move."""
    payment = payment_seen(request.auth, number)
    amount = money(payload.amount, payment.currency) if payload.amount else None
    once(request, together=True)
    payment = payment_unapply(
        payment=payment,
        invoice=payload.invoice,
        amount=amount,
        actor=request.auth.actor,
        idempotency_key=idempotency_key,
    )
    return payment_answer(payment, request.auth)


@router.post(
    "/{number}/reallocate", response=answers({200: PaymentOut}, *WRITES, 404), auth=INTEGRATIONS
)
@idempotent(200)
def payments_reallocate(
    request, number: NumberPath, payload: ReallocateIn, idempotency_key: IdempotencyKey
):
    """Move what a settled payment applied to `invoice` (all of it, or `amount`) to `to`,
    another open invoice of the same customer (at most its balance due)."""
    payment = payment_seen(request.auth, number)
    amount = money(payload.amount, payment.currency) if payload.amount else None
    once(request, together=True)
    payment = payment_reallocate(
        payment=payment,
        from_invoice=payload.invoice,
        to_invoice=payload.to,
        amount=amount,
        actor=request.auth.actor,
        idempotency_key=idempotency_key,
    )
    return payment_answer(payment, request.auth)


@write_offs.post("", response=answers({201: PaymentOut}, *WRITES, 404), auth=INTEGRATIONS)
@idempotent(201)
def write_offs_create(request, payload: WriteOffIn, idempotency_key: IdempotencyKey):
    """Write off an open invoice's balance (or `amount` of it) for `reason`: the answer
    is the write-off, a payment of type `write_off`, voided with `/payments/{n}/void`."""
    invoice = invoice_seen(request.auth, payload.invoice)
    amount = money(payload.amount, invoice.currency) if payload.amount else None
    once(request, together=True)
    payment = write_off_post(
        customer=invoice.customer,
        invoice=invoice.number,
        amount=amount,
        reason=payload.reason,
        notes=payload.notes,
        idempotency_key=idempotency_key,
        actor=request.auth.actor,
        source=Source.API,
        above_tolerance=True,
    )
    return payment_answer(payment, request.auth)


@credit_notes.post("", response=answers({201: PaymentOut}, *WRITES, 404), auth=INTEGRATIONS)
@idempotent(201)
def credit_notes_create(request, payload: CreditNoteIn, idempotency_key: IdempotencyKey):
    """Credit `amount` of an invoice for `reason`: a credit note numbered CN-…, a payment of
    type `credit_note` whose `reference` is the invoice. Up to the balance due it reduces
    what is owed; beyond it (all of it, on a paid invoice) it becomes customer credit.
    Void it with `/payments/{n}/void` while its credit is unused."""
    invoice = invoice_seen(request.auth, payload.invoice)
    amount = money(payload.amount, invoice.currency)
    once(request, together=True)
    payment = credit_note_issue(
        customer=invoice.customer,
        invoice=invoice.number,
        amount=amount,
        reason=payload.reason,
        idempotency_key=idempotency_key,
        actor=request.auth.actor,
        source=Source.API,
    )
    return payment_answer(payment, request.auth)


@payouts.post("", response=answers({201: PaymentOut}, *WRITES, 404, 503), auth=INTEGRATIONS)
@idempotent(201)
def payouts_create(request, payload: PayoutIn, idempotency_key: IdempotencyKey):
    """Pay a customer's credit back as money, by `check` or `transfer` (`reference`: the
    check number or the transfer's): a payment of type `payout` that uses that much credit,
    never more than there is. Void it with `/payments/{n}/void` to give the credit back.
    `card`: the credit goes back to the card of the card or bank payment that made it (a
    refund at the gateway, exactly once; 503 if the answer was lost: the reconciler ends it).
    """
    customer = customer_seen(request.auth, payload.customer)
    currency = payload.currency or customer.currency
    amount = money(payload.amount, currency)
    if payload.type == "card":
        once(request)
        payment = card_payout_record(
            customer=customer,
            amount=amount,
            payment_number=payload.payment or "",
            notes=payload.notes,
            idempotency_key=idempotency_key,
            actor=request.auth.actor,
            source=Source.API,
        )
        return payment_answer(payment, request.auth)
    if payload.payment:
        raise RemitError("`payment` names the payment refunded by a `card` pay-out.")
    once(request, together=True)
    payment = payout_record(
        customer=customer,
        amount=amount,
        payout_type=payload.type,
        reference=payload.reference,
        notes=payload.notes,
        idempotency_key=idempotency_key,
        actor=request.auth.actor,
        source=Source.API,
    )
    return payment_answer(payment, request.auth)
