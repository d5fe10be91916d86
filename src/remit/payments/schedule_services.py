"""Scheduled payments: hold chosen invoices now, charge a saved method on a later date.

A scheduled invoice shows Scheduled and cannot be paid again until its schedule runs or
is cancelled. When it runs, the amount is worked out again: an invoice paid or voided
meanwhile is left out, and the schedule records why. The charge goes through
`card_payment_submit` with a key derived from the schedule, so a worker that crashes
and runs again charges once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import IdempotencyConflict, RemitError
from remit.core.money import Money
from remit.core.numbering import next_number
from remit.customers.models import Customer
from remit.gateways.protocol import Gateway
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import invoice_status
from remit.payments.bookkeeping import lock_customer, request_fingerprint
from remit.payments.candidates import InvoiceRequest, load_candidates
from remit.payments.gateway_services import card_payment_submit
from remit.payments.models import (
    PaymentMethod,
    PaymentStatus,
    ScheduledInvoice,
    ScheduledPayment,
    ScheduleStatus,
    Source,
)

MAX_DAYS_AHEAD = 365


def schedule_create(
    *,
    customer: Customer,
    method: PaymentMethod,
    invoice_numbers: Sequence[str],
    run_on: date,
    idempotency_key: str,
    actor: Actor,
    source: str,
    today: date | None = None,
) -> ScheduledPayment:
    """Hold the invoices for a payment on `run_on` (tomorrow up to a year ahead)."""
    today = today or timezone.localdate()
    if not today < run_on <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise RemitError(
            "Choose a date from tomorrow up to a year ahead.", fields={"run_on": "out of range"}
        )
    if method.customer_id != customer.pk or method.removed:
        raise RemitError(
            "That payment method is not on file for this customer.", fields={"method": "unknown"}
        )
    if not invoice_numbers:
        raise RemitError("Select at least one invoice to schedule.", fields={"invoices": "empty"})
    fingerprint = request_fingerprint(
        "schedule_create", customer.number, method.pk, run_on.isoformat(), sorted(invoice_numbers)
    )
    with transaction.atomic():
        customer = lock_customer(customer)
        first = ScheduledPayment.objects.filter(
            customer=customer, idempotency_key=idempotency_key
        ).first()
        if first is not None:
            if first.request_fingerprint != fingerprint:
                raise IdempotencyConflict(
                    f"The idempotency key was already used for {first.number}, with a "
                    "different request; nothing was scheduled."
                )
            return first
        candidates = load_candidates(
            customer, customer.currency, [InvoiceRequest(n) for n in invoice_numbers], lock=True
        )
        schedule = ScheduledPayment.objects.create(
            number=next_number("schedule", prefix="SCH-"),
            customer=customer,
            method=method,
            run_on=run_on,
            status=ScheduleStatus.SCHEDULED,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            actor=actor.label,
            source=source,
        )
        ScheduledInvoice.objects.bulk_create(
            ScheduledInvoice(schedule=schedule, invoice_id=c.id) for c in candidates
        )
        Invoice.objects.filter(id__in=[c.id for c in candidates]).update(
            status=InvoiceStatus.SCHEDULED
        )
        audit_record(
            actor=actor,
            action="schedule.created",
            obj=schedule,
            idempotency_key=idempotency_key,
            after={
                "run_on": run_on.isoformat(),
                "method": method.display,
                "invoices": [c.number for c in candidates],
            },
        )
        return schedule


def schedule_cancel(*, schedule: ScheduledPayment, actor: Actor) -> ScheduledPayment:
    """Cancel a schedule that has not run; its invoices are released (Open again)."""
    with transaction.atomic():
        lock_customer(schedule.customer)
        schedule = ScheduledPayment.objects.select_for_update().get(pk=schedule.pk)
        if schedule.status != ScheduleStatus.SCHEDULED:
            raise RemitError(
                f"{schedule.number} has already {schedule.get_status_display().lower()}; "
                "it cannot be cancelled."
            )
        released = _release(schedule)
        schedule.status = ScheduleStatus.CANCELLED
        schedule.save(update_fields=["status"])
        audit_record(
            actor=actor, action="schedule.cancelled", obj=schedule, after={"released": released}
        )
        return schedule


def schedules_run_due(
    *, actor: Actor, today: date | None = None, gateway: Gateway | None = None
) -> dict[str, int]:
    """Run every schedule due by `today` (and resume any a crash left running)."""
    today = today or timezone.localdate()
    due = ScheduledPayment.objects.filter(
        status__in=[ScheduleStatus.SCHEDULED, ScheduleStatus.RUNNING], run_on__lte=today
    ).values_list("pk", flat=True)
    counts = {"ran": 0, "failed": 0, "nothing_due": 0}
    for schedule_id in list(due):
        outcome = _run_one(schedule_id, actor=actor, gateway=gateway)
        counts[outcome] += 1
    return counts


def _run_one(schedule_id: int, *, actor: Actor, gateway: Gateway | None) -> str:
    # 1. Release the invoices and decide, under the lock, what is still to pay.
    with transaction.atomic():
        schedule = ScheduledPayment.objects.select_related("customer", "method").get(pk=schedule_id)
        lock_customer(schedule.customer)
        schedule = ScheduledPayment.objects.select_for_update().get(pk=schedule_id)
        if schedule.status == ScheduleStatus.SCHEDULED:
            _release(schedule)
            _note_left_out(schedule)
            schedule.status = ScheduleStatus.RUNNING
            schedule.save(update_fields=["status"])
        elif schedule.status != ScheduleStatus.RUNNING:
            return "nothing_due"  # another worker ran it
        to_pay = list(
            schedule.items.filter(left_out="").select_related("invoice").order_by("invoice_id")
        )
        if not to_pay:
            return _finish(
                schedule,
                ScheduleStatus.RAN,
                "Nothing was left to pay.",
                actor,
                outcome="nothing_due",
            )
        amount = sum(
            (item.invoice.balance_due for item in to_pay), Money.zero(schedule.customer.currency)
        )
    # 2. Charge, with a key derived from the schedule: a re-run after a crash is a replay.
    try:
        payment = card_payment_submit(
            customer=schedule.customer,
            method=schedule.method,
            amount=amount,
            invoices=[InvoiceRequest(item.invoice.number) for item in to_pay],
            idempotency_key=f"{schedule.number}-run",
            actor=actor,
            source=Source.SCHEDULED,
            gateway=gateway,
        )
    except RemitError as refusal:
        return _finish(schedule, ScheduleStatus.FAILED, refusal.message, actor, outcome="failed")
    # 3. Record what happened.
    failed = payment.status == PaymentStatus.FAILED
    note = (
        f"{payment.number} declined: {payment.failure_reason}"
        if failed
        else f"Paid {amount.format()} with {payment.number}."
    )
    schedule.payment = payment
    return _finish(
        schedule,
        ScheduleStatus.FAILED if failed else ScheduleStatus.RAN,
        note,
        actor,
        outcome="failed" if failed else "ran",
    )


def _finish(schedule: ScheduledPayment, status: str, note: str, actor: Actor, *, outcome: str):
    with transaction.atomic():
        schedule.status = status
        schedule.outcome = note[:300]
        schedule.save(update_fields=["status", "outcome", "payment"])
        audit_record(
            actor=actor,
            action=f"schedule.{status}",
            obj=schedule,
            after={"outcome": schedule.outcome},
        )
    return outcome


def _release(schedule: ScheduledPayment) -> list[str]:
    """Give the schedule's invoices back their own status (Open, unless paid meanwhile)."""
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(id__in=schedule.items.values("invoice_id"), status=InvoiceStatus.SCHEDULED)
        .order_by("id")
    )
    for invoice in invoices:
        status = invoice_status(
            voided=False, balance_minor=invoice.balance_due_minor, unsettled_minor=0
        )
        Invoice.objects.filter(pk=invoice.pk).update(status=status)
    return [invoice.number for invoice in invoices]


def _note_left_out(schedule: ScheduledPayment) -> None:
    """Record, per invoice, why it will not be paid now (voided or paid meanwhile)."""
    for item in schedule.items.select_related("invoice"):
        invoice = item.invoice
        reason = {
            InvoiceStatus.VOID: f"{invoice.number} was voided before the payment ran.",
            InvoiceStatus.PAID: f"{invoice.number} was paid before the payment ran.",
            InvoiceStatus.PENDING: f"{invoice.number} was already being paid when it ran.",
        }.get(invoice.status, "")
        if reason:
            item.left_out = reason
            item.save(update_fields=["left_out"])
