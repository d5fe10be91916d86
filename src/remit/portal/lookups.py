"""Reads of one customer's payments, schedules and credit, for the portal's pages.

Every lookup takes the customer: another customer's number finds nothing (None), and
the view answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from remit.customers.models import Customer
from remit.payments.models import Allocation, Payment, ScheduledPayment, ScheduleStatus
from remit.payments.states import PaymentStatus

HISTORY_PAGE = 25


def payment_of(customer: Customer, number: str) -> Payment | None:
    return (
        Payment.objects.filter(customer=customer, number=number)
        .select_related("customer", "method")
        .first()
    )


@dataclass(frozen=True)
class HistoryPage:
    payments: tuple[Payment, ...]
    older_than: str | None
    """The cursor of the next (older) page, if there is one."""


def payment_history(customer: Customer, *, before: Payment | None = None) -> HistoryPage:
    """The customer's payments, newest first, one page after `before` (keyset on id)."""
    payments = (
        Payment.objects.filter(customer=customer)
        .select_related("method")
        .prefetch_related(  # each payment's invoices, in one more query
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("invoice").order_by("id"),
                to_attr="shown_allocations",
            )
        )
    )
    if before is not None:
        payments = payments.filter(id__lt=before.id)
    rows = list(payments.order_by("-id")[: HISTORY_PAGE + 1])
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    return HistoryPage(payments=tuple(rows), older_than=rows[-1].number if more else None)


def has_receipt(payment: Payment) -> bool:
    return payment.status in (PaymentStatus.PENDING, PaymentStatus.SETTLED, PaymentStatus.REFUNDED)


def schedule_of(customer: Customer, number: str) -> ScheduledPayment | None:
    return (
        ScheduledPayment.objects.filter(customer=customer, number=number)
        .select_related("customer", "method", "payment")
        .first()
    )


def schedules(customer: Customer, *, waiting_only: bool = False) -> list[ScheduledPayment]:
    """The customer's scheduled payments with their invoices: waiting ones first."""
    rows = ScheduledPayment.objects.filter(customer=customer)
    if waiting_only:
        rows = rows.filter(status=ScheduleStatus.SCHEDULED)
    rows = rows.select_related("method", "payment").prefetch_related("items__invoice")
    found = list(rows.order_by("-run_on", "-id")[:200])
    found.sort(key=lambda s: s.status != ScheduleStatus.SCHEDULED)  # stable: waiting first
    return found
