"""Exactly once at the gateway under crashes, lost answers, refusals and races (issue 10).

Each test stages one of the findings of issue 10 with a gateway double around the real
sandbox, deterministically: another process's work is run from inside the gateway call
(where remit holds no transaction and no lock), and a process dying is an exception no
`except Exception` can catch. Every test failed on the code before issue 10's fixes.
The same situations, at random and combined, are the fault simulator's (tests/simulation).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import AttemptInProgress
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.gateways.models import SandboxAction, SandboxCharge
from remit.gateways.protocol import CardDetails, ChargeStatus, GatewayRefused, GatewayResult
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import GatewayAttempt, Payment, ScheduledPayment
from remit.payments.services.attempts import NEVER_REACHED
from remit.payments.services.card import card_payment_submit, charge_answer_record
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.schedule import schedule_create, schedules_run_due
from remit.payments.services.voids import payment_refund
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.later import later

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")
WORKER = Actor.system("worker")
APPROVES = "4242424242424242"


class Died(BaseException):
    """The process died here (kill -9): nothing after this point of it runs."""


class Around:
    """The sandbox, with something else happening around one kind of call: `before` runs
    before the gateway acts (another process, or the process dying), `after` after it."""

    def __init__(self, operation: str, *, before=None, after=None) -> None:
        self.real = SandboxGateway()
        self.operation, self.before, self.after = operation, before, after

    def __getattr__(self, name):
        if name in ("real", "operation", "before", "after") or name.startswith("_"):
            raise AttributeError(name)
        real = getattr(self.real, name)
        if name != self.operation:
            return real

        def call(request):
            if self.before:
                self.before()
            result = real(request)
            if self.after:
                self.after()
            return result

        return call


def died():
    raise Died


@pytest.fixture
def customer():
    return make_customer()


@pytest.fixture
def card(customer):
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(APPROVES, 12, date.today().year + 3, "123", "Ann Payer")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)


def pay(customer, card, invoice, *, gateway=None, key="pay-1") -> Payment:
    return card_payment_submit(
        customer=customer,
        method=card,
        amount=invoice.balance_due,
        idempotency_key=key,
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
        gateway=gateway,
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assert_books_ok() -> None:
    report = books_audit()
    assert report.ok, report.problems


# --- finding 1: a reconcile never judges a charge in flight -----------------------------------


def test_a_reconcile_that_meets_a_charge_in_flight_leaves_it_to_its_own_process(customer, card):
    invoice = make_invoice(customer, "120.00")
    seen = {}

    def reconcile_meanwhile():  # another process, while the request is on the wire
        seen["counts"] = payments_reconcile(actor=WORKER, gateway=SandboxGateway())

    payment = pay(customer, card, invoice, gateway=Around("charge", before=reconcile_meanwhile))

    assert seen["counts"]["in_flight"] == 1 and seen["counts"]["failed"] == 0
    assert (payment.status, payment.gateway_outcome) == ("pending", "approved")
    assert SandboxCharge.objects.get().status == ChargeStatus.AUTHORIZED
    assert fresh(invoice).status == "pending"
    payments_settle(actor=WORKER)
    assert fresh(payment).status == PaymentStatus.SETTLED
    assert_books_ok()


def test_a_charge_that_never_reached_the_gateway_fails_only_once_its_deadline_has_passed(
    customer, card
):
    invoice = make_invoice(customer, "120.00")
    with pytest.raises(Died):
        pay(customer, card, invoice, gateway=Around("charge", before=died))
    payment = Payment.objects.get()

    payments_reconcile(actor=WORKER)  # at once: the request may still be on its way
    assert fresh(payment).status == PaymentStatus.PENDING
    assert fresh(invoice).status == "pending"

    with later():
        counts = payments_reconcile(actor=WORKER)
    payment = fresh(payment)
    assert counts["failed"] == 1
    assert (payment.status, payment.failure_reason) == ("failed", NEVER_REACHED)
    assert (fresh(invoice).status, fresh(invoice).balance_due_minor) == ("open", 12000)
    assert not SandboxCharge.objects.exists()
    assert_books_ok()


def test_with_a_gateway_whose_lookups_lag_not_found_is_final_only_after_a_day(customer, card):
    """Stripe's search lags and Stripe keeps keys for 24 hours: until then, not found is
    'not yet'."""
    invoice = make_invoice(customer, "120.00")
    with pytest.raises(Died):
        pay(customer, card, invoice, gateway=Around("charge", before=died))
    payment = Payment.objects.get()
    lagging = SandboxGateway()
    lagging.lookup_final_after = timedelta(hours=24)

    with later():
        payments_reconcile(actor=WORKER, gateway=lagging)
    assert fresh(payment).status == PaymentStatus.PENDING
    with later(timedelta(hours=25)):
        payments_reconcile(actor=WORKER, gateway=lagging)
    assert (fresh(payment).status, fresh(payment).failure_reason) == ("failed", NEVER_REACHED)


# --- finding 2: an interrupted refund completes ----------------------------------------------


@pytest.fixture
def settled(customer, card):
    payment = pay(customer, card, make_invoice(customer, "80.00"))
    payments_settle(actor=WORKER)
    assert fresh(payment).status == PaymentStatus.SETTLED
    return payment


def refund_calls() -> int:
    return SandboxGateway().calls("refund")


def test_a_refund_whose_process_died_after_the_gateway_refunded_is_finished_by_the_reconciler(
    settled,
):
    with pytest.raises(Died):
        payment_refund(payment=settled, actor=CLERK, gateway=Around("refund", after=died))
    assert fresh(settled).status == PaymentStatus.SETTLED  # remit never heard the answer
    assert SandboxCharge.objects.get().status == ChargeStatus.REFUNDED

    # While its request could still be at the gateway, a second refund is told to wait.
    with pytest.raises(AttemptInProgress) as waiting:
        payment_refund(payment=settled, actor=CLERK)
    assert 1 <= waiting.value.retry_after <= 91
    payments_reconcile(actor=WORKER)
    assert fresh(settled).status == PaymentStatus.SETTLED

    with later():
        counts = payments_reconcile(actor=WORKER)
    assert counts["resumed"] == 1
    assert fresh(settled).status == PaymentStatus.REFUNDED
    attempt = GatewayAttempt.objects.get(payment=settled, operation="refund")
    assert attempt.outcome == "approved"
    assert refund_calls() == 1  # finished from the gateway's answer, not sent again
    assert SandboxAction.objects.filter(operation="refund").count() == 1
    assert_books_ok()


def test_a_refund_whose_process_died_before_sending_is_sent_again_once_by_the_user(settled):
    with pytest.raises(Died):
        payment_refund(payment=settled, actor=CLERK, gateway=Around("refund", before=died))
    assert refund_calls() == 0

    with later():
        refunded = payment_refund(payment=settled, actor=CLERK)
    assert refunded.status == PaymentStatus.REFUNDED
    assert refund_calls() == 1
    assert SandboxCharge.objects.get().status == ChargeStatus.REFUNDED
    attempt = GatewayAttempt.objects.get(payment=settled, operation="refund")
    assert (attempt.sends, attempt.idempotency_key) == (2, f"remit-{settled.number}-refund")
    assert_books_ok()


def test_a_refund_whose_answer_was_lost_is_sent_again_with_its_key_and_refunds_once(settled):
    lost = Around("refund")
    lost.after = lambda: (_ for _ in ()).throw(ConnectionResetError("connection reset"))
    with pytest.raises(Exception, match="did not confirm the refund"):
        payment_refund(payment=settled, actor=CLERK, gateway=lost)
    assert fresh(settled).status == PaymentStatus.SETTLED

    refunded = payment_refund(payment=settled, actor=CLERK)  # at once: the answer was lost
    assert refunded.status == PaymentStatus.REFUNDED
    assert SandboxAction.objects.filter(operation="refund").count() == 1
    assert refund_calls() == 2  # sent twice with one key; the gateway refunded once


# --- finding 3: a refusal before sending is not "unknown" ----------------------------------------


class Refusing(SandboxGateway):
    def charge(self, request):
        raise GatewayRefused("The card processor cannot take this amount; nothing was sent.")


def test_a_charge_refused_before_sending_fails_at_once_with_the_refusal_and_reopens(customer, card):
    invoice = make_invoice(customer, "120.00")
    payment = pay(customer, card, invoice, gateway=Refusing())
    assert (payment.status, payment.gateway_outcome) == ("failed", "refused")
    assert payment.failure_reason == "The card processor cannot take this amount; nothing was sent."
    assert (fresh(invoice).status, fresh(invoice).balance_due_minor) == ("open", 12000)
    assert payments_reconcile(actor=WORKER)["checked"] == 0
    assert not SandboxCharge.objects.exists()
    assert_books_ok()


# --- finding 5: one schedule, two workers ------------------------------------------------------


def test_a_second_worker_meeting_a_schedule_being_charged_leaves_it_alone(customer, card):
    invoices = [make_invoice(customer, "40.00"), make_invoice(customer, "60.00")]
    today = date.today()
    schedule = schedule_create(
        customer=customer,
        method=card,
        invoice_numbers=[i.number for i in invoices],
        run_on=today + timedelta(days=1),
        idempotency_key="sched-1",
        actor=CLERK,
        source="portal",
    )
    seen = {}

    def second_worker():
        seen["counts"] = schedules_run_due(actor=WORKER, today=today + timedelta(days=1))

    with later(timedelta(days=1)):
        counts = schedules_run_due(
            actor=WORKER,
            today=today + timedelta(days=1),
            gateway=Around("charge", before=second_worker),
        )
    assert counts["ran"] == 1 and seen["counts"]["skipped"] == 1
    assert seen["counts"]["failed"] == 0
    schedule = ScheduledPayment.objects.get(pk=schedule.pk)
    assert schedule.status == "ran" and schedule.amount_minor == 10000
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1
    endings = schedule_endings(schedule)
    assert endings == ["schedule.ran"]
    assert all(fresh(i).status == "pending" for i in invoices)


def schedule_endings(schedule) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=schedule.number, action__startswith="schedule.")
        .exclude(action="schedule.created")
        .values_list("action", flat=True)
    )


def test_a_schedule_whose_worker_died_mid_charge_is_resumed_with_the_first_amount(customer, card):
    invoices = [make_invoice(customer, "40.00"), make_invoice(customer, "60.00")]
    today = date.today()
    schedule_create(
        customer=customer,
        method=card,
        invoice_numbers=[i.number for i in invoices],
        run_on=today + timedelta(days=1),
        idempotency_key="sched-2",
        actor=CLERK,
        source="portal",
    )
    tomorrow = today + timedelta(days=1)
    with later(timedelta(days=1)):
        with pytest.raises(Died):
            schedules_run_due(actor=WORKER, today=tomorrow, gateway=Around("charge", after=died))
        assert schedules_run_due(actor=WORKER, today=tomorrow)["skipped"] == 1  # still claimed
    with later(timedelta(days=1, minutes=10)):  # the dead worker's claim has expired
        # Taken over: the charge is replayed, its answer is still to be learnt...
        assert schedules_run_due(actor=WORKER, today=tomorrow)["charging"] == 1
        payments_reconcile(actor=WORKER)  # ...which the worker's reconcile does
        counts = schedules_run_due(actor=WORKER, today=tomorrow)
    assert counts["ran"] == 1
    payment = Payment.objects.get()
    assert payment.amount == Money.of("100.00", "USD")  # the first claim's amount, replayed
    assert SandboxCharge.objects.count() == 1
    assert schedule_endings(ScheduledPayment.objects.get()) == ["schedule.ran"]
    assert Invoice.objects.filter(status="pending").count() == 2


def test_recording_one_answer_twice_changes_nothing(customer, card):
    invoice = make_invoice(customer, "120.00")
    payment = pay(customer, card, invoice)
    events = payment.events.count()
    for _ in range(3):
        payments_reconcile(actor=WORKER)
    assert payment.events.count() == events  # nothing new was learnt, nothing written
    again = GatewayResult(outcome="approved", charge_status=ChargeStatus.AUTHORIZED)
    charge_answer_record(payment.pk, again, actor=WORKER, gateway=SandboxGateway())
    assert payment.events.count() == events
