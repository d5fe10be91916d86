"""Scheduled payments: hold invoices now, charge a saved method on a later date."""

from typing import Annotated, Literal

from ninja import Query, Router

from remit.api.access import (
    customer_seen,
    customer_to_pay,
    method_of,
    require_payer,
    schedule_seen,
)
from remit.api.auth import EVERYONE
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.outputs import ScheduleOut, SchedulePage, schedule_out
from remit.api.schemas import CursorParam, CustomerParam, Empty, LimitParam, NumberPath, ScheduleIn
from remit.api.selectors import schedule_loaded, schedules_page
from remit.payments.models import Source
from remit.payments.services.schedule import schedule_cancel, schedule_create

router = Router(tags=["scheduled payments"])

StatusParam = Annotated[
    Literal["scheduled", "running", "ran", "cancelled", "failed"] | None, Query(None)
]


@router.get("", response=answers({200: SchedulePage}, 404), auth=EVERYONE)
def schedules_list(
    request, customer: CustomerParam, status: StatusParam, cursor: CursorParam, limit: LimitParam
):
    items, next_cursor = schedules_page(
        request.auth,
        customer=customer_seen(request.auth, customer) if customer else None,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return SchedulePage(items=[schedule_out(s) for s in items], next_cursor=next_cursor)


@router.post("", response=answers({201: ScheduleOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(201)
def schedules_create(request, payload: ScheduleIn, idempotency_key: IdempotencyKey):
    """Hold the invoices for a charge to `method` on `run_on` (tomorrow up to a year
    ahead); the amount is their balance on that day."""
    customer = customer_to_pay(request.auth, payload.customer)
    method = method_of(customer, payload.method)
    once(request, together=True)  # one transaction: the key, the schedule, the answer
    schedule = schedule_create(
        customer=customer,
        method=method,
        invoice_numbers=payload.invoices,
        run_on=payload.run_on,
        idempotency_key=idempotency_key,
        actor=request.auth.actor,
        source=Source.API,
    )
    return schedule_out(schedule_loaded(schedule))


@router.get("/{number}", response=answers({200: ScheduleOut}, 404), auth=EVERYONE)
def schedules_get(request, number: NumberPath):
    return schedule_out(schedule_loaded(schedule_seen(request.auth, number)))


@router.post("/{number}/cancel", response=answers({200: ScheduleOut}, *WRITES, 404), auth=EVERYONE)
@idempotent(200)
def schedules_cancel(request, number: NumberPath, payload: Empty, idempotency_key: IdempotencyKey):
    """Cancel a schedule that has not run; its invoices are open again."""
    schedule = schedule_seen(request.auth, number)
    require_payer(request.auth, schedule.customer)
    once(request)
    schedule = schedule_cancel(schedule=schedule, actor=request.auth.actor)
    return schedule_out(schedule_loaded(schedule))
