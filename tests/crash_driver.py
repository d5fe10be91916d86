"""A process that pays by card and dies on purpose, for tests/integration/test_gateway_crashes.py.

It runs against its own SQLite file (not pytest's test database, which another process
cannot see), so the test drives every step through it:

    python tests/crash_driver.py migrate   DB
    python tests/crash_driver.py crash     DB PLAN_JSON   # never returns: SIGKILLs itself
    python tests/crash_driver.py reconcile DB [KEY]       # prints a JSON report

`crash` sets up one customer, pays each planned payment through `card_payment_submit`,
and kills itself with SIGKILL during the last one, at `plan["crash"]`:

- `before_charge`: the payment and its attempt are committed, the gateway is never asked;
- `after_charge`: the gateway charged (its own store is committed), remit never recorded
  the answer;
- `after_commit`: `card_payment_submit` returned, everything is committed.

`reconcile` reports what both sides hold before `payments_reconcile`, after it, and after
a settlement run, so the test can check that the gateway and remit agree. Given KEY, it
first submits the payment made with that idempotency key again, exactly as the user
would after an error page, before anything is reconciled.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import date, timedelta
from typing import Any


def _setup_django(db: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.setdefault("REMIT_VAR_DIR", os.path.dirname(db))
    import django

    django.setup()


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingGateway:
    """The sandbox, with a process that dies around its `charge`."""

    def __init__(self, real: Any, point: str) -> None:
        self.real = real
        self.point = point

    def charge(self, request):
        if self.point == "before_charge":
            _die()
        result = self.real.charge(request)
        if self.point == "after_charge":
            _die()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone is the database
    connection.close()


def crash(plan: dict) -> None:
    """Pay `plan["payments"]` in order; die at `plan["crash"]` in the last one."""
    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.services import customer_create
    from remit.gateways.protocol import BankDetails, CardDetails
    from remit.gateways.sandbox import SandboxGateway
    from remit.invoices.services import invoice_create
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.gateway_services import card_payment_submit
    from remit.payments.method_services import payment_method_add

    actor = Actor(label="crash-driver")
    sandbox = SandboxGateway()
    customer = customer_create(number="C-CRASH", name="Crash Test Ltd", actor=actor)
    today = date.today()
    last = len(plan["payments"]) - 1
    for index, step in enumerate(plan["payments"]):
        invoices = [
            invoice_create(
                customer=customer,
                number=f"INV-{index:02d}-{n}",
                invoice_date=today - timedelta(days=30),
                due_date=today,
                total=Money.from_minor(minor, "USD"),
                actor=actor,
            )
            for n, minor in enumerate(step["invoices"])
        ]
        if step["kind"] == "card":
            tokenized = sandbox.tokenize_card(
                CardDetails(step["number"], 12, today.year + 3, "123", "Ann Payer")
            )
        else:
            tokenized = sandbox.tokenize_bank(
                BankDetails(step["routing"], step["account"], "Ann Payer")
            )
        method = payment_method_add(
            customer=customer, kind=step["kind"], tokenized=tokenized, actor=actor
        )
        crashing = index == last
        gateway = CrashingGateway(sandbox, plan["crash"]) if crashing else sandbox
        card_payment_submit(
            customer=customer,
            method=method,
            amount=Money.from_minor(sum(step["invoices"]), "USD"),
            idempotency_key=step["key"],
            actor=actor,
            source="portal",
            invoices=[InvoiceRequest(invoice.number) for invoice in invoices],
            gateway=gateway,
        )
        if crashing:
            _die()  # after_commit (the other points died inside the charge)
    raise SystemExit("the plan ended without a crash")


def snapshot() -> dict:
    """Both sides of every charge: the sandbox's store and remit's payments."""
    from remit.books.audit import books_audit
    from remit.gateways.models import SandboxCall, SandboxCharge
    from remit.payments.models import Payment

    charges = [
        {
            "key": c.idempotency_key,
            "status": c.status,
            "outcome": c.outcome,
            "amount_minor": c.amount_minor,
            "decline_reason": c.decline_reason,
        }
        for c in SandboxCharge.objects.order_by("id")
    ]
    payments = []
    for p in Payment.objects.order_by("id").prefetch_related("attempts", "allocations__invoice"):
        payments.append(
            {
                "number": p.number,
                "key": p.idempotency_key,
                "type": p.type,
                "status": p.status,
                "gateway_outcome": p.gateway_outcome,
                "failure_reason": p.failure_reason,
                "amount_minor": p.amount_minor,
                "charge_keys": [
                    a.idempotency_key for a in p.attempts.all() if a.operation == "charge"
                ],
                "invoices": [
                    {
                        "number": a.invoice.number,
                        "total_minor": a.invoice.total_minor,
                        "balance_minor": a.invoice.balance_due_minor,
                        "status": a.invoice.status,
                        "reversed": a.reversed,
                    }
                    for a in p.allocations.all()
                ],
            }
        )
    charge_calls: dict[str, int] = {}
    for key in SandboxCall.objects.filter(operation="charge").values_list("key", flat=True):
        charge_calls[key] = charge_calls.get(key, 0) + 1
    return {
        "charges": charges,
        "payments": payments,
        "charge_calls": charge_calls,
        "audit_problems": books_audit().problems,
    }


def resubmit(key: str) -> dict:
    """The same request again, with the same idempotency key."""
    from remit.core.audit import Actor
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.gateway_services import card_payment_submit
    from remit.payments.models import Payment

    first = Payment.objects.select_related("customer", "method").get(idempotency_key=key)
    again = card_payment_submit(
        customer=first.customer,
        method=first.method,
        amount=first.amount,
        idempotency_key=key,
        actor=Actor(label="crash-driver"),
        source="portal",
        invoices=[InvoiceRequest(a.invoice.number) for a in first.allocations.order_by("id")],
        post_date=first.post_date,
    )
    return {"first": first.number, "again": again.number}


def reconcile(retry_key: str | None) -> None:
    from remit.core.audit import Actor
    from remit.payments.gateway_services import payments_reconcile, payments_settle

    actor = Actor(label="crash-reconciler")
    report: dict[str, Any] = {"before": snapshot()}
    if retry_key:
        report["retry"] = resubmit(retry_key)
        report["retried"] = snapshot()
    report["reconcile_counts"] = payments_reconcile(actor=actor)
    report["reconciled"] = snapshot()
    report["reconcile_again_counts"] = payments_reconcile(actor=actor)
    report["reconciled_again"] = snapshot()
    payments_settle(actor=actor)
    report["settled"] = snapshot()
    print(json.dumps(report))


def main(argv: list[str]) -> None:
    mode, db = argv[1], argv[2]
    _setup_django(db)
    if mode == "migrate":
        migrate()
    elif mode == "crash":
        crash(json.loads(argv[3]))
    elif mode == "reconcile":
        reconcile(argv[3] if len(argv) > 3 else None)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
