"""From causes to emails: the integrator events (payments posted and failed) and the
clock (a scheduled payment coming up or just run, a card expiring before it, overdue
invoices).

Events: every event is marked once (`EventMark`) in the transaction that queues its
emails, so a crash before the commit leaves it unmarked (it is done again) and one after
leaves it done. The floor below which all events are done moves up only past marks older
than an hour (`FLOOR_LAG`): an event whose transaction committed after a later one's
(ids are handed out at insert, commits come in any order) is still found.

The clock: each cause's email carries a dedupe key naming it (the schedule, the invoice's
reminder step), so a scan run twice, or by two workers, queues nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.notifications import rules
from remit.notifications.models import Email, EventMark, Kind, OutboxFloor, OverdueStep
from remit.notifications.outbox import Recipient, email_queue, recipients
from remit.notifications.paylinks import paylink_create
from remit.payments.models import (
    Event,
    EventKind,
    Payment,
    ScheduledPayment,
    ScheduleStatus,
    Source,
)
from remit.payments.services.checkout import checkout_of
from remit.receipts.selectors import receipt_for
from remit.statements.selectors import statement_currencies, statement_for

log = logging.getLogger("remit.notifications")

FLOOR_LAG = timedelta(hours=1)
BATCH = 500
HANDLED = (EventKind.PAYMENT_POSTED, EventKind.PAYMENT_FAILED)


def events_derive(*, now: datetime | None = None) -> int:
    """Queue the emails of every event not yet handled; the number of events handled."""
    now = now or timezone.now()
    floor, _ = OutboxFloor.objects.get_or_create(pk=1)
    done = EventMark.objects.filter(event_id__gt=floor.event_id).values("event_id")
    handled, after = 0, floor.event_id
    while True:
        events = list(
            Event.objects.filter(id__gt=after).exclude(id__in=done).order_by("id")[:BATCH]
        )
        for event in events:
            handled += _event_handle(event)
        if len(events) < BATCH:
            break
        after = events[-1].id  # one that failed is tried again next pass, not in a loop
    _floor_raise(floor, now)
    return handled


def _event_handle(event: Event) -> int:
    try:
        with transaction.atomic():
            EventMark.objects.create(event_id=event.id)
            if event.kind in HANDLED:
                _event_emails(event)
    except IntegrityError:  # another worker marked it first
        return 0
    except Exception:  # left unmarked, tried again next pass; the floor waits for it
        log.exception("the emails of event %s (%s) could not be made", event.id, event.kind)
        return 0
    return 1


def _floor_raise(floor: OutboxFloor, now: datetime) -> None:
    """Raise the floor to the highest mark older than FLOOR_LAG, but never past an event
    still unmarked (one whose emails failed to be made is tried again)."""
    done = EventMark.objects.filter(event_id__gt=floor.event_id)
    top = done.filter(at__lt=now - FLOOR_LAG).aggregate(top=Max("event_id"))["top"]
    if top is None:
        return
    waiting = (
        Event.objects.filter(id__gt=floor.event_id, id__lt=top)
        .exclude(id__in=done.values("event_id"))
        .aggregate(first=Min("id"))["first"]
    )
    if waiting is not None:
        top = waiting - 1
    if top <= floor.event_id:
        return
    with transaction.atomic():
        OutboxFloor.objects.filter(pk=1, event_id__lt=top).update(event_id=top)
        EventMark.objects.filter(event_id__lte=top).delete()


def _event_emails(event: Event) -> None:
    payment = (
        Payment.objects.select_related("customer", "method")
        .filter(customer_id=event.customer_id, number=event.object_number)
        .first()
    )
    if payment is None or payment.source == Source.DEMO:
        return
    if event.kind == EventKind.PAYMENT_POSTED:
        receipt_queue(payment)
    elif event.kind == EventKind.PAYMENT_FAILED and payment.source != Source.SCHEDULED:
        failed_queue(payment, reason=str(event.data.get("reason", "")))


def receipt_queue(payment: Payment) -> None:
    """The receipt, sent once the charge is approved (a declined one is never sent)."""
    checkout = checkout_of(payment)
    receipt = receipt_for(checkout.payment, credit_application=checkout.credit_application)
    email_queue(
        customer=payment.customer,
        kind=Kind.RECEIPT,
        cause=f"receipt:{payment.number}",
        subject=f"Receipt {receipt.number}: {receipt.total.format()} received",
        context={"receipt": receipt},
        payment=payment,
    )


def failed_queue(payment: Payment, *, reason: str) -> None:
    invoices = sorted({a.invoice.number for a in payment.allocations.select_related("invoice")})
    link = paylink_create(customer=payment.customer, invoice_numbers=invoices)
    email_queue(
        customer=payment.customer,
        kind=Kind.FAILED,
        cause=f"failed:{payment.number}",
        subject=f"Your payment of {payment.amount.format()} did not go through",
        context={
            "payment": payment,
            "reason": reason or payment.failure_reason or "The payment was declined.",
            "invoices": invoices,
            "pay_link": link.url if link else "",
        },
        payment=payment,
    )


# --- the clock ---------------------------------------------------------------------------


def clock_derive(*, today: date | None = None) -> dict[str, int]:
    """Queue what the date calls for; counts by kind."""
    today = today or timezone.localdate()
    return {
        "schedule_reminders": _schedule_reminders(today),
        "schedule_results": _schedule_results(today),
        "cards_expiring": _cards_expiring(today),
        "overdue": _overdue(today),
        "statements": _monthly_statements(today),
    }


def _schedule_reminders(today: date) -> int:
    days = settings.REMIT_SCHEDULE_REMINDER_DAYS
    made = 0
    for schedule in ScheduledPayment.objects.filter(
        status=ScheduleStatus.SCHEDULED,
        run_on__gt=today,
        run_on__lte=today + timedelta(days=days),
    ).select_related("customer", "method"):
        if not rules.reminder_due(schedule.run_on, today, days):
            continue
        invoices = list(schedule.items.select_related("invoice"))
        total = [i.invoice for i in invoices]
        with transaction.atomic():
            made += len(
                email_queue(
                    customer=schedule.customer,
                    kind=Kind.SCHEDULE_REMINDER,
                    cause=f"schedule_reminder:{schedule.number}",
                    subject=f"A payment of {_money(total, schedule.customer)} is scheduled for "
                    f"{schedule.run_on:%B %-d, %Y}",
                    context={
                        "schedule": schedule,
                        "invoices": [i.invoice for i in invoices],
                        "total": _money(total, schedule.customer),
                    },
                )
            )
    return made


def _schedule_results(today: date) -> int:
    made = 0
    for schedule in ScheduledPayment.objects.filter(
        status__in=[ScheduleStatus.RAN, ScheduleStatus.FAILED],
        run_on__gte=today - timedelta(days=3),
    ).select_related("customer", "method", "payment"):
        ran = schedule.status == ScheduleStatus.RAN
        payment = schedule.payment
        amount = payment.amount.format() if payment else ""
        subject = (
            f"Your scheduled payment of {amount} was made"
            if ran
            else "Your scheduled payment did not go through"
        )
        with transaction.atomic():
            made += len(
                email_queue(
                    customer=schedule.customer,
                    kind=Kind.SCHEDULE_RESULT,
                    cause=f"schedule_result:{schedule.number}",
                    subject=subject,
                    context={"schedule": schedule, "ran": ran, "payment": payment},
                )
            )
    return made


def _cards_expiring(today: date) -> int:
    made = 0
    for schedule in ScheduledPayment.objects.filter(
        status=ScheduleStatus.SCHEDULED, run_on__gte=today
    ).select_related("customer", "method"):
        method = schedule.method
        if not rules.card_expires_before(method.exp_month, method.exp_year, schedule.run_on):
            continue
        with transaction.atomic():
            made += len(
                email_queue(
                    customer=schedule.customer,
                    kind=Kind.CARD_EXPIRING,
                    cause=f"card_expiring:{schedule.number}:{method.pk}",
                    subject=f"{method.display} expires before your payment on "
                    f"{schedule.run_on:%B %-d, %Y}",
                    context={"schedule": schedule, "method": method},
                )
            )
    return made


def _overdue(today: date) -> int:
    """One reminder a day at most per customer, listing each open invoice that reached a
    step (7, 14, 30… days past due) it has not been reminded of. An invoice paid, pending,
    scheduled or void is not open, so payment and schedules stop its reminders."""
    steps = rules.overdue_steps(settings.REMIT_OVERDUE_REMINDERS)
    if not steps:
        return 0
    sent = OverdueStep.objects.values_list("invoice_id", "step")
    done = set(sent)
    today_customers = set(
        OverdueStep.objects.filter(email_day=today).values_list("invoice__customer_id", flat=True)
    )
    due: dict[int, list[tuple[Invoice, int]]] = {}
    for invoice in Invoice.objects.filter(
        status=InvoiceStatus.OPEN, due_date__lte=today - timedelta(days=steps[0])
    ).order_by("customer_id", "due_date", "number"):
        step = rules.step_reached((today - invoice.due_date).days, steps)
        if step is not None and (invoice.pk, step) not in done:
            due.setdefault(invoice.customer_id, []).append((invoice, step))
    made = 0
    for customer_id, items in due.items():
        if customer_id in today_customers:
            continue  # one a day: the rest waits for tomorrow
        customer = Customer.objects.get(pk=customer_id)
        if not recipients(customer, Kind.OVERDUE):
            continue
        invoices = [invoice for invoice, _ in items]
        total = invoices
        # A pay link pays invoices of one currency: those of the oldest overdue invoice's.
        payable = [i.number for i in invoices if i.currency == invoices[0].currency]
        with transaction.atomic():
            OverdueStep.objects.bulk_create(
                [OverdueStep(invoice=i, step=s, email_day=today) for i, s in items]
            )
            link = paylink_create(customer=customer, invoice_numbers=payable)
            made += len(
                email_queue(
                    customer=customer,
                    kind=Kind.OVERDUE,
                    cause=f"overdue:{customer.number}:{today.isoformat()}",
                    subject=f"Overdue: {_money(total, customer)} on "
                    f"{len(invoices)} invoice{'s' if len(invoices) != 1 else ''}",
                    context={
                        "rows": [
                            {"invoice": i, "days": (today - i.due_date).days} for i in invoices
                        ],
                        "total": _money(total, customer),
                        "pay_link": link.url if link else "",
                    },
                )
            )
    return made


def statement_queue(
    *,
    customer: Customer,
    start: date,
    end: date,
    cause: str,
    to: list[Recipient] | None = None,
    currency: str = "",
) -> list:
    """The statement for `start`..`end` in `currency` (default: the customer's), with its
    PDF made when it is sent and a pay link for the invoices still open."""
    statement = statement_for(customer=customer, start=start, end=end, currency=currency)
    link = paylink_create(
        customer=customer, invoice_numbers=[row.invoice for row in statement.open_invoices]
    )
    return email_queue(
        customer=customer,
        kind=Kind.STATEMENT,
        cause=cause,
        subject=f"Statement {start:%B %-d, %Y} to {end:%B %-d, %Y}: "
        f"{statement.closing.format()} due",
        context={"statement": statement, "pay_link": link.url if link else ""},
        data={"from": start.isoformat(), "to": end.isoformat(), "currency": statement.currency},
        to=to,
    )


def _monthly_statements(today: date) -> int:
    """Last month's statement, once, to every customer whose contacts take statements and
    who had something in it (REMIT_MONTHLY_STATEMENTS; sent from the 1st, or later in the
    month if the worker was stopped)."""
    if not getattr(settings, "REMIT_MONTHLY_STATEMENTS", True):
        return 0
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    month = f"statement:monthly:{start:%Y-%m}:"
    done = set(
        Email.objects.filter(kind=Kind.STATEMENT, dedupe_key__startswith=month).values_list(
            "customer_id", flat=True
        )
    )
    made = 0
    for customer in Customer.objects.exclude(pk__in=done):
        if not recipients(customer, Kind.STATEMENT):
            continue
        with transaction.atomic():  # one statement per currency (amounts never mix)
            for currency in statement_currencies(customer=customer):
                statement = statement_for(
                    customer=customer, start=start, end=end, currency=currency
                )
                if not statement.lines and statement.closing.is_zero():
                    continue
                other = "" if currency == customer.currency else f":{currency}"
                made += len(
                    statement_queue(
                        customer=customer,
                        start=start,
                        end=end,
                        cause=month + customer.number + other,
                        currency=currency,
                    )
                )
    return made


def _money(invoices: list[Invoice], customer: Customer) -> str:
    """The balance due on `invoices`, per currency ("$10.00 and €5.00"): never summed across."""
    minor: dict[str, int] = {}
    for invoice in invoices:
        minor[invoice.currency] = minor.get(invoice.currency, 0) + invoice.balance_due_minor
    if not minor:
        return Money.zero(customer.currency).format()
    return " and ".join(Money.from_minor(m, c).format() for c, m in sorted(minor.items()))
