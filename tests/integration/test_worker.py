"""The background worker (`remit worker`): django-tasks' database backend runs the
reconcile and the daily settlement as the system, against the sandbox gateway.

These run with real commits (transaction=True), as the worker does: its task claims and
results are committed rows, and its connection handling expects autocommit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.gateways.protocol import CardDetails, Outcome
from remit.gateways.sandbox import SandboxGateway
from remit.integrations.models import IdempotencyRecord
from remit.invoices.models import Invoice, InvoiceStatus
from remit.main import main as remit
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import MethodKind, Payment, Source
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.states import PaymentStatus
from remit.worker import tasks
from remit.worker.schedule import Schedule
from remit.worker.scheduler import db_worker, last_settlement, run_worker, tick
from remit.worker.tasks import reconcile_task, settle_task
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)

CLERK = Actor(label="clerk-ann")
APPROVES = "4242424242424242"
TIMES_OUT = "4000000000000259"  # charged, then the answer is lost


def card_payment(number: str, key: str) -> tuple[Payment, Invoice]:
    """A portal card payment of one invoice, as submitted (pending at the gateway)."""
    customer = make_customer()
    invoice = make_invoice(customer, "120.00")
    tokenized = SandboxGateway().tokenize_card(CardDetails(number, 12, 2040, "123", "Ann Payer"))
    method = payment_method_add(
        customer=customer, kind=MethodKind.CARD, tokenized=tokenized, actor=CLERK
    )
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=Money.of("120.00", "USD"),
        idempotency_key=key,
        actor=CLERK,
        source=Source.PORTAL,
        invoices=[InvoiceRequest(invoice.number)],
    )
    return payment, invoice


def api_answer(key: str, *, hours_ago: int) -> IdempotencyRecord:
    """An answer the API stored for an Idempotency-Key, `hours_ago` hours ago."""
    return IdempotencyRecord.objects.create(
        owner="api-key:1",
        key=key,
        fingerprint="x",
        method="POST",
        path="/api/v1/payments",
        status=201,
        started_at=timezone.now() - timedelta(hours=hours_ago),
    )


def results() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.order_by("enqueued_at"))


def test_a_pending_card_payment_is_settled_by_the_worker():
    payment, invoice = card_payment(APPROVES, "worker-approves")
    assert payment.status == PaymentStatus.PENDING
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING

    run_worker(once=True)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    reconcile, settle = results()
    assert reconcile.task_path == reconcile_task.module_path
    assert settle.task_path == settle_task.module_path
    assert {reconcile.status, settle.status} == {TaskResultStatus.SUCCESSFUL}
    assert reconcile.return_value == {
        "checked": 1,
        "settled": 0,
        "failed": 0,
        "pending": 1,
        "unknown": 0,
        "in_flight": 0,
        "resumed": 0,
    }
    assert settle.return_value["settled"] == 1
    settled = AuditEvent.objects.get(object_id=payment.number, after__status="settled")
    assert settled.actor == "system:worker"
    assert last_settlement() == settle.enqueued_at
    assert books_audit().ok


def test_remit_worker_once_runs_the_worker_from_the_remit_program(capsys):
    payment, _ = card_payment(APPROVES, "worker-from-the-program")

    assert remit(["worker", "--once", "--settle-at", "23:00"]) == 0

    assert capsys.readouterr().out == "Reconciled and settled once.\n"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert [r.task_path for r in results()] == [reconcile_task.module_path, settle_task.module_path]


def test_a_timeout_card_payment_is_reconciled_by_the_worker():
    payment, invoice = card_payment(TIMES_OUT, "worker-times-out")
    assert payment.status == PaymentStatus.PENDING
    assert payment.gateway_outcome == Outcome.UNKNOWN  # charged, but the answer was lost

    run_worker(once=True)

    reconcile, settle = results()
    # The reconcile found the lost answer (approved), then the settlement settled it.
    assert reconcile.return_value["checked"] == 1
    assert reconcile.return_value["unknown"] == 0
    assert settle.return_value["settled"] == 1
    payment.refresh_from_db()
    assert payment.gateway_outcome == Outcome.APPROVED
    assert payment.status == PaymentStatus.SETTLED
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    found = AuditEvent.objects.get(object_id=payment.number, action="payment.charged")
    assert found.actor == "system:worker"
    assert found.before["gateway_outcome"] == Outcome.UNKNOWN
    assert books_audit().ok


def test_a_failing_task_is_recorded_and_the_next_one_still_runs(monkeypatch):
    payment, _ = card_payment(APPROVES, "worker-fails")

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tasks, "payments_reconcile", broken)
    run_worker(once=True)

    reconcile, settle = results()
    assert reconcile.status == TaskResultStatus.FAILED
    assert "the database went away" in reconcile.traceback
    assert settle.status == TaskResultStatus.SUCCESSFUL  # the worker went on
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED


@pytest.mark.parametrize(
    ("options", "field"),
    [({"settle_at": "25:00"}, "settle_at"), ({"reconcile_every": 0}, "reconcile_every")],
)
def test_bad_options_are_refused_before_anything_is_enqueued(options, field):
    with pytest.raises(RemitError) as refused:
        run_worker(once=True, **options)
    assert refused.value.fields == {field: "invalid"}
    assert not DBTaskResult.objects.exists()


def test_the_loop_reconciles_at_start_and_settles_at_the_cut_off():
    payment, _ = card_payment(APPROVES, "worker-loop")
    now = timezone.now()
    schedule = Schedule.start(
        now=now,
        reconcile_every=300,
        settle_at="23:00",
        zone=timezone.get_default_timezone(),
        last_settlement=None,
    )
    worker = db_worker()

    assert tick(schedule, worker) == ("run_scheduled", "reconcile")
    assert tick(schedule, worker) == ()  # nothing due until the next tick
    assert [r.status for r in results()] == [TaskResultStatus.SUCCESSFUL] * 2
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # authorised, not settled yet

    old_answer, new_answer = api_answer("yesterday", hours_ago=25), api_answer("today", hours_ago=1)
    schedule.next_settlement = timezone.now() - timedelta(seconds=1)  # the cut-off passes
    assert tick(schedule, worker) == ("run_scheduled", "settle", "purge", "gateway_audit")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert schedule.next_settlement > timezone.now()
    assert len(results()) == 6 and all(r.status == TaskResultStatus.SUCCESSFUL for r in results())
    # the API's stored answers are kept a day, then purged at the cut-off
    assert list(IdempotencyRecord.objects.all()) == [new_answer]
    assert not IdempotencyRecord.objects.filter(pk=old_answer.pk).exists()


def test_a_task_enqueued_elsewhere_is_run_on_the_next_tick():
    payment, _ = card_payment(APPROVES, "worker-elsewhere")
    schedule = Schedule.start(
        now=timezone.now(),
        reconcile_every=300,
        settle_at="23:00",
        zone=timezone.get_default_timezone(),
        last_settlement=None,
    )
    schedule.due(timezone.now())  # the start tick has passed
    settle_task.enqueue()  # say, `remit settle --via-worker` or a staff button

    assert tick(schedule, db_worker()) == ()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
