"""Scheduled payments: held invoices, cancel, and the run that recomputes what is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import InvoiceNotPayable, RemitError
from remit.core.money import Money
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import InvoiceStatus
from remit.invoices.services import invoice_void
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import ScheduleStatus
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_cancel, schedule_create, schedules_run_due
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
CLERK = Actor(label="ap-clerk")
TODAY = timezone.localdate()


def card(customer, number="4242424242424242"):
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=12, exp_year=TODAY.year + 3, cvc="123")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)


def schedule(customer, invoices, *, method=None, days=7, key="sch-1"):
    return schedule_create(
        customer=customer,
        method=method or card(customer),
        invoice_numbers=[i.number for i in invoices],
        run_on=TODAY + timedelta(days=days),
        idempotency_key=key,
        actor=CLERK,
        source="portal",
    )


def status_of(invoice) -> str:
    invoice.refresh_from_db()
    return invoice.status


def test_scheduled_invoices_are_held_and_cannot_be_paid_again():
    customer = make_customer()
    first, second = make_invoice(customer, "100.00"), make_invoice(customer, "50.00")
    schedule(customer, [first, second])
    assert [status_of(first), status_of(second)] == ["scheduled", "scheduled"]
    with pytest.raises(InvoiceNotPayable, match="scheduled"):
        payment_post(
            customer=customer,
            amount=Money.of("100", "USD"),
            payment_type="check",
            invoices=[InvoiceRequest(first.number)],
            idempotency_key="k",
            actor=CLERK,
            source="backoffice",
        )
    assert books_audit().ok


def test_cancelling_releases_the_invoices():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    held = schedule(customer, [invoice])
    schedule_cancel(schedule=held, actor=CLERK)
    assert status_of(invoice) == InvoiceStatus.OPEN
    with pytest.raises(RemitError, match="cannot be cancelled"):
        schedule_cancel(schedule=held, actor=CLERK)
    assert books_audit().ok


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_date_outside_tomorrow_to_a_year_ahead_is_refused(days):
    customer = make_customer()
    invoice = make_invoice(customer, "10.00")
    with pytest.raises(RemitError, match="tomorrow up to a year"):
        schedule(customer, [invoice], days=days)
    assert status_of(invoice) == InvoiceStatus.OPEN


def test_the_run_charges_the_balances_due_then_and_leaves_out_a_voided_invoice():
    customer = make_customer()
    kept, voided = make_invoice(customer, "100.00"), make_invoice(customer, "40.00")
    held = schedule(customer, [kept, voided], days=3)
    invoice_void(invoice=voided, actor=CLERK)
    assert schedules_run_due(actor=CLERK, today=TODAY + timedelta(days=2))["ran"] == 0
    counts = schedules_run_due(actor=CLERK, today=TODAY + timedelta(days=3))
    assert counts["ran"] == 1
    held.refresh_from_db()
    assert held.status == ScheduleStatus.RAN
    assert held.payment.amount == Money.of("100.00", "USD")
    assert held.payment.status == PaymentStatus.PENDING
    [left_out] = [item for item in held.items.all() if item.left_out]
    assert left_out.invoice_id == voided.pk and "voided" in left_out.left_out
    assert status_of(kept) == InvoiceStatus.PENDING
    assert SandboxGateway().calls("charge") == 1
    # Running again (a second worker, a restart) charges nothing more.
    schedules_run_due(actor=CLERK, today=TODAY + timedelta(days=3))
    assert SandboxGateway().calls("charge") == 1
    assert books_audit().ok


def test_a_declined_card_fails_the_schedule_with_the_reason_and_reopens_the_invoice():
    customer = make_customer()
    invoice = make_invoice(customer, "25.00")
    held = schedule(customer, [invoice], method=card(customer, "4000000000000002"), days=1)
    schedules_run_due(actor=CLERK, today=TODAY + timedelta(days=1))
    held.refresh_from_db()
    assert held.status == ScheduleStatus.FAILED and "declined" in held.outcome
    assert status_of(invoice) == InvoiceStatus.OPEN
    assert books_audit().ok


def test_the_same_key_schedules_once():
    customer = make_customer()
    invoice = make_invoice(customer, "25.00")
    method = card(customer)
    first = schedule(customer, [invoice], method=method, key="same")
    again = schedule(customer, [invoice], method=method, key="same")
    assert first.pk == again.pk
