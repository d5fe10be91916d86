"""Saved payment methods: list, add from a gateway token, remove.

The card or bank details go to the gateway's tokenising endpoint (the sandbox's is
`POST /sandbox-gateway/v1/tokens`); remit gets only the token. The brand, last four
digits and expiry are read from the gateway's record of the token, never taken from the
caller, so what a receipt says of a method is what the gateway holds.
"""

from django.http import HttpResponse
from ninja import Router

from remit.api.access import customer_seen, customer_to_pay, method_seen, require_payer
from remit.api.auth import EVERYONE
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import MethodList, MethodOut, method_out
from remit.api.schemas import IdPath, MethodIn, RequiredCustomerParam
from remit.api.tokens import tokenized_for
from remit.payments.method_services import payment_method_add, payment_method_remove
from remit.payments.selectors import payment_methods

router = Router(tags=["payment methods"])


@router.get("", response=answers({200: MethodList}, 404), auth=EVERYONE)
def methods_list(request, customer: RequiredCustomerParam):
    """The customer's saved cards and bank accounts, the default first."""
    found = customer_seen(request.auth, customer)
    return MethodList(items=[method_out(m) for m in payment_methods(customer=found)])


@router.post("", response=answers({201: MethodOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(201)
def methods_add(request, payload: MethodIn, idempotency_key: IdempotencyKey):
    """Save a card or bank account from its gateway token; the first one is the default."""
    customer = customer_to_pay(request.auth, payload.customer)
    kind, tokenized = tokenized_for(customer, payload.token)
    once(request)
    method = payment_method_add(
        customer=customer,
        kind=kind,
        tokenized=tokenized,
        holder_name=payload.holder_name,
        label=payload.label,
        make_default=payload.make_default,
        actor=request.auth.actor,
    )
    return method_out(method)


@router.delete("/{method_id}", response=answers({204: None}, 403, 404), auth=EVERYONE)
def methods_remove(request, method_id: IdPath):
    """Take a method off the list; the payments that used it keep it on record."""
    method = method_seen(request.auth, method_id)
    require_payer(request.auth, method.customer)
    payment_method_remove(method=method, actor=request.auth.actor)
    return HttpResponse(status=204)
