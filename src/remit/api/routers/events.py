"""What changed, in order: integrators sync from here instead of polling every object."""

from typing import Annotated, Literal

from ninja import Query, Router

from remit.api.access import customer_seen
from remit.api.auth import EVERYONE
from remit.api.errors import answers
from remit.api.outputs import EventPage, event_out
from remit.api.schemas import CustomerParam
from remit.api.selectors import events_page

router = Router(tags=["events"])

KindParam = Annotated[
    Literal[
        "payment.posted",
        "payment.settled",
        "payment.failed",
        "payment.voided",
        "payment.refunded",
        "payment.partly_refunded",
        "payment.unapplied",
        "payment.reallocated",
        "invoice.paid",
        "invoice.reopened",
    ]
    | None,
    Query(None),
]
AfterParam = Annotated[
    str | None,
    Query(None, pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the last read."),
]
LimitParam = Annotated[int, Query(100, ge=1, le=1000)]


@router.get("", response=answers({200: EventPage}, 404), auth=EVERYONE)
def events_list(
    request, customer: CustomerParam, kind: KindParam, after: AfterParam, limit: LimitParam
):
    """Events after the cursor, oldest first; keep `next_cursor` and ask again later.

    Read per customer (`customer=`), events appear as soon as they are committed; read
    across customers, they appear 5 seconds later, so that a cursor never skips one that
    committed late."""
    items, next_cursor = events_page(
        request.auth,
        customer=customer_seen(request.auth, customer) if customer else None,
        kind=kind,
        after=after,
        limit=limit,
    )
    return EventPage(items=[event_out(e) for e in items], next_cursor=next_cursor)
