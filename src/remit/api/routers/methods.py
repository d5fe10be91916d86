"""Saved payment methods: list, add from a gateway token, remove.

The card or bank details go to the gateway's tokenising endpoint (the sandbox's is
`POST /sandbox-gateway/v1/tokens`; Stripe's is Stripe.js); remit gets only the token. The
kind, brand, last four digits, expiry and fingerprint are asked of the gateway, never
taken from the caller, so what a receipt says of a method is what the gateway holds. The
same card added again answers 200 with the method already on file (one card, one method).
"""

from django.http import HttpResponse, JsonResponse
from ninja import Router
from ninja.responses import NinjaJSONEncoder

from remit.api.access import customer_seen, customer_to_pay, method_seen, require_payer
from remit.api.auth import EVERYONE
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import MethodList, MethodOut, method_out
from remit.api.schemas import IdPath, MethodIn, RequiredCustomerParam
from remit.payments.selectors import payment_methods
from remit.payments.services.method import payment_method_add_from_token, payment_method_remove

router = Router(tags=["payment methods"])


@router.get("", response=answers({200: MethodList}, 404), auth=EVERYONE)
def methods_list(request, customer: RequiredCustomerParam):
    """The customer's saved cards and bank accounts, the default first."""
    found = customer_seen(request.auth, customer)
    return MethodList(items=[method_out(m) for m in payment_methods(customer=found)])


@router.post("", response=answers({200: MethodOut, 201: MethodOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(201)
def methods_add(request, payload: MethodIn, idempotency_key: IdempotencyKey):
    """Save a card or bank account from its gateway token; the first one is the default.
    A card already on file (the gateway's fingerprint) answers 200 with its method."""
    customer = customer_to_pay(request.auth, payload.customer)
    once(request)
    added = payment_method_add_from_token(
        customer=customer,
        token=payload.token,
        holder_name=payload.holder_name,
        label=payload.label,
        make_default=payload.make_default,
        actor=request.auth.actor,
    )
    if added.already_saved:
        body = method_out(added.method).model_dump()
        return JsonResponse(body, status=200, encoder=NinjaJSONEncoder)
    return method_out(added.method)


@router.delete("/{method_id}", response=answers({204: None}, 403, 404), auth=EVERYONE)
def methods_remove(request, method_id: IdPath):
    """Take a method off the list; the payments that used it keep it on record."""
    method = method_seen(request.auth, method_id)
    require_payer(request.auth, method.customer)
    payment_method_remove(method=method, actor=request.auth.actor)
    return HttpResponse(status=204)
