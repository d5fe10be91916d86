"""Random histories of card payments and their chargebacks through the real services and
the sandbox gateway: card payments settled, disputes opened (in full or in part), won and
lost, partial refunds, allocations unapplied to credit, checks paying what a dispute
reopened, in any order. After every step the whole books (`remit audit`) and the gateway
(`remit audit --gateway`) agree, and each payment's status is what its history says.

Each example runs inside a savepoint rolled back when it ends (as test_random_histories).
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.db import transaction
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
from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.errors import TransitionRefused
from remit.core.money import Money
from remit.gateways.protocol import CardDetails, DisputeState, GatewayRefused
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.disputes import sandbox_dispute
from remit.payments.services.method import payment_method_add
from remit.payments.services.moves import payment_unapply
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payments_settle
from remit.payments.services.voids import payment_refund
from tests.factories import make_customer, make_invoice
from tests.integration.test_random_histories import STEPS, examples

amounts = st.integers(100, 50_000)  # cents


def usd(minor: int) -> Money:
    return Money.from_minor(minor, "USD")


class DisputeHistories(RuleBasedStateMachine):
    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor
        self._example = transaction.atomic()
        self._example.__enter__()
        self.status: dict[str, str] = {}  # payment number: the status its history says
        self.left: dict[str, int] = {}  # what a dispute may still take (not refunded)
        self.taken = 0  # what open and lost disputes hold
        self.disputed: dict[str, int] = {}
        self._counter = itertools.count(1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _key(self) -> str:
        return f"dispute-history-{next(self._counter)}"

    def _open_invoices(self) -> list[Invoice]:
        return list(
            Invoice.objects.filter(customer=self.customer, status="open", balance_due_minor__gt=0)
        )

    def _payment(self, data, *statuses: str) -> Payment:
        numbers = sorted(n for n, s in self.status.items() if s in statuses)
        return Payment.objects.get(number=data.draw(st.sampled_from(numbers)))

    @initialize(totals=st.lists(amounts, min_size=1, max_size=4))
    def open_the_books(self, totals):
        self.customer = make_customer()
        for days_ago, total in enumerate(totals):
            make_invoice(self.customer, str(usd(total)), days_ago=30 - days_ago)
        tokenized = SandboxGateway().tokenize_card(
            CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
        )
        self.method = payment_method_add(
            customer=self.customer, kind="card", tokenized=tokenized, actor=self.actor
        )

    @rule(data=st.data(), total=amounts)
    def pay_by_card_and_settle(self, data, total):
        invoices = self._open_invoices()
        if not invoices:
            make_invoice(self.customer, str(usd(total)), days_ago=1)
            invoices = self._open_invoices()
        chosen = data.draw(st.lists(st.sampled_from(invoices), min_size=1, unique=True))
        amount = sum(i.balance_due_minor for i in chosen)
        payment = card_payment_submit(
            customer=self.customer,
            method=self.method,
            amount=usd(amount),
            idempotency_key=self._key(),
            actor=self.actor,
            source="portal",
            invoices=[InvoiceRequest(i.number) for i in chosen],
        )
        payments_settle(actor=self.actor)
        self.status[payment.number] = "settled"
        self.left[payment.number] = amount

    @precondition(lambda self: "settled" in self.status.values())
    @rule(data=st.data(), whole=st.booleans())
    def open_a_dispute(self, data, whole):
        payment = self._payment(data, "settled")
        if payment.disputes.exists():  # one dispute per charge, as Stripe
            with pytest.raises(GatewayRefused):
                sandbox_dispute(payment=payment, state=DisputeState.OPEN, actor=self.actor)
            return
        left = self.left[payment.number]
        amount = left if whole else data.draw(st.integers(1, left))
        # No rule here applies credit, so the credit a dispute takes is always there.
        sandbox_dispute(
            payment=payment, state=DisputeState.OPEN, amount=usd(amount), actor=self.actor
        )
        event("dispute opened" + ("" if amount == left else " in part"))
        self.status[payment.number] = "disputed"
        self.disputed[payment.number] = amount
        self.taken += amount

    @precondition(lambda self: "disputed" in self.status.values())
    @rule(data=st.data(), won=st.booleans())
    def decide_a_dispute(self, data, won):
        payment = self._payment(data, "disputed")
        state = DisputeState.WON if won else DisputeState.LOST
        sandbox_dispute(payment=payment, state=state, actor=self.actor)
        event(f"dispute {state}")
        self.status[payment.number] = "settled" if won else "charged_back"
        if won:
            self.taken -= self.disputed[payment.number]

    @precondition(lambda self: self.status)
    @rule(data=st.data())
    def refund_part_of_a_payment(self, data):
        payment = self._payment(data, *set(self.status.values()))
        live = sum(
            payment.allocations.filter(reversed=False).values_list("amount_minor", flat=True)
        )
        if self.status[payment.number] != "settled":
            with pytest.raises(TransitionRefused):
                payment_refund(payment=payment, amount=usd(1), actor=self.actor)
            return
        if live == 0:  # all of it unapplied to credit: a refund would be another story
            return
        amount = data.draw(st.integers(1, live))
        if amount == self.left[payment.number]:
            amount -= 1  # a partial refund, never the full one
        if amount <= 0:
            return
        payment_refund(payment=payment, amount=usd(amount), actor=self.actor)
        event("partial refund")
        self.left[payment.number] -= amount

    @precondition(lambda self: "settled" in self.status.values())
    @rule(data=st.data())
    def unapply_to_credit(self, data):
        payment = self._payment(data, "settled")
        live = list(payment.allocations.filter(reversed=False).select_related("invoice"))
        if not live:
            return
        allocation = data.draw(st.sampled_from(live))
        payment_unapply(
            payment=payment,
            invoice=allocation.invoice.number,
            actor=self.actor,
            idempotency_key=self._key(),
        )
        event("unapplied to credit")

    @rule(data=st.data())
    def pay_an_open_invoice_by_check(self, data):
        invoices = self._open_invoices()
        if not invoices:
            return
        invoice = data.draw(st.sampled_from(invoices))
        payment_post(
            customer=self.customer,
            amount=invoice.balance_due,
            payment_type="check",
            reference=self._key(),
            idempotency_key=self._key(),
            actor=self.actor,
            source="backoffice",
            invoices=[InvoiceRequest(invoice.number)],
        )

    @invariant()
    def the_books_and_the_gateway_agree(self):
        report = books_audit()
        assert report.ok, report.problems
        report = gateway_audit()
        assert report.ok, report.problems

    @invariant()
    def every_card_payment_is_where_its_history_says(self):
        stored = dict(
            Payment.objects.filter(number__in=list(self.status)).values_list("number", "status")
        )
        assert stored == self.status
        held = -sum(
            JournalLine.objects.filter(account=Account.CHARGEBACKS).values_list(
                "amount_minor", flat=True
            )
        )
        assert held == self.taken


@pytest.mark.django_db
def test_random_dispute_histories_keep_the_books_and_the_gateway_right(actor):
    run_state_machine_as_test(
        lambda: DisputeHistories(actor),
        settings=settings(max_examples=examples(), stateful_step_count=STEPS, deadline=None),
    )
