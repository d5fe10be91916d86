"""One simulated history: customers, their invoices and payment methods, and a seeded
sequence of operations through remit's real services, with faults, interleaved
processes and the passing of time; then recovery until quiet.

Operations are what users and the worker do: pay by card or bank (one or several
invoices), check out with credit first, post a check, repeat an earlier request with its
key (a user after an error page), void, refund, settle, reconcile, schedule and run
schedules, deliver a webhook (late, repeated, out of order), and let time pass.

Processes are interleaved deterministically: while one process's request is on the wire
to the gateway (outside any transaction, where remit holds no lock), the gateway double
may let other processes run whole operations first (`interleave`). One thread, one
connection, so a seed replays exactly on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.db import OperationalError, connection
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import BankDetails, CardDetails
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import GatewayAttempt, Payment, PaymentMethod, Source
from remit.payments.selectors import credit_balance
from remit.payments.services.card import card_payment_submit
from remit.payments.services.checkout import checkout_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payment_sync, payments_reconcile, payments_settle
from remit.payments.services.schedule import schedule_create, schedules_run_due
from remit.payments.services.voids import payment_refund, payment_void
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.simulation.faults import Dice, Killed, StatementFaults
from tests.simulation.gateway_double import SimGateway

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACTOR = Actor(label="sim")
MAX_DEPTH = 2  # processes started while another's request is on the wire, nested

CARDS = {
    "approves": "4242424242424242",
    "declines": "4000000000000002",
    "insufficient": "4000000000009995",
    "times_out": "4000000000000259",
    "refuses_void": "4000000000000341",
}
BANKS = {"bank_settles": "000123456789", "bank_returned": "000111111113"}
ROUTING = "110000000"


class World:
    def __init__(self, seed: int, *, steps: int, fault_rate: float = 0.35) -> None:
        self.seed = seed
        self.dice = Dice(seed, fault_rate=fault_rate)
        self.steps = steps
        self.statements = StatementFaults()
        self.trace: list[str] = []
        self.depth = 0
        self.doing: list[str] = []  # the operations under way, outermost first
        self.base_depth = 0
        self.retries: list[tuple[str, Callable[[], Any]]] = []
        self.keys = itertools.count(1)
        style = self.dice.rng.choice(["sandbox", "stripe"])
        self.gateway = SimGateway(self, style=style)
        self.customers: list[Customer] = []
        self.methods: dict[int, list[PaymentMethod]] = {}
        self.clock: Any = None

    # --- running a history ------------------------------------------------------------------
    def play(self) -> None:
        """Set up, run the operations, then recover until quiet. Call inside a transaction
        that the caller rolls back; the clock is the history's own."""
        traveller = time_machine.travel(START, tick=False)
        self.clock = traveller.start()
        try:
            self.base_depth = len(connection.savepoint_ids)
            self.note(f"seed {self.seed}, gateway style {self.gateway.style}")
            with connection.execute_wrapper(self.statements):
                self._set_up()
                for _ in range(self.steps):
                    self.step()
                self.recover()
        finally:
            traveller.stop()

    def step(self, name: str | None = None) -> None:
        ops = self._operations()
        if name is None:
            names = sorted(ops)
            name = self.dice.rng.choices(names, weights=[ops[n][0] for n in names])[0]
        self.doing.append(name)
        try:
            ops[name][1]()
        finally:
            self.doing.pop()

    def interleave(self, why: str) -> None:
        """Other processes act now, while this one waits on the gateway. Half the time one
        does the same thing (two workers on one task, two tabs on one form)."""
        if self.depth >= MAX_DEPTH or not self.dice.faults_on or not self.dice.chance(0.3):
            return
        self.note(f"-- {why}, another process runs:")
        for _ in range(self.dice.rng.randint(1, 2)):
            same = self.doing and self.dice.chance(0.5)
            self.step(self.doing[-1] if same else None)

    def note(self, line: str) -> None:
        self.trace.append("  " * self.depth + line)

    def run(self, label: str, call: Callable[[], Any]) -> Any:
        """One operation of one process, with whatever statement fault the dice arm."""
        self.depth += 1
        try:
            with self.statements.operation(self.dice) as armed:
                self.note(f"{label}" + (f" [{armed}]" if armed else ""))
                try:
                    result = call()
                except Killed as killed:
                    self._forget_injected_fault()
                    self.note(f"=> process killed ({killed})")
                    return None
                except OperationalError:
                    self._forget_injected_fault()
                    self.note("=> database connection dropped")
                    return None
                except RemitError as refusal:
                    self.note(f"=> refused: {refusal.message}")
                    return None
            self.note(f"=> {_describe(result)}")
            return result
        finally:
            self.depth -= 1

    def _forget_injected_fault(self) -> None:
        """A fault struck outside remit's transactions: in production that statement fails
        on its own (autocommit). Here the history's own transaction was marked broken by
        Django, though the injected fault never reached the database: unmark it."""
        if len(connection.savepoint_ids) == self.base_depth:
            connection.needs_rollback = False

    def recover(self) -> None:
        """What an operator's installation does after the storm: the gateway finishes what
        it received, time passes, the worker runs schedules, reconciles and settles, until
        nothing changes."""
        self.dice.faults_on = False
        self.note("-- recovery")
        self.gateway.land_deferred(everything=True)
        last = None
        for _ in range(8):
            self.clock.shift(timedelta(hours=25))
            self.run("run scheduled", lambda: schedules_run_due(actor=ACTOR))
            self.run("reconcile", lambda: payments_reconcile(actor=ACTOR))
            self.run("settle", lambda: payments_settle(actor=ACTOR))
            now = _snapshot()
            if now == last:
                return
            last = now
        self.note("-- recovery did not become quiet")

    # --- set-up -------------------------------------------------------------------------------
    def _set_up(self) -> None:
        rng = self.dice.rng
        with self.statements.suspended():
            for _ in range(rng.randint(1, 2)):
                customer = make_customer()
                self.customers.append(customer)
                for _ in range(rng.randint(3, 7)):
                    cents = rng.randint(1_000, 50_000)
                    make_invoice(customer, _text(cents), days_ago=rng.randint(1, 90))
                self.methods[customer.pk] = [
                    self._card(customer, number) for number in CARDS.values()
                ] + [self._bank(customer, account) for account in BANKS.values()]

    def _card(self, customer: Customer, number: str) -> PaymentMethod:
        token = self.gateway.real.tokenize_card(CardDetails(number, 12, START.year + 3, "123"))
        return payment_method_add(customer=customer, kind="card", tokenized=token, actor=ACTOR)

    def _bank(self, customer: Customer, account: str) -> PaymentMethod:
        token = self.gateway.real.tokenize_bank(BankDetails(ROUTING, account))
        return payment_method_add(customer=customer, kind="bank", tokenized=token, actor=ACTOR)

    # --- the operations -------------------------------------------------------------------------
    def _operations(self) -> dict[str, tuple[int, Callable[[], None]]]:
        return {
            "pay": (6, self.pay),
            "checkout": (2, self.checkout),
            "post_check": (2, self.post_check),
            "retry": (3, self.retry),
            "void": (2, self.void),
            "refund": (2, self.refund),
            "settle": (1, lambda: self.run("settle", lambda: payments_settle(actor=ACTOR))),
            "reconcile": (
                3,
                lambda: self.run("reconcile", lambda: payments_reconcile(actor=ACTOR)),
            ),
            "schedule": (2, self.schedule),
            "run_scheduled": (
                2,
                lambda: self.run("run scheduled", lambda: schedules_run_due(actor=ACTOR)),
            ),
            "webhook": (2, self.webhook),
            "time_passes": (3, self.time_passes),
            "gateway_catches_up": (1, lambda: self.gateway.land_deferred(everything=False)),
        }

    def pay(self) -> None:
        rng = self.dice.rng
        customer = rng.choice(self.customers)
        chosen = self._open_invoices(customer, rng.randint(1, 3))
        if not chosen:
            return
        method = rng.choice(self.methods[customer.pk])
        due = sum(i.balance_due_minor for i in chosen)
        minor = due if rng.random() < 0.75 else rng.randint(1, due)
        amount = Money.from_minor(minor, customer.currency)
        key = self._key("pay")
        today = timezone.localdate()
        requests = [InvoiceRequest(i.number) for i in chosen]

        def call():
            return card_payment_submit(
                customer=customer,
                method=method,
                amount=amount,
                invoices=requests,
                idempotency_key=key,
                actor=ACTOR,
                source=Source.API,
                post_date=today,
            )

        label = f"pay {amount} {method.display} for {[i.number for i in chosen]} key {key}"
        self._remember(label, call)
        self.run(label, call)

    def checkout(self) -> None:
        rng = self.dice.rng
        customer = rng.choice(self.customers)
        if not credit_balance(customer=customer, currency=customer.currency).is_positive():
            return
        chosen = self._open_invoices(customer, rng.randint(1, 3))
        if not chosen:
            return
        method = rng.choice(self.methods[customer.pk])
        key = self._key("checkout")
        numbers = [i.number for i in chosen]

        def call():
            return checkout_submit(
                customer=customer,
                invoice_numbers=numbers,
                method=method,
                use_credit=True,
                key=key,
                actor=ACTOR,
            )

        label = f"checkout {numbers} credit first, then {method.display}, key {key}"
        self._remember(label, call)
        self.run(label, call)

    def post_check(self) -> None:
        rng = self.dice.rng
        customer = rng.choice(self.customers)
        chosen = self._open_invoices(customer, 1)
        if not chosen:
            return
        minor = chosen[0].balance_due_minor + rng.choice([0, rng.randint(1, 20_000)])
        amount = Money.from_minor(minor, customer.currency)
        key = self._key("check")
        today = timezone.localdate()

        def call():
            return payment_post(
                customer=customer,
                amount=amount,
                payment_type="check",
                idempotency_key=key,
                actor=ACTOR,
                source=Source.API,
                invoices=[InvoiceRequest(chosen[0].number)],
                reference="4411",
                post_date=today,
            )

        label = f"post check {amount} on {chosen[0].number} key {key}"
        self._remember(label, call)
        self.run(label, call)

    def retry(self) -> None:
        if self.retries:
            label, call = self.dice.rng.choice(self.retries)
            self.run(f"retry: {label}", call)

    def void(self) -> None:
        payment = self._a_payment(gateway_only=self.dice.chance(0.8))
        if payment is not None:
            self.run(
                f"void {payment.number} ({payment.status})",
                lambda: payment_void(payment=payment, reason="sim", actor=ACTOR),
            )

    def refund(self) -> None:
        payment = self._a_payment(gateway_only=True)
        if payment is not None:
            self.run(
                f"refund {payment.number} ({payment.status})",
                lambda: payment_refund(payment=payment, actor=ACTOR),
            )

    def schedule(self) -> None:
        rng = self.dice.rng
        customer = rng.choice(self.customers)
        chosen = self._open_invoices(customer, rng.randint(1, 2))
        if not chosen:
            return
        method = rng.choice(self.methods[customer.pk])
        key = self._key("schedule")
        run_on = timezone.localdate() + timedelta(days=1)
        numbers = [i.number for i in chosen]
        self.run(
            f"schedule {numbers} with {method.display} on {run_on}",
            lambda: schedule_create(
                customer=customer,
                method=method,
                invoice_numbers=numbers,
                run_on=run_on,
                idempotency_key=key,
                actor=ACTOR,
                source=Source.API,
            ),
        )

    def webhook(self) -> None:
        keys = list(
            GatewayAttempt.objects.filter(operation="charge")
            .order_by("id")
            .values_list("idempotency_key", flat=True)
        )
        if keys:
            key = self.dice.rng.choice(keys)
            self.run(
                f"webhook about {key}",
                lambda: payment_sync(charge_key=key, actor=Actor.system("webhook")),
            )

    def time_passes(self) -> None:
        rng = self.dice.rng
        if rng.random() < 0.25:  # to tomorrow morning: schedules fall due
            now = timezone.now()
            tomorrow = datetime.combine(now.date() + timedelta(days=1), now.time(), now.tzinfo)
            self.clock.move_to(tomorrow.replace(hour=9, minute=0))
        else:
            self.clock.shift(timedelta(seconds=rng.choice([1, 5, 20, 45, 90, 200, 400])))
        self.note(f"time passes: {timezone.now():%Y-%m-%d %H:%M:%S}")

    # --- helpers ----------------------------------------------------------------------------
    def _open_invoices(self, customer: Customer, count: int) -> list[Invoice]:
        open_ = list(
            Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).order_by("id")
        )
        if not open_:
            return []
        return sorted(self.dice.rng.sample(open_, min(count, len(open_))), key=lambda i: i.id)

    def _a_payment(self, *, gateway_only: bool) -> Payment | None:
        payments = Payment.objects.exclude(status=PaymentStatus.FAILED).order_by("id")
        if gateway_only:
            payments = payments.filter(type__in=["card", "bank"])
        payments = list(payments)
        return self.dice.rng.choice(payments) if payments else None

    def _key(self, what: str) -> str:
        return f"sim-{self.seed}-{what}-{next(self.keys)}"

    def _remember(self, label: str, call: Callable[[], Any]) -> None:
        self.retries.append((label, call))


def _snapshot() -> tuple:
    return (
        tuple(Payment.objects.order_by("id").values_list("id", "status", "gateway_outcome")),
        tuple(GatewayAttempt.objects.order_by("id").values_list("id", "outcome")),
    )


def _text(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):f}"


def _describe(result: Any) -> str:
    if isinstance(result, Payment):
        return f"{result.number} {result.status}"
    if hasattr(result, "credit_application"):  # a checkout
        credit = result.credit_application
        return f"{result.payment.number} {result.payment.status}" + (
            f" (credit {credit.number} {credit.status})" if credit else ""
        )
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items() if v)
    if hasattr(result, "number"):
        return f"{result.number} {getattr(result, 'status', '')}"
    return str(result)


def today() -> date:
    return timezone.localdate()
