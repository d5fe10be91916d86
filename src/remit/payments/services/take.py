"""`payment_take`: the one way in for money received, whatever the face (DESIGN "Faces").

It picks the service by the payment's type: money already in hand (check, money order,
cash, PayPal, other) is posted and settled at once (`offline.payment_post`); a card or a
bank account is charged through the gateway (`card.card_payment_submit`) with the saved
method given. Customer credit is applied with `credit.credit_apply`, not taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import Gateway
from remit.payments.models import OFFLINE_TYPES, Payment, PaymentMethod, PaymentType
from remit.payments.services.card import card_payment_submit
from remit.payments.services.offline import offline_type_refusal, payment_post
from remit.payments.services.writeoff import WriteOffRequest

GATEWAY_TYPES = (PaymentType.CARD, PaymentType.BANK)


def payment_take(
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
    method: PaymentMethod | None = None,
    gateway: Gateway | None = None,
    write_offs: Sequence[WriteOffRequest] = (),
    above_tolerance: bool = False,
    allow_duplicate: bool = True,
) -> Payment:
    """Take a payment of `payment_type`: offline money, or a saved card or bank account.

    A card number in the reference or the notes is refused here too, whichever face (or
    script) called: the faces refuse it first, with the same sentence."""
    free_text_parse(reference, what="reference")
    free_text_parse(notes, what="notes")
    if payment_type in GATEWAY_TYPES:
        if write_offs:
            raise RemitError(
                "A card or bank payment is not final until it settles: write off what it "
                "leaves once it has (remit write-off).",
                fields={"write_offs": "not with a charge"},
            )
        if method is None:
            raise RemitError(
                "Choose the saved card or bank account to charge.", fields={"method": "required"}
            )
        if method.kind != payment_type:
            raise RemitError(
                f"{method.display} is a {method.get_kind_display().lower()}, not a "
                f"{PaymentType(payment_type).label.lower()}.",
                fields={"method": "kind"},
            )
        return card_payment_submit(
            customer=customer,
            method=method,
            amount=amount,
            idempotency_key=idempotency_key,
            actor=actor,
            source=source,
            invoices=invoices,
            post_date=post_date,
            notes=notes,
            gateway=gateway,
        )
    if payment_type not in OFFLINE_TYPES:
        raise RemitError(offline_type_refusal(payment_type), fields={"type": "unsupported"})
    if method is not None:
        raise RemitError(
            f"A {PaymentType(payment_type).label.lower()} payment is not charged to a saved "
            "method.",
            fields={"method": "unexpected"},
        )
    return payment_post(
        customer=customer,
        amount=amount,
        payment_type=payment_type,
        idempotency_key=idempotency_key,
        actor=actor,
        source=source,
        invoices=invoices,
        reference=reference,
        post_date=post_date,
        notes=notes,
        write_offs=write_offs,
        above_tolerance=above_tolerance,
        allow_duplicate=allow_duplicate,
    )
