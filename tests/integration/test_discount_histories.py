"""Random histories of early-payment discounts (issue 14): termed and plain invoices,
payments on one invoice (the discounted balance, the full balance, a part), lump sums
spread oldest first and voids, in any order, against a plain-Python model of the rule.
After every step the books audit clean and the database agrees with the model: each
invoice's balance and the live discount booked on it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.invoices.services import invoice_create
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Allocation, Payment
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from tests.factories import make_customer

DAYS = 10
PERCENTS = (Decimal("1"), Decimal("2"), Decimal("2.5"), Decimal("10"))


def usd(minor: int) -> Money:
    return Money.from_minor(minor, "USD")


@dataclass
class InvoiceM:
    number: str
    total: int
    balance: int
    invoice_date: date
    percent: Decimal | None
    discount_live: int = 0

    def offer(self, today: date) -> int:
        """The discount a payment today earns by paying balance - offer (0: none)."""
        if self.percent is None or today > self.invoice_date + timedelta(days=DAYS):
            return 0
        full = int((Decimal(self.total) * self.percent / 100).to_integral_value(ROUND_HALF_UP))
        left = max(full - self.discount_live, 0)
        return left if 0 < left < self.balance else 0


@dataclass
class PaymentM:
    number: str
    allocations: dict[str, int]
    discounts: dict[str, int]
    voided: bool = False


class DiscountHistories(RuleBasedStateMachine):
    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor
        self._example = transaction.atomic()
        self._example.__enter__()
        self.today = date.today()
        self.customer = make_customer()
        self.invoices: dict[str, InvoiceM] = {}
        self.payments: dict[str, PaymentM] = {}
        self.counter = itertools.count(1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _spread(self, amount: int, invoices: list[InvoiceM]) -> tuple[dict, dict]:
        applied, discounts = {}, {}
        for invoice in sorted(invoices, key=lambda i: (i.invoice_date, i.number)):
            if amount <= 0 or invoice.balance <= 0:
                continue
            offer = invoice.offer(self.today)
            if offer and amount >= invoice.balance - offer:
                applied[invoice.number] = invoice.balance - offer
                discounts[invoice.number] = offer
            else:
                applied[invoice.number] = min(amount, invoice.balance)
            amount -= applied[invoice.number]
        return applied, discounts

    def _post(self, amount: int, invoices: list[InvoiceM], named: bool) -> None:
        expected, discounts = self._spread(amount, invoices)
        payment = payment_post(
            customer=self.customer,
            amount=usd(amount),
            payment_type="check",
            idempotency_key=f"h-{next(self.counter)}",
            actor=self.actor,
            source="backoffice",
            invoices=[InvoiceRequest(i.number) for i in invoices] if named else None,
        )
        for number, minor in expected.items():
            self.invoices[number].balance -= minor
        for number, minor in discounts.items():
            self.invoices[number].balance -= minor
            self.invoices[number].discount_live += minor
            event("a discount earned")
        self.payments[payment.number] = PaymentM(payment.number, expected, discounts)

    @initialize(count=st.integers(1, 4))
    def open_the_books(self, count):
        for _ in range(count):
            self._new(Decimal(2), 100_00, 2)

    def _new(self, percent: Decimal | None, total: int, days_ago: int) -> None:
        number = f"INV-H{len(self.invoices) + 1:04d}"
        day = self.today - timedelta(days=days_ago)
        invoice_create(
            customer=self.customer,
            number=number,
            invoice_date=day,
            due_date=day + timedelta(days=30),
            total=usd(total),
            discount_percent=percent,
            discount_days=DAYS if percent is not None else None,
            actor=self.actor,
        )
        self.invoices[number] = InvoiceM(number, total, total, day, percent)

    @rule(
        percent=st.none() | st.sampled_from(PERCENTS),
        total=st.integers(1, 500_00),
        days_ago=st.integers(0, 14),
    )
    def create_invoice(self, percent, total, days_ago):
        self._new(percent, total, days_ago)

    @precondition(lambda self: any(i.balance for i in self.invoices.values()))
    @rule(data=st.data(), how=st.sampled_from(["discounted", "full", "part", "over"]))
    def pay_one_invoice(self, data, how):
        open_ = sorted(n for n, i in self.invoices.items() if i.balance)
        invoice = self.invoices[data.draw(st.sampled_from(open_))]
        offer = invoice.offer(self.today)
        amount = {
            "discounted": invoice.balance - offer,
            "full": invoice.balance,
            "part": data.draw(st.integers(1, invoice.balance)),
            "over": invoice.balance + data.draw(st.integers(1, 1000)),
        }[how]
        self._post(amount, [invoice], named=True)

    @precondition(lambda self: any(i.balance for i in self.invoices.values()))
    @rule(amount=st.integers(1, 1_000_00))
    def post_a_lump_sum_oldest_first(self, amount):
        self._post(amount, [i for i in self.invoices.values() if i.balance], named=False)

    @precondition(lambda self: any(not p.voided for p in self.payments.values()))
    @rule(data=st.data())
    def void_a_payment(self, data):
        live = sorted(n for n, p in self.payments.items() if not p.voided)
        model = self.payments[data.draw(st.sampled_from(live))]
        payment_void(payment=Payment.objects.get(number=model.number), actor=self.actor)
        model.voided = True
        for number, minor in model.allocations.items():
            self.invoices[number].balance += minor
        for number, minor in model.discounts.items():
            self.invoices[number].balance += minor
            self.invoices[number].discount_live -= minor
            event("a discount voided with its payment")

    @invariant()
    def the_books_are_right(self):
        report = books_audit()
        assert report.ok, report.problems

    @invariant()
    def the_database_agrees_with_the_model(self):
        stored = dict(Invoice.objects.values_list("number", "balance_due_minor"))
        assert stored == {n: i.balance for n, i in self.invoices.items()}
        live = dict(
            Allocation.objects.filter(reversed=False, payment__discount_of__isnull=False)
            .values("invoice__number")
            .annotate(total=Sum("amount_minor"))
            .values_list("invoice__number", "total")
        )
        assert live == {n: i.discount_live for n, i in self.invoices.items() if i.discount_live}


@pytest.mark.django_db
def test_random_histories_of_discounts_keep_the_books_right(actor):
    run_state_machine_as_test(
        lambda: DiscountHistories(actor),
        settings=settings(
            max_examples=max(15, settings.default.max_examples // 10),
            stateful_step_count=15,
            deadline=None,
        ),
    )
