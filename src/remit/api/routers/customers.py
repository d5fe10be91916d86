"""Customers: list, create, get, update (name and email)."""

from ninja import Router

from remit.api.access import customer_seen
from remit.api.auth import EVERYONE, INTEGRATIONS, Forbidden
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import CustomerOut, CustomerPage, customer_out
from remit.api.schemas import CursorParam, CustomerIn, CustomerPatch, LimitParam, NumberPath
from remit.api.selectors import customers_page
from remit.customers.services import customer_create, customer_update

router = Router(tags=["customers"])


@router.get("", response=answers({200: CustomerPage}), auth=EVERYONE)
def customers_list(request, cursor: CursorParam, limit: LimitParam):
    """The customers the caller may see, in the order they were created."""
    items, next_cursor = customers_page(request.auth, cursor=cursor, limit=limit)
    return CustomerPage(items=[customer_out(c) for c in items], next_cursor=next_cursor)


@router.post("", response=answers({201: CustomerOut}, *WRITES), auth=INTEGRATIONS)
@idempotent(201)
def customers_create(request, payload: CustomerIn, idempotency_key: IdempotencyKey):
    """A new customer (an API key for every customer only)."""
    if request.auth.customer_id is not None:
        raise Forbidden("An API key limited to one customer cannot create customers.")
    once(request)
    customer = customer_create(
        number=payload.number,
        name=payload.name,
        email=payload.email,
        currency=payload.currency,
        actor=request.auth.actor,
    )
    return customer_out(customer)


@router.get("/{number}", response=answers({200: CustomerOut}, 404), auth=EVERYONE)
def customers_get(request, number: NumberPath):
    return customer_out(customer_seen(request.auth, number))


@router.patch(
    "/{number}", response=answers({200: CustomerOut}, 400, 403, 404, 413), auth=INTEGRATIONS
)
def customers_update(request, number: NumberPath, payload: CustomerPatch):
    """Change the name or email; the number and currency stay."""
    customer = customer_update(
        customer=customer_seen(request.auth, number),
        name=payload.name,
        email=payload.email,
        actor=request.auth.actor,
    )
    return customer_out(customer)
