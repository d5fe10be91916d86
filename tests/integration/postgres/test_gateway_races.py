"""Races at the gateway boundary with real threads on PostgreSQL (issue 10, findings 1
and 5): a reconcile that meets a charge whose row the gateway has written but not yet
committed, card payments posted while reconciles loop, and five workers running the same
due schedules at once.

The sandbox keeps its store in the same database, so its uncommitted charge is invisible
to another connection exactly as a provider's would be.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import transaction

from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.models import AuditEvent
from remit.customers.models import Customer
from remit.gateways.models import SandboxCharge
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.schedule import schedule_create, schedules_run_due
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, failures, successes, together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SETUP = Actor(label="setup")
APPROVES = "4242424242424242"


def add_card(customer: Customer) -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(APPROVES, 12, date.today().year + 3, "123", "Ann Payer")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=SETUP)


def pay(customer_id: int, method_id: int, number: str, key: str, gateway=None) -> str:
    invoice = Invoice.objects.get(number=number)
    payment = card_payment_submit(
        customer=Customer.objects.get(pk=customer_id),
        method=PaymentMethod.objects.get(pk=method_id),
        amount=invoice.balance_due,
        idempotency_key=key,
        actor=Actor(label=threading.current_thread().name),
        source="portal",
        invoices=[InvoiceRequest(number)],
        gateway=gateway,
    )
    return payment.status


class HeldCharge:
    """The sandbox, holding its charge's transaction open (the row written, not committed)
    until the test releases it."""

    def __init__(self) -> None:
        self.real = SandboxGateway()
        self.written = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name):
        if name in ("real", "written", "release") or name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.real, name)

    def charge(self, request):
        with transaction.atomic():
            result = self.real.charge(request)
            self.written.set()
            assert self.release.wait(timeout=60), "never released"
        return result


def test_a_reconcile_meeting_a_charge_written_but_not_committed_does_not_fail_it():
    customer = make_customer()
    card = add_card(customer)
    invoice = make_invoice(customer, "120.00")
    held = HeldCharge()

    def work(i: int):
        if i == 0:
            return pay(customer.pk, card.pk, invoice.number, "held-1", gateway=held)
        try:
            assert held.written.wait(timeout=60)
            return payments_reconcile(actor=Actor.system("worker"))
        finally:
            held.release.set()

    results = together(2, work)

    assert not failures(results), failures(results)
    status, counts = successes(results)
    assert status == PaymentStatus.PENDING  # approved, waiting for settlement
    assert counts["in_flight"] == 1 and counts["failed"] == 0
    payments_settle(actor=Actor.system("worker"))
    assert Payment.objects.get().status == PaymentStatus.SETTLED
    assert SandboxCharge.objects.get().status == "settled"
    assert gateway_audit().ok, gateway_audit().problems
    assert_books_ok()


def test_card_payments_posted_while_reconciles_loop_all_agree_with_the_gateway():
    customers = [make_customer() for _ in range(4)]
    cards = [add_card(c) for c in customers]
    invoices = [[make_invoice(c, f"{10 + n}.00").number for n in range(15)] for c in customers]
    clerks_done: list[int] = []  # appended to by each clerk's thread when it has finished

    def work(i: int):
        if i < 4:  # four clerks paying
            try:
                return [
                    pay(customers[i].pk, cards[i].pk, number, f"loop-{i}-{n}")
                    for n, number in enumerate(invoices[i])
                ]
            finally:
                clerks_done.append(i)
        rounds = 0
        while len(clerks_done) < 4:  # two reconcilers, round after round
            payments_reconcile(actor=Actor.system(f"worker-{i}"))
            rounds += 1
        return rounds

    results = together(6, work)

    assert not failures(results), failures(results)
    assert Payment.objects.filter(status=PaymentStatus.FAILED).count() == 0
    payments_settle(actor=Actor.system("worker"))
    assert Payment.objects.filter(status=PaymentStatus.SETTLED).count() == 60
    assert SandboxCharge.objects.filter(status="settled").count() == 60
    assert gateway_audit().ok, gateway_audit().problems
    assert_books_ok()


def test_five_workers_running_the_due_schedules_at_once_charge_each_once_and_end_it_once():
    tomorrow = date.today() + timedelta(days=1)
    schedules = []
    for n in range(20):
        customer = make_customer()
        card = add_card(customer)
        invoices = [make_invoice(customer, "40.00"), make_invoice(customer, f"{n + 1}.00")]
        schedules.append(
            schedule_create(
                customer=customer,
                method=card,
                invoice_numbers=[i.number for i in invoices],
                run_on=tomorrow,
                idempotency_key=f"sched-{n}",
                actor=SETUP,
                source="portal",
            )
        )

    results = together(
        5, lambda i: schedules_run_due(actor=Actor.system(f"worker-{i}"), today=tomorrow)
    )

    assert not failures(results), failures(results)
    counts = successes(results)
    assert sum(c["ran"] for c in counts) == 20
    assert sum(c["failed"] for c in counts) == 0
    gateway = SandboxGateway()
    for schedule in ScheduledPayment.objects.select_related("payment"):
        assert schedule.status == "ran", (schedule.number, schedule.outcome)
        assert gateway.calls("charge", f"remit-{schedule.payment.number}-charge") == 1
        endings = AuditEvent.objects.filter(
            object_id=schedule.number, action__in=["schedule.ran", "schedule.failed"]
        )
        assert endings.count() == 1, (schedule.number, list(endings.values_list("action")))
    assert Payment.objects.count() == 20
    assert_books_ok()
