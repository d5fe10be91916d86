"""Scheduled payments: hold chosen invoices now, charge a saved method on a later date.

A scheduled invoice shows Scheduled and cannot be paid again until its schedule runs or
is cancelled. When it runs, the amount is worked out again: an invoice paid or voided
meanwhile is left out, and the schedule records why.

Running is safe with several workers and with crashes. A worker claims a due schedule
under the customer's lock (status running, `claimed_until`); the first claim works out
the amount and the post date once and stores them. The charge goes through
`card_payment_submit` with a key derived from the schedule, so a worker that takes over
an expired claim replays the first charge rather than charging again, and with the
amount of the first claim rather than what is left after it. The schedule ends (ran or
failed, one audit event) once its charge has an answer, under the lock, only if it is
still running.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.core.numbering import next_number
from remit.customers.models import Customer
from remit.gateways.protocol import Gateway
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import invoice_status
from remit.payments.candidates import InvoiceRequest, invoice_candidates_load, invoices_currency
from remit.payments.models import (
    Payment,
    PaymentMethod,
    ScheduledInvoice,
    ScheduledPayment,
    ScheduleStatus,
    Source,
)
from remit.payments.services.card import card_payment_submit
from remit.payments.services.unit_of_work import (
    money_transaction,
    request_fingerprint,
)
from remit.payments.states import Outcome, PaymentStatus

MAX_DAYS_AHEAD = 365
CLAIM = timedelta(minutes=5)  # a worker's hold on a running schedule; longer than a charge


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
    with money_transaction(
        customer, key=idempotency_key, fingerprint=fingerprint, replays=ScheduledPayment
    ) as work:
        if work.first:
            return work.first
        currency = invoices_currency(customer, invoice_numbers)
        candidates = invoice_candidates_load(
            customer, currency, [InvoiceRequest(n) for n in invoice_numbers], lock=True
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
    with money_transaction(schedule.customer):
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
    """Run every schedule due by `today`, and resume any whose worker died.

    Several workers may run this at once: each schedule is claimed by one of them
    (`_claim`), the others skip it, and it ends once, with one audit event."""
    today = today or timezone.localdate()
    due = ScheduledPayment.objects.filter(
        status__in=[ScheduleStatus.SCHEDULED, ScheduleStatus.RUNNING], run_on__lte=today
    ).order_by("run_on", "id")
    counts = {"ran": 0, "failed": 0, "nothing_due": 0, "charging": 0, "skipped": 0}
    for schedule_id in list(due.values_list("pk", flat=True)):
        counts[_run_one(schedule_id, actor=actor, gateway=gateway)] += 1
    return counts


def _run_one(schedule_id: int, *, actor: Actor, gateway: Gateway | None) -> str:
    claimed = _claim(schedule_id, actor=actor)
    if isinstance(claimed, str):
        return claimed
    schedule, to_pay = claimed
    # Charge with a key derived from the schedule and the amount worked out at the claim:
    # a worker that resumes a schedule replays the first charge, whatever has been paid
    # since.
    try:
        payment = card_payment_submit(
            customer=schedule.customer,
            method=schedule.method,
            amount=Money.from_minor(
                schedule.amount_minor, invoices_currency(schedule.customer, to_pay)
            ),
            invoices=[InvoiceRequest(number) for number in to_pay],
            idempotency_key=f"{schedule.number}-run",
            post_date=schedule.charge_date,
            actor=actor,
            source=Source.SCHEDULED,
            gateway=gateway,
            discounts=False,  # its amount is the full balances, worked out at the claim
        )
    except RemitError as refusal:
        return _finish(schedule_id, ScheduleStatus.FAILED, refusal.message, actor, None)
    if payment.status == PaymentStatus.FAILED:
        note = f"{payment.number} declined: {payment.failure_reason}"
        return _finish(schedule_id, ScheduleStatus.FAILED, note, actor, payment)
    if payment.gateway_outcome == Outcome.UNKNOWN:
        _release_claim(schedule_id)  # the charge's answer is not in: a later run ends it
        return "charging"
    note = f"Paid {payment.amount.format()} with {payment.number}."
    return _finish(schedule_id, ScheduleStatus.RAN, note, actor, payment)


def _claim(schedule_id: int, *, actor: Actor) -> tuple[ScheduledPayment, list[str]] | str:
    """Under the customer's lock, take the schedule for this worker until `claimed_until`.

    The first claim releases its invoices, notes those paid or voided meanwhile, and works
    out the amount once. A schedule another worker holds is skipped; one whose worker died
    (its claim expired) is taken over as it stands. Returns the schedule and the invoices
    to pay, or the count to add when there is nothing for this worker to charge."""
    now = timezone.now()
    schedule = ScheduledPayment.objects.select_related("customer", "method").get(pk=schedule_id)
    with money_transaction(schedule.customer):
        schedule = (
            ScheduledPayment.objects.select_for_update(of=("self",))
            .select_related("customer", "method")
            .get(pk=schedule_id)
        )
        claimed = schedule.claimed_until is not None and schedule.claimed_until > now
        if schedule.status == ScheduleStatus.RUNNING and claimed:
            return "skipped"  # another worker is charging it
        if schedule.status not in (ScheduleStatus.SCHEDULED, ScheduleStatus.RUNNING):
            return "skipped"  # another worker ended it
        if schedule.status == ScheduleStatus.SCHEDULED:
            _release(schedule)
            _note_left_out(schedule)
            schedule.status = ScheduleStatus.RUNNING
        if schedule.amount_minor is None:  # the first claim (or one left by an older remit)
            schedule.amount_minor = sum(i.balance_due_minor for i in _to_pay(schedule))
            schedule.charge_date = timezone.localdate()
        schedule.claimed_until = now + CLAIM
        schedule.save(update_fields=["status", "amount_minor", "charge_date", "claimed_until"])
        numbers = [invoice.number for invoice in _to_pay(schedule)]
        if not schedule.amount_minor:
            _end(schedule, ScheduleStatus.RAN, "Nothing was left to pay.", actor, None)
            return "nothing_due"
        return schedule, numbers


def _to_pay(schedule: ScheduledPayment) -> list[Invoice]:
    items = schedule.items.filter(left_out="").select_related("invoice").order_by("invoice_id")
    return [item.invoice for item in items]


def _release_claim(schedule_id: int) -> None:
    ScheduledPayment.objects.filter(pk=schedule_id, status=ScheduleStatus.RUNNING).update(
        claimed_until=timezone.now()
    )


def _finish(schedule_id: int, status: str, note: str, actor: Actor, payment: Payment | None) -> str:
    """End a running schedule once: a second worker finds it ended and changes nothing."""
    schedule = ScheduledPayment.objects.select_related("customer").get(pk=schedule_id)
    with money_transaction(schedule.customer):
        schedule = ScheduledPayment.objects.select_for_update(of=("self",)).get(pk=schedule_id)
        if schedule.status != ScheduleStatus.RUNNING:
            return "skipped"
        _end(schedule, status, note, actor, payment)
    return "ran" if status == ScheduleStatus.RAN else "failed"


def _end(
    schedule: ScheduledPayment, status: str, note: str, actor: Actor, payment: Payment | None
) -> None:
    schedule.status = status
    schedule.outcome = note[:300]
    schedule.payment = payment or schedule.payment
    schedule.claimed_until = None
    schedule.save(update_fields=["status", "outcome", "payment", "claimed_until"])
    audit_record(
        actor=actor, action=f"schedule.{status}", obj=schedule, after={"outcome": schedule.outcome}
    )


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
