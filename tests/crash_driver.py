"""A process that pays by card and dies on purpose, for tests/integration/test_gateway_crashes.py.

It runs against its own SQLite file (not pytest's test database, which another process
cannot see), so the test drives every step through it:

    python tests/crash_driver.py migrate   DB
    python tests/crash_driver.py crash     DB PLAN_JSON   # never returns: SIGKILLs itself
    python tests/crash_driver.py reconcile DB [KEY]       # prints a JSON report
    python tests/crash_driver.py refund-crash DB POINT    # never returns: SIGKILLs itself
    python tests/crash_driver.py refund-report DB         # prints a JSON report

`crash` sets up one customer, pays each planned payment through `card_payment_submit`,
and kills itself with SIGKILL during the last one, at `plan["crash"]`:

- `before_charge`: the payment and its attempt are committed, the gateway is never asked;
- `after_charge`: the gateway charged (its own store is committed), remit never recorded
  the answer;
- `after_commit`: `card_payment_submit` returned, everything is committed.

`reconcile` reports what both sides hold before `payments_reconcile`, after one run at
once (the crashed charge still in flight, so not judged), after one a few minutes later,
and after a settlement run, so the test can check that the gateway and remit agree. Given KEY, it
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
    """The sandbox, with a process that dies around its `charge` or its `refund`."""

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

    def refund(self, request):
        if self.point == "before_refund":
            _die()
        result = self.real.refund(request)
        if self.point == "after_refund":
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
    from remit.payments.services.card import card_payment_submit
    from remit.payments.services.method import payment_method_add

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


def refund_crash(point: str) -> None:
    """Pay one invoice by card, settle it, then refund it and die at `point`."""
    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.services import customer_create
    from remit.gateways.protocol import CardDetails
    from remit.gateways.sandbox import SandboxGateway
    from remit.invoices.services import invoice_create
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.services.card import card_payment_submit
    from remit.payments.services.method import payment_method_add
    from remit.payments.services.reconcile import payments_settle
    from remit.payments.services.voids import payment_refund

    actor = Actor(label="crash-driver")
    sandbox = SandboxGateway()
    customer = customer_create(number="C-REFUND", name="Refund Test Ltd", actor=actor)
    today = date.today()
    invoice = invoice_create(
        customer=customer,
        number="INV-R-1",
        invoice_date=today - timedelta(days=30),
        due_date=today,
        total=Money.of("430.00", "USD"),
        actor=actor,
    )
    tokenized = sandbox.tokenize_card(CardDetails("4242424242424242", 12, today.year + 3, "123"))
    card = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=actor)
    payment = card_payment_submit(
        customer=customer,
        method=card,
        amount=invoice.balance_due,
        idempotency_key="refund-crash",
        actor=actor,
        source="backoffice",
        invoices=[InvoiceRequest(invoice.number)],
    )
    payments_settle(actor=actor)
    payment_refund(payment=payment, actor=actor, gateway=CrashingGateway(sandbox, point))
    raise SystemExit("the refund returned without a crash")


def refund_report() -> None:
    """After a refund crash: what a second refund says at once, then what the reconciler
    does at once and minutes later, and what both sides hold at each step."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from remit.books.audit import books_audit
    from remit.books.gateway_audit import gateway_audit
    from remit.core.audit import Actor
    from remit.core.errors import RemitError
    from remit.gateways.models import SandboxAction, SandboxCall, SandboxCharge
    from remit.payments.models import GatewayAttempt, Payment
    from remit.payments.services.reconcile import payments_reconcile
    from remit.payments.services.voids import payment_refund

    actor = Actor(label="crash-reconciler")

    def sides() -> dict:
        payment = Payment.objects.get()
        attempt = GatewayAttempt.objects.filter(payment=payment, operation="refund").first()
        return {
            "remit": payment.status,
            "attempt": attempt.outcome if attempt else None,
            "gateway": SandboxCharge.objects.get().status,
            "gateway_refunds": SandboxAction.objects.filter(operation="refund").count(),
            "refund_calls": SandboxCall.objects.filter(operation="refund").count(),
        }

    report: dict[str, Any] = {"crashed": sides()}
    try:
        payment_refund(payment=Payment.objects.get(), actor=actor)
        report["refund_at_once"] = "refunded"
    except RemitError as refusal:
        report["refund_at_once"] = refusal.message
    payments_reconcile(actor=actor)
    report["reconciled_at_once"] = sides()
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=True):
        payments_reconcile(actor=actor)
        report["reconciled_later"] = sides()
        try:
            payment_refund(payment=Payment.objects.get(), actor=actor)
            report["refund_later"] = "refunded"
        except RemitError as refusal:
            report["refund_later"] = refusal.message
        report["audit"] = books_audit().problems + gateway_audit().problems
    print(json.dumps(report))


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
    from remit.payments.models import Payment
    from remit.payments.services.card import card_payment_submit

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
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from remit.core.audit import Actor
    from remit.payments.services.reconcile import payments_reconcile, payments_settle

    actor = Actor(label="crash-reconciler")
    report: dict[str, Any] = {"before": snapshot()}
    if retry_key:
        report["retry"] = resubmit(retry_key)
        report["retried"] = snapshot()
    # At once, the crashed charge is still in flight: the reconciler must not judge it.
    report["at_once_counts"] = payments_reconcile(actor=actor)
    report["at_once"] = snapshot()
    # Minutes later (past its deadline), the worker's reconcile finishes it.
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=True):
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
    elif mode == "refund-crash":
        refund_crash(argv[3])
    elif mode == "refund-report":
        refund_report()
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
