"""The API's reads: lists limited to the caller's customers, paged by a cursor on the id.

A cursor is the id of the last row of a page; the next page starts after it, so rows
created while an integrator pages through are neither skipped nor repeated.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone

from remit.api.access import scoped
from remit.api.auth import Principal
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.models import CreditEntry, Event, Payment, ScheduledPayment

M = TypeVar("M", bound=Model)

EVENT_LAG = timedelta(seconds=5)
"""Events of several customers are served once this old. Ids are taken when a row is
inserted, not when its transaction commits: across customers, an event with a smaller id
can become visible after a larger one, and a cursor past it would skip it. Every event
writer holds its customer's row lock, so one customer's events commit in id order and are
served at once."""


def _page(rows: QuerySet[M], cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    if cursor:
        rows = rows.filter(pk__gt=int(cursor))
    items = list(rows.order_by("pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (str(items[-1].pk) if more else None)


def customers_page(
    principal: Principal, *, cursor: str | None, limit: int
) -> tuple[list[Customer], str | None]:
    return _page(scoped(principal, Customer.objects.all(), "pk"), cursor, limit)


def invoices_page(
    principal: Principal,
    *,
    customer: Customer | None,
    status: str | None,
    due_before: date | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Invoice], str | None]:
    rows = scoped(principal, Invoice.objects.select_related("customer"))
    if customer is not None:
        rows = rows.filter(customer=customer)
    if status:
        rows = rows.filter(status=status)
    if due_before:
        rows = rows.filter(due_date__lt=due_before)
    return _page(rows, cursor, limit)


def payments_page(
    principal: Principal,
    *,
    customer: Customer | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Payment], str | None]:
    rows = scoped(principal, Payment.objects.select_related("customer", "method"))
    if customer is not None:
        rows = rows.filter(customer=customer)
    if status:
        rows = rows.filter(status=status)
    return _page(rows, cursor, limit)


def credit_entries_page(
    customer: Customer, *, cursor: str | None, limit: int
) -> tuple[list[CreditEntry], str | None]:
    rows = CreditEntry.objects.filter(customer=customer).select_related("payment")
    return _page(rows, cursor, limit)


def schedules_loaded() -> QuerySet[ScheduledPayment]:
    return ScheduledPayment.objects.select_related("customer", "payment").prefetch_related(
        "items__invoice"
    )


def schedule_loaded(schedule: ScheduledPayment) -> ScheduledPayment:
    return schedules_loaded().get(pk=schedule.pk)


def schedules_page(
    principal: Principal,
    *,
    customer: Customer | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ScheduledPayment], str | None]:
    rows = scoped(principal, schedules_loaded())
    if customer is not None:
        rows = rows.filter(customer=customer)
    if status:
        rows = rows.filter(status=status)
    return _page(rows, cursor, limit)


def events_page(
    principal: Principal,
    *,
    customer: Customer | None,
    kind: str | None,
    after: str | None,
    limit: int,
) -> tuple[list[Event], str]:
    """Events after the cursor, oldest first, and the cursor to read from next.

    Across customers, the page stops at the first event younger than `EVENT_LAG`, so
    that no event is passed over while an older id may still be committing.
    """
    rows = scoped(principal, Event.objects.select_related("customer"))
    if customer is not None:
        rows = rows.filter(customer=customer)
    if kind:
        rows = rows.filter(kind=kind)
    if after:
        rows = rows.filter(pk__gt=int(after))
    items = list(rows.order_by("pk")[:limit])
    ids = principal.customer_ids
    if customer is None and (ids is None or len(ids) > 1):
        horizon = timezone.now() - EVENT_LAG
        settled = next((i for i, event in enumerate(items) if event.at > horizon), len(items))
        items = items[:settled]
    return items, str(items[-1].pk) if items else (after or "0")
