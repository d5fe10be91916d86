"""The worker survives its database connection being cut (issue 10, finding 4).

A real `remit worker` process runs against the test database; the test cuts every
connection the worker holds from the server side (`pg_terminate_backend`, what a
PostgreSQL restart or a failover does), then pays by a card whose answer is lost and
waits for the worker to reconcile it. Before the fix the worker died with
`OperationalError: terminating connection` and stayed down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from remit.core.audit import Actor
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from tests.factories import make_customer, make_invoice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMES_OUT = "4000000000000259"  # charged, then the answer is lost
WAIT = 60  # seconds: the longest any condition below may take to come true


def eventually(condition, what: str, worker: subprocess.Popen) -> None:
    """Poll `condition` until it holds (the worker acts on its own clock)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped ({worker.returncode}): {worker.stderr.read()}")
        assert time.monotonic() < deadline, f"not within {WAIT} s: {what}"
        time.sleep(0.2)


def cut_the_workers_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def worker(tmp_path):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url, "REMIT_VAR_DIR": str(tmp_path)}
    code = "import sys; from remit.main import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "worker", "--reconcile-every", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT)


def test_the_worker_survives_its_connection_being_cut_and_goes_on_reconciling(worker):
    eventually(lambda: DBTaskResult.objects.exists(), "the worker ran its first tasks", worker)

    assert cut_the_workers_connections() >= 1
    customer = make_customer()
    invoice = make_invoice(customer, "75.00")
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(TIMES_OUT, 12, date.today().year + 3, "123", "Ann Payer")
    )
    card = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=Actor("t"))
    payment = card_payment_submit(
        customer=customer,
        method=card,
        amount=invoice.balance_due,
        idempotency_key="after-the-cut",
        actor=Actor(label="clerk"),
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )
    assert payment.gateway_outcome == "unknown"

    eventually(
        lambda: Payment.objects.get(pk=payment.pk).gateway_outcome == "approved",
        "the worker reconciled the lost answer after losing its connection",
        worker,
    )
    # The worker logs "back" once the tick that ran the reconcile is over; a task enqueued
    # after the answer was seen is the next tick's, so by then the line is written.
    seen = timezone.now()
    eventually(
        lambda: DBTaskResult.objects.filter(
            enqueued_at__gt=seen, finished_at__isnull=False
        ).exists(),
        "the worker went on to its next tick",
        worker,
    )
    assert worker.poll() is None, "the worker stopped"
    worker.send_signal(signal.SIGTERM)
    _, log = worker.communicate(timeout=WAIT)
    lost = [line for line in log.splitlines() if "database connection lost" in line]
    if os.environ.get("REMIT_PG_TRANSACTION_POOLING") == "1":
        # Through PgBouncer the cut is the pooler's: it opens new server connections
        # itself, and the worker notices only if it was handed a cut one.
        assert len(lost) <= 1, log
    else:
        assert len(lost) == 1, log  # one line for the one cut
    if lost:
        assert "database connection back" in log
