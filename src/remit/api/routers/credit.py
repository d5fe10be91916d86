"""Customer credit: the balance, its entries, and applying it to open invoices."""

from ninja import Router

from remit.api.access import customer_seen, customer_to_pay
from remit.api.auth import EVERYONE
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import (
    CreditEntryPage,
    CreditOut,
    PaymentOut,
    credit_entry_out,
    credit_out,
    payment_answer,
)
from remit.api.schemas import (
    CreditApplyIn,
    CursorParam,
    LimitParam,
    RequiredCustomerParam,
    currency_of,
    invoice_requests,
)
from remit.api.selectors import credit_entries_page
from remit.payments.models import Source
from remit.payments.selectors import credit_balances
from remit.payments.services.credit import credit_apply

router = Router(tags=["credit"])


@router.get("", response=answers({200: CreditOut}, 404), auth=EVERYONE)
def credit_get(request, customer: RequiredCustomerParam):
    """The customer's credit balance in each currency it has had credit in."""
    found = customer_seen(request.auth, customer)
    return credit_out(found, credit_balances(customer=found))


@router.get("/entries", response=answers({200: CreditEntryPage}, 404), auth=EVERYONE)
def credit_entries(
    request, customer: RequiredCustomerParam, cursor: CursorParam, limit: LimitParam
):
    """The credit ledger: each amount added (an overpayment) or used, with its note."""
    items, next_cursor = credit_entries_page(
        customer_seen(request.auth, customer), cursor=cursor, limit=limit
    )
    return CreditEntryPage(items=[credit_entry_out(e) for e in items], next_cursor=next_cursor)


@router.post("/apply", response=answers({201: PaymentOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(201)
def credit_apply_to_invoices(request, payload: CreditApplyIn, idempotency_key: IdempotencyKey):
    """Apply the credit to the invoices named, or oldest first; recorded as a payment of
    type `credit` (void it to give the credit back)."""
    customer = customer_to_pay(request.auth, payload.customer)
    currency = currency_of(customer, payload.currency)
    shares = invoice_requests(payload.invoices, currency)
    once(request, together=True)  # one transaction: the key, the application, the answer
    payment = credit_apply(
        customer=customer,
        currency=currency,
        invoices=shares,
        idempotency_key=idempotency_key,
        actor=request.auth.actor,
        source=Source.API,
    )
    return payment_answer(payment, request.auth)
