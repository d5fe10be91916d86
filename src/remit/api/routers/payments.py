"""Payments: take one (recorded, or charged to a saved method), preview the split, list,
read, void, refund."""

from typing import Annotated, Literal

from ninja import Query, Router

from remit.api.access import customer_seen, customer_to_pay, method_of, payment_seen
from remit.api.auth import EVERYONE, INTEGRATIONS, Forbidden, Principal
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import (
    PaymentOut,
    PaymentPage,
    PreviewOut,
    payment_answer,
    payments_out,
    preview_out,
)
from remit.api.schemas import (
    CursorParam,
    CustomerParam,
    LimitParam,
    NumberPath,
    PaymentIn,
    PreviewIn,
    RefundIn,
    VoidIn,
    currency_of,
    invoice_requests,
    money,
)
from remit.api.selectors import payments_page
from remit.core.errors import RemitError
from remit.customers.models import Customer
from remit.payments.models import PaymentMethod, Source
from remit.payments.selectors import payment_preview
from remit.payments.services.take import payment_take
from remit.payments.services.voids import payment_refund, payment_void
from remit.payments.services.writeoff import WriteOffRequest

router = Router(tags=["payments"])

StatusParam = Annotated[
    Literal["pending", "settled", "failed", "voided", "refunded", "disputed", "charged_back"]
    | None,
    Query(None),
]
GATEWAY = ("card", "bank")


@router.get("", response=answers({200: PaymentPage}, 404), auth=EVERYONE)
def payments_list(
    request, customer: CustomerParam, status: StatusParam, cursor: CursorParam, limit: LimitParam
):
    """Payments in the order they were taken; page with `next_cursor`."""
    items, next_cursor = payments_page(
        request.auth,
        customer=customer_seen(request.auth, customer) if customer else None,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return PaymentPage(items=payments_out(items, request.auth), next_cursor=next_cursor)


@router.post("", response=answers({201: PaymentOut}, *WRITES, 404, 503), auth=EVERYONE)
@idempotent(201)
def payments_create(request, payload: PaymentIn, idempotency_key: IdempotencyKey):
    """Apply a payment to the invoices named (amounts fixed per invoice, the rest spread
    over the others), or, without `invoices`, to the open invoices oldest first. What is
    left becomes customer credit. `card` and `bank` charge a saved method (a decline
    answers 201 with status `failed` and its reason); the other types record money
    already received and are for integrations only."""
    principal = request.auth
    customer = customer_to_pay(principal, payload.customer)
    _check_portal(principal, payload)
    currency = currency_of(customer, payload.currency)
    amount = money(payload.amount, currency)
    shares = invoice_requests(payload.invoices, currency)
    write_offs = [
        WriteOffRequest(
            w.invoice, money(w.amount, currency, field="write_offs") if w.amount else None, w.reason
        )
        for w in payload.write_offs or ()
    ]
    method = None
    if payload.type in GATEWAY:
        method = _method(customer, payload)
    else:
        _check_offline(principal, payload)
    # An offline payment is one transaction, which the key and the answer join; a card
    # or bank payment calls the gateway, which no transaction may span.
    once(request, together=method is None)
    payment = payment_take(
        customer=customer,
        amount=amount,
        payment_type=payload.type,
        method=method,
        reference=payload.reference,
        invoices=shares,
        post_date=payload.post_date,
        notes=payload.notes,
        idempotency_key=idempotency_key,
        actor=principal.actor,
        source=Source.API,
        write_offs=write_offs,
        above_tolerance=True,  # only integrations post offline money, and so write-offs
        allow_duplicate=payload.allow_duplicate,
    )
    return payment_answer(payment, principal)


@router.post("/preview", response=answers({200: PreviewOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(200)
def payments_preview(request, payload: PreviewIn, idempotency_key: IdempotencyKey):
    """The split a payment would make; nothing is written."""
    customer = customer_seen(request.auth, payload.customer)
    currency = currency_of(customer, payload.currency)
    amount = money(payload.amount, currency)
    shares = invoice_requests(payload.invoices, currency)
    once(request)
    split = payment_preview(
        customer=customer, amount=amount, invoices=shares, post_date=payload.post_date
    )
    return preview_out(customer, amount, split)


@router.get("/{number}", response=answers({200: PaymentOut}, 404), auth=EVERYONE)
def payments_get(request, number: NumberPath):
    payment = payment_seen(request.auth, number)
    return payment_answer(payment, request.auth)


@router.post(
    "/{number}/void", response=answers({200: PaymentOut}, *WRITES, 404, 503), auth=INTEGRATIONS
)
@idempotent(200)
def payments_void(request, number: NumberPath, payload: VoidIn, idempotency_key: IdempotencyKey):
    """Void a payment: its invoices reopen, the credit it created is taken back. A card
    payment the gateway can no longer void answers 409 `refund_required`; refund it."""
    payment = payment_seen(request.auth, number)
    once(request)
    payment = payment_void(payment=payment, reason=payload.reason, actor=request.auth.actor)
    return payment_answer(payment, request.auth)


@router.post(
    "/{number}/refund",
    response=answers({200: PaymentOut}, *WRITES, 404, 503),
    auth=INTEGRATIONS,
)
@idempotent(200)
def payments_refund(
    request, number: NumberPath, payload: RefundIn, idempotency_key: IdempotencyKey
):
    """Refund a settled card or bank payment through the gateway, exactly once: all that
    is left of it (`{}`), or `amount` of it, reopening the `invoices` named (with amounts,
    or the rest spread over them) or the newest first. Several partial refunds may follow
    one another up to the amount; `refunded` says how much went back."""
    payment = payment_seen(request.auth, number)
    amount = money(payload.amount, payment.currency) if payload.amount else None
    shares = invoice_requests(payload.invoices, payment.currency)
    once(request)
    payment = payment_refund(
        payment=payment,
        amount=amount,
        invoices=shares,
        actor=request.auth.actor,
        idempotency_key=idempotency_key,
    )
    return payment_answer(payment, request.auth)


# --- parsing ---------------------------------------------------------------------------


def _method(customer: Customer, payload: PaymentIn) -> PaymentMethod:
    if payload.method is None:
        raise RemitError(
            f"A {payload.type} payment charges a saved method: give its id in `method`.",
            fields={"method": "missing"},
        )
    if payload.reference:
        raise RemitError(
            "`reference` is for checks and money orders; a charge is named by its method.",
            fields={"reference": "not for charges"},
        )
    method = method_of(customer, payload.method)
    if method.kind != payload.type:
        raise RemitError(
            f"Method {method.pk} is a {method.get_kind_display().lower()}, not {payload.type}.",
            fields={"type": "mismatch"},
        )
    return method


def _check_offline(principal: Principal, payload: PaymentIn) -> None:
    if not principal.integration:
        raise Forbidden("In the portal, payments are charged to a saved card or bank account.")
    if payload.method is not None:
        raise RemitError(
            f"A {payload.type} payment records money already received; it charges no method.",
            fields={"method": "not for this type"},
        )


def _check_portal(principal: Principal, payload: PaymentIn) -> None:
    """The post date and internal notes are the business's to set, not its customer's."""
    if principal.integration:
        return
    fields = {
        name: "not in the portal"
        for name in ("post_date", "notes")
        if getattr(payload, name) not in (None, "")
    }
    if fields:
        raise Forbidden(
            "A portal payment is dated today and carries no internal notes.", fields=fields
        )
