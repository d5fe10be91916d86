"""Random histories of invoices and payments through the real services, on the database.

A Hypothesis state machine creates invoices, posts payments (to one invoice, oldest first,
with amounts fixed by hand, short pays with a write-off), applies credit, writes off
balances, moves allocations (unapply to credit, reallocate to another invoice), voids
payments and invoices and imports CSV files, in any order. A customer may be billed in
several currencies: the model keeps an account per customer and currency (its invoices,
payments and credit), and each payment pays the invoices of its own currency. It keeps its
own plain-Python model of what every balance should be, and after every step checks the
books (`books_audit`), the money invariants of DESIGN rules 1, 2 and 7 straight from the
tables, and that the database agrees with the model.

Each example runs inside a savepoint that is rolled back when it ends, so examples do not
see each other's data and the counters created by the migrations survive.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

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

from remit.bank.deposits import DEPOSITABLE, deposit_create
from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import (
    AllocationRefused,
    ApprovalRequired,
    IdempotencyConflict,
    ImportRejected,
    InvalidAmount,
    InvoiceNotPayable,
    NotFound,
    RemitError,
    TransitionRefused,
    VoidRefused,
)
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.invoices.services import invoice_void
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Allocation, CreditEntry, Payment, Source
from remit.payments.services.cancel import invoice_cancel
from remit.payments.services.credit import credit_apply
from remit.payments.services.credit_note import credit_note_issue
from remit.payments.services.invoice_import import invoices_import
from remit.payments.services.moves import payment_reallocate, payment_unapply
from remit.payments.services.offline import payment_post
from remit.payments.services.payout import payout_record
from remit.payments.services.voids import payment_void
from remit.payments.services.writeoff import WriteOffRequest, write_off_post
from tests.factories import make_customer, make_invoice

CURRENCIES = ("USD", "JPY", "BHD")
DIGITS = {"USD": 2, "JPY": 0, "BHD": 3}  # ISO 4217 minor units, independent of the code
OFFLINE = ("check", "money_order", "cash", "paypal", "other")
REASONS = ("bank_fee", "discount", "small_balance", "bad_debt", "other")
HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,description"
)

# Bounded in the default run; the soak profile (max_examples=2000) makes it 200 histories.
STEPS = 25


def examples() -> int:
    return max(25, settings.default.max_examples // 10)


amounts = st.integers(min_value=1, max_value=200_000)  # in minor units
extras = st.one_of(st.just(0), st.integers(min_value=1, max_value=50_000))


def text(minor: int, currency: str) -> str:
    """Minor units as the plain decimal a person would type: 12345 USD -> '123.45'."""
    return f"{Decimal(minor).scaleb(-DIGITS[currency]):f}"


def money(minor: int, currency: str) -> Money:
    return Money.of(text(minor, currency), currency)


# --- the model ------------------------------------------------------------------------


@dataclass
class InvoiceModel:
    number: str
    customer: str
    currency: str
    total: int
    invoice_date: date
    due_date: date
    balance: int
    voided: bool = False

    @property
    def payable(self) -> bool:
        return not self.voided and self.balance > 0

    @property
    def status(self) -> str:
        if self.voided:
            return "void"
        return "paid" if self.balance == 0 else "open"

    @property
    def age(self) -> tuple[date, date, str]:
        return (self.invoice_date, self.due_date, self.number)


@dataclass
class PaymentModel:
    number: str
    customer: str
    type: str
    amount: int
    allocations: dict[str, int]
    """What it applies to each invoice now (moves change it)."""
    credit_created: int
    """The credit it created: its overpayment, and what was unapplied since."""
    order: int
    voided: bool = False
    credits: str = ""
    """The invoice a credit note credits."""
    deposited: bool = False
    """On a deposit slip: its money is in the bank."""

    @property
    def movable(self) -> bool:
        return not self.voided and self.type != "write_off" and bool(self.allocations)


@dataclass
class LastPost:
    kwargs: dict
    number: str


def spread(amount: int, invoices: list[InvoiceModel]) -> tuple[dict[str, int], int]:
    """Oldest first (invoice date, due date, number), each at most its balance."""
    applied: dict[str, int] = {}
    for invoice in sorted(invoices, key=lambda i: i.age):
        take = min(amount, invoice.balance)
        if take > 0:
            applied[invoice.number] = take
            amount -= take
    return applied, amount


# --- the machine ----------------------------------------------------------------------


class RandomHistories(RuleBasedStateMachine):
    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor
        self._example = transaction.atomic()
        self._example.__enter__()
        self.customers: dict[str, Customer] = {}
        """By account: a customer's number for its default currency, NUMBER@CUR for
        another currency it is billed in (the same customer)."""
        self.currency: dict[str, str] = {}
        self.credit: dict[str, int] = {}
        self.invoices: dict[str, InvoiceModel] = {}
        self.payments: dict[str, PaymentModel] = {}
        self.last_post: LastPost | None = None
        self._counter = itertools.count(1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------

    def _number(self, account: str) -> str:
        """The customer number of an account (a new customer's number is its own)."""
        return self.customers[account].number if account in self.customers else account

    def _key(self) -> str:
        return f"history-{next(self._counter)}"

    def _add_customer(self, customer: Customer, currency: str = "") -> str:
        """Open the account of `customer` in `currency` (default: the customer's)."""
        currency = currency or customer.currency
        account = (
            customer.number if currency == customer.currency else f"{customer.number}@{currency}"
        )
        if account not in self.customers:
            self.customers[account] = customer
            self.currency[account] = currency
            self.credit[account] = 0
        return account

    def _payable(self, customer: str | None = None) -> list[InvoiceModel]:
        return [
            i
            for i in self.invoices.values()
            if i.payable and (customer is None or i.customer == customer)
        ]

    def _record(
        self,
        payment: Payment,
        customer: str,
        kind: str,
        amount: int,
        allocations: dict[str, int],
        credit: int,
    ) -> None:
        """The model's side of a payment that went through."""
        assert payment.number not in self.payments, "a new request must make a new payment"
        assert sum(allocations.values()) + credit == amount
        for number, applied in allocations.items():
            self.invoices[number].balance -= applied
            assert self.invoices[number].balance >= 0
        if kind == "credit":
            self.credit[customer] -= amount
        self.credit[customer] += credit
        event("payment made credit" if credit else "payment fully applied")
        self.payments[payment.number] = PaymentModel(
            number=payment.number,
            customer=customer,
            type=kind,
            amount=amount,
            allocations=allocations,
            credit_created=credit,
            order=len(self.payments),
        )

    def _post(self, **kwargs) -> Payment:
        kwargs.setdefault("idempotency_key", self._key())
        payment = payment_post(actor=self.actor, source="backoffice", **kwargs)
        self.last_post = LastPost(kwargs=kwargs, number=payment.number)
        return payment

    def _new_invoice(self, account: str, total: int, days_ago: int, due_in: int) -> None:
        currency = self.currency[account]
        invoice = make_invoice(
            self.customers[account],
            text(total, currency),
            days_ago=days_ago,
            due_in=due_in,
            currency=currency,
        )
        self.invoices[invoice.number] = InvoiceModel(
            number=invoice.number,
            customer=account,
            currency=currency,
            total=total,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            balance=total,
        )

    # --- rules ----------------------------------------------------------------------

    @initialize(
        currencies=st.lists(st.sampled_from(CURRENCIES), min_size=1, max_size=3),
        invoices=st.lists(
            st.tuples(st.integers(0, 2), amounts, st.integers(0, 12), st.integers(0, 3)),
            max_size=6,
        ),
    )
    def open_the_books(self, currencies, invoices):
        accounts = [self._add_customer(make_customer(currency=c)) for c in currencies]
        for which, total, days_ago, due_in in invoices:
            self._new_invoice(accounts[which % len(accounts)], total, days_ago, due_in)

    @rule(data=st.data(), days_ago=st.integers(0, 12), due_in=st.integers(0, 3), total=amounts)
    def create_invoice(self, data, days_ago, due_in, total):
        account = data.draw(st.sampled_from(sorted(self.customers)))
        self._new_invoice(account, total, days_ago, due_in)

    @rule(
        data=st.data(),
        currency=st.sampled_from(CURRENCIES),
        days_ago=st.integers(0, 12),
        due_in=st.integers(0, 3),
        total=amounts,
    )
    def bill_a_customer_in_another_currency(self, data, currency, days_ago, due_in, total):
        """Several currencies per customer: an invoice in a currency that may not be the
        customer's default; payments, credit and moves then keep each currency apart."""
        account = data.draw(st.sampled_from(sorted(self.customers)))
        event("billed in another currency" if currency != self.currency[account] else "billed")
        self._new_invoice(
            self._add_customer(self.customers[account], currency), total, days_ago, due_in
        )

    @precondition(lambda self: self.invoices)
    @rule(data=st.data(), extra=extras, kind=st.sampled_from(OFFLINE))
    def pay_one_invoice(self, data, extra, kind):
        invoice = self.invoices[data.draw(st.sampled_from(sorted(self.invoices)))]
        if invoice.payable:
            amount = data.draw(st.integers(1, invoice.balance)) + extra  # sometimes more
        else:
            amount = data.draw(amounts)
        request = {
            "customer": self.customers[invoice.customer],
            "amount": money(amount, invoice.currency),
            "payment_type": kind,
            "invoices": [InvoiceRequest(invoice.number)],
            "reference": str(next(self._counter)),
        }
        if not invoice.payable:  # paid or void: nothing can be applied to it
            with pytest.raises(InvoiceNotPayable):
                self._post(**request)
            return
        payment = self._post(**request)
        applied = min(amount, invoice.balance)
        self._record(
            payment, invoice.customer, kind, amount, {invoice.number: applied}, amount - applied
        )

    @rule(data=st.data(), kind=st.sampled_from(OFFLINE))
    def post_a_lump_sum_oldest_first(self, data, kind):
        customer = data.draw(st.sampled_from(sorted(self.customers)))
        currency = self.currency[customer]
        payable = self._payable(customer)
        owed = sum(i.balance for i in payable)
        amount = data.draw(
            st.one_of(
                st.integers(1, max(owed, 1)),  # short of what is owed
                st.just(max(owed, 1)),  # exactly what is owed
                st.integers(owed + 1, owed + 20_000),  # more: the rest is credit
            )
        )
        payment = self._post(
            customer=self.customers[customer], amount=money(amount, currency), payment_type=kind
        )
        allocations, credit = spread(amount, payable)
        self._record(payment, customer, kind, amount, allocations, credit)

    @precondition(lambda self: self._payable())
    @rule(data=st.data(), kind=st.sampled_from(OFFLINE))
    def post_with_amounts_chosen_by_hand(self, data, kind):
        customer = data.draw(st.sampled_from(sorted({i.customer for i in self._payable()})))
        currency = self.currency[customer]
        payable = sorted(i.number for i in self._payable(customer))
        named = data.draw(st.lists(st.sampled_from(payable), min_size=1, max_size=4, unique=True))
        fixed = {
            number: data.draw(st.integers(1, self.invoices[number].balance))
            for number in named
            if data.draw(st.booleans())
        }
        mistake = data.draw(st.sampled_from([None, None, None, "over_balance", "over_payment"]))
        if mistake == "over_balance" and fixed:
            number = data.draw(st.sampled_from(sorted(fixed)))
            fixed[number] = self.invoices[number].balance + data.draw(st.integers(1, 1000))
        chosen = sum(fixed.values())
        amount = chosen + data.draw(st.integers(0 if chosen else 1, 30_000))
        if mistake == "over_payment" and chosen > 1:
            amount = data.draw(st.integers(1, chosen - 1))
        request = {
            "customer": self.customers[customer],
            "amount": money(amount, currency),
            "payment_type": kind,
            "invoices": [
                InvoiceRequest(n, money(fixed[n], currency) if n in fixed else None) for n in named
            ],
        }
        too_much = any(m > self.invoices[n].balance for n, m in fixed.items())
        if too_much or chosen > amount:
            event("amounts chosen by hand refused")
            with pytest.raises(AllocationRefused):
                self._post(**request)
            return
        payment = self._post(**request)
        rest, allocations = amount - chosen, dict(fixed)
        spread_over = [self.invoices[n] for n in named if n not in fixed]
        more, credit = spread(rest, spread_over)
        allocations.update(more)
        self._record(payment, customer, kind, amount, allocations, credit)

    @rule(data=st.data(), name_one=st.booleans())
    def apply_credit(self, data, name_one):
        with_credit = sorted(c for c, minor in self.credit.items() if minor > 0)
        anyone = sorted(self.customers)
        customer = data.draw(st.sampled_from(with_credit or anyone) | st.sampled_from(anyone))
        payable = self._payable(customer)
        targets = payable
        requests = None
        if name_one and payable:
            target = data.draw(st.sampled_from(sorted(payable, key=lambda i: i.number)))
            targets, requests = [target], [InvoiceRequest(target.number)]
        available = self.credit[customer]
        owed = sum(i.balance for i in targets)
        call = {
            "customer": self.customers[customer],
            "currency": self.currency[customer],
            "idempotency_key": self._key(),
            "actor": self.actor,
            "source": "backoffice",
            "invoices": requests,
        }
        if available == 0 or owed == 0:  # no credit, or nothing to apply it to
            with pytest.raises(RemitError):
                credit_apply(**call)
            return
        amount = min(available, owed)
        event("credit applied")
        payment = credit_apply(**call)
        allocations, left = spread(amount, targets)
        assert left == 0
        self._record(payment, customer, "credit", amount, allocations, 0)

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def void_a_payment(self, data):
        live = sorted(n for n, p in self.payments.items() if not p.voided)
        every = sorted(self.payments)
        self._void(
            self.payments[data.draw(st.sampled_from(live or every) | st.sampled_from(every))]
        )

    @precondition(
        lambda self: any(p.credit_created and not p.voided for p in self.payments.values())
    )
    @rule(data=st.data())
    def spend_credit_then_void_the_payment_that_made_it(self, data):
        """The history rule 8 is about: an overpayment's credit is applied elsewhere, then
        the overpayment is voided (refused while the credit is in use)."""
        made_credit = sorted(
            n for n, p in self.payments.items() if p.credit_created and not p.voided
        )
        model = self.payments[data.draw(st.sampled_from(made_credit))]
        payable = self._payable(model.customer)
        if payable and self.credit[model.customer]:
            amount = min(self.credit[model.customer], sum(i.balance for i in payable))
            payment = credit_apply(
                customer=self.customers[model.customer],
                currency=self.currency[model.customer],
                idempotency_key=self._key(),
                actor=self.actor,
                source="portal",
            )
            allocations, left = spread(amount, payable)
            assert left == 0
            self._record(payment, model.customer, "credit", amount, allocations, 0)
        self._void(model)

    def _void(self, model: PaymentModel) -> None:
        payment = Payment.objects.get(number=model.number)
        if model.voided:
            with pytest.raises(TransitionRefused):
                payment_void(payment=payment, reason="twice", actor=self.actor)
            return
        if model.credit_created > self.credit[model.customer]:
            # the credit it created was already applied: refused, nothing changes
            event("void refused: its credit was used")
            with pytest.raises(VoidRefused):
                payment_void(payment=payment, reason="credit used", actor=self.actor)
            return
        used_later = any(
            p.type == "credit"
            and not p.voided
            and p.order > model.order
            and p.customer == model.customer
            for p in self.payments.values()
        )
        try:
            payment_void(payment=payment, reason="returned check", actor=self.actor)
        except VoidRefused:
            # A stricter reading of "its credit was already used" is acceptable too; the
            # invariants then check that nothing changed.
            assert model.credit_created > 0 and used_later
            event("void refused: credit used later (strict reading)")
            return
        event(f"void of a {model.type} payment" + (" with credit" if model.credit_created else ""))
        model.voided = True
        for number, applied in model.allocations.items():
            self.invoices[number].balance += applied
        self.credit[model.customer] -= model.credit_created
        if model.type in ("credit", "payout"):  # the credit it used comes back
            self.credit[model.customer] += model.amount

    @precondition(lambda self: self._depositable())
    @rule(data=st.data())
    def deposit_checks_and_cash(self, data):
        """Checks, money orders and cash go to the bank on a deposit slip; a void of one
        later takes its money back out of the bank (a returned check)."""
        ready = self._depositable()
        currency = data.draw(st.sampled_from(sorted({self.currency[p.customer] for p in ready})))
        chosen = data.draw(
            st.lists(
                st.sampled_from([p for p in ready if self.currency[p.customer] == currency]),
                min_size=1,
                unique_by=lambda p: p.number,
            )
        )
        deposit_create(
            payment_numbers=[p.number for p in chosen], deposited_on=date.today(), actor=self.actor
        )
        for model in chosen:
            model.deposited = True
        event(f"deposit of {len(chosen)} payment(s)")

    def _depositable(self) -> list[PaymentModel]:
        return sorted(
            (
                p
                for p in self.payments.values()
                if p.type in DEPOSITABLE and not p.voided and not p.deposited
            ),
            key=lambda p: p.number,
        )

    @precondition(lambda self: self.invoices)
    @rule(data=st.data(), whole=st.booleans(), manager=st.booleans())
    def write_off_a_balance(self, data, whole, manager):
        invoice = self.invoices[data.draw(st.sampled_from(sorted(self.invoices)))]
        amount = (
            None if whole or not invoice.payable else data.draw(st.integers(1, invoice.balance))
        )
        call = {
            "customer": self.customers[invoice.customer],
            "invoice": invoice.number,
            "amount": None if amount is None else money(amount, invoice.currency),
            "reason": data.draw(st.sampled_from(REASONS)),
            "idempotency_key": self._key(),
            "actor": self.actor,
            "source": "backoffice",
            "above_tolerance": manager,
        }
        if not invoice.payable:
            with pytest.raises(InvoiceNotPayable):
                write_off_post(**call)
            return
        if not manager:  # no tolerance configured: a clerk may write off nothing
            with pytest.raises(ApprovalRequired):
                write_off_post(**call)
            return
        amount = invoice.balance if amount is None else amount
        event("balance written off" + (" in full" if amount == invoice.balance else ""))
        payment = write_off_post(**call)
        self._record(payment, invoice.customer, "write_off", amount, {invoice.number: amount}, 0)

    @precondition(lambda self: any(i.balance > 1 for i in self._payable()))
    @rule(data=st.data(), kind=st.sampled_from(OFFLINE), too_much=st.booleans())
    def short_pay_with_a_write_off(self, data, kind, too_much):
        invoice = data.draw(
            st.sampled_from(sorted((i for i in self._payable() if i.balance > 1), key=str))
        )
        paid = data.draw(st.integers(1, invoice.balance - 1))
        left = invoice.balance - paid
        written = (
            left + data.draw(st.integers(1, 100)) if too_much else data.draw(st.integers(1, left))
        )
        currency = invoice.currency
        request = {
            "customer": self.customers[invoice.customer],
            "amount": money(paid, currency),
            "payment_type": kind,
            "invoices": [InvoiceRequest(invoice.number)],
            "write_offs": [WriteOffRequest(invoice.number, money(written, currency), "bank_fee")],
            "above_tolerance": True,
        }
        if too_much:
            with pytest.raises(AllocationRefused):
                self._post(**request)
            self.last_post = None
            return
        event("short pay written off")
        payment = self._post(**request)
        self._record(payment, invoice.customer, kind, paid, {invoice.number: paid}, 0)
        write_off = Payment.objects.get(type="write_off", reference=payment.number)
        self._record(
            write_off, invoice.customer, "write_off", written, {invoice.number: written}, 0
        )

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def issue_a_credit_note(self, data):
        invoice = self.invoices[data.draw(st.sampled_from(sorted(self.invoices)))]
        credited = sum(
            p.amount
            for p in self.payments.values()
            if p.type == "credit_note" and p.credits == invoice.number and not p.voided
        )
        room = invoice.total - credited
        amount = data.draw(st.integers(1, room + 100) if room else st.integers(1, 100))
        call = {
            "customer": self.customers[invoice.customer],
            "invoice": invoice.number,
            "amount": money(amount, invoice.currency),
            "reason": "returned goods",
            "idempotency_key": self._key(),
            "actor": self.actor,
            "source": "backoffice",
        }
        if invoice.voided:
            with pytest.raises(InvoiceNotPayable):
                credit_note_issue(**call)
            return
        if amount > room:
            with pytest.raises(AllocationRefused):
                credit_note_issue(**call)
            return
        note = credit_note_issue(**call)
        applied = min(amount, invoice.balance)
        event("credit note" + (" with credit" if amount > applied else ""))
        allocations = {invoice.number: applied} if applied else {}
        self._record(note, invoice.customer, "credit_note", amount, allocations, amount - applied)
        self.payments[note.number].credits = invoice.number

    @rule(data=st.data(), kind=st.sampled_from(["check", "transfer"]))
    def pay_out_credit(self, data, kind):
        customer = data.draw(st.sampled_from(sorted(self.customers)))
        available = self.credit[customer]
        amount = data.draw(st.integers(1, available + 100) if available else st.integers(1, 100))
        call = {
            "customer": self.customers[customer],
            "amount": money(amount, self.currency[customer]),
            "payout_type": kind,
            "reference": str(next(self._counter)),
            "idempotency_key": self._key(),
            "actor": self.actor,
            "source": "backoffice",
        }
        if amount > available:
            with pytest.raises(RemitError):
                payout_record(**call)
            return
        payment = payout_record(**call)
        event("credit paid out")
        self.credit[customer] -= amount
        self.payments[payment.number] = PaymentModel(
            number=payment.number,
            customer=customer,
            type="payout",
            amount=amount,
            allocations={},
            credit_created=0,
            order=len(self.payments),
        )

    @precondition(lambda self: any(p.movable for p in self.payments.values()))
    @rule(data=st.data(), part=st.booleans())
    def unapply_an_allocation(self, data, part):
        model = self.payments[
            data.draw(st.sampled_from(sorted(n for n, p in self.payments.items() if p.movable)))
        ]
        number = data.draw(st.sampled_from(sorted(model.allocations)))
        applied = model.allocations[number]
        amount = data.draw(st.integers(1, applied)) if part else applied
        currency = self.invoices[number].currency
        payment_unapply(
            payment=Payment.objects.get(number=model.number),
            invoice=number,
            amount=money(amount, currency) if part else None,
            actor=self.actor,
            idempotency_key=self._key(),
        )
        event("allocation unapplied" + (" in part" if amount < applied else ""))
        self._moved(model, number, amount)
        self.invoices[number].balance += amount
        self.credit[model.customer] += amount
        model.credit_created += amount

    @precondition(lambda self: any(p.movable for p in self.payments.values()))
    @rule(data=st.data(), part=st.booleans())
    def reallocate_an_allocation(self, data, part):
        model = self.payments[
            data.draw(st.sampled_from(sorted(n for n, p in self.payments.items() if p.movable)))
        ]
        source = data.draw(st.sampled_from(sorted(model.allocations)))
        targets = sorted(i.number for i in self._payable(model.customer) if i.number != source)
        everything = sorted(n for n in self.invoices if n != source)
        if not everything:
            return
        target = self.invoices[data.draw(st.sampled_from(targets or everything))]
        applied = model.allocations[source]
        amount = data.draw(st.integers(1, applied)) if part else applied
        call = {
            "payment": Payment.objects.get(number=model.number),
            "from_invoice": source,
            "to_invoice": target.number,
            "amount": money(amount, self.currency[model.customer]) if part else None,
            "actor": self.actor,
        }
        if self._number(target.customer) != self._number(model.customer):
            with pytest.raises(NotFound):
                payment_reallocate(**call)
            return
        if not target.payable:
            with pytest.raises(InvoiceNotPayable):
                payment_reallocate(**call)
            return
        if target.currency != self.currency[model.customer]:  # the same customer, billed
            event("reallocation to another currency refused")  # in another currency
            with pytest.raises(InvalidAmount, match="is billed in"):
                payment_reallocate(**call)
            return
        if amount > target.balance:
            with pytest.raises(AllocationRefused):
                payment_reallocate(**call)
            return
        payment_reallocate(**call)
        event("allocation reallocated")
        self._moved(model, source, amount)
        self.invoices[source].balance += amount
        target.balance -= amount
        model.allocations[target.number] = model.allocations.get(target.number, 0) + amount

    def _moved(self, model: PaymentModel, number: str, amount: int) -> None:
        model.allocations[number] -= amount
        if not model.allocations[number]:
            del model.allocations[number]

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def cancel_an_invoice_and_unapply_its_payments(self, data):
        """Cancel and unapply: the money on it goes to credit, its own write-offs and
        credit notes are voided, then it is void."""
        model = self.invoices[data.draw(st.sampled_from(sorted(self.invoices)))]
        invoice = Invoice.objects.get(number=model.number)
        if model.voided:
            with pytest.raises(VoidRefused):
                invoice_cancel(invoice=invoice, reason="cancelled", actor=self.actor)
            return
        saved = copy.deepcopy((self.credit, self.invoices, self.payments))
        on_it = sorted(
            (p for p in self.payments.values() if not p.voided and model.number in p.allocations),
            key=lambda p: p.order,
        )
        own_notes = sorted(
            (
                p
                for p in self.payments.values()
                if p.type == "credit_note"
                and p.credits == model.number
                and not p.voided
                and model.number not in p.allocations
            ),
            key=lambda p: p.order,
        )
        refused = False
        for payment in on_it + own_notes:
            if payment.type == "write_off" or payment.credits == model.number:
                if payment.credit_created > self.credit[payment.customer]:
                    refused = True
                    break
                payment.voided = True
                for number, applied in payment.allocations.items():
                    self.invoices[number].balance += applied
                self.credit[payment.customer] -= payment.credit_created
            else:
                amount = payment.allocations.pop(model.number)
                self.invoices[model.number].balance += amount
                self.credit[payment.customer] += amount
                payment.credit_created += amount
        if refused:
            self.credit, self.invoices, self.payments = saved
            event("cancel refused: a credit note's credit was used")
            with pytest.raises(VoidRefused):
                invoice_cancel(invoice=invoice, reason="cancelled", actor=self.actor)
            return
        invoice_cancel(invoice=invoice, reason="cancelled", actor=self.actor)
        event("invoice cancelled" + (" with payments" if on_it or own_notes else ""))
        self.invoices[model.number].voided = True

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def void_an_invoice(self, data):
        model = self.invoices[data.draw(st.sampled_from(sorted(self.invoices)))]
        invoice = Invoice.objects.get(number=model.number)
        if model.voided or model.balance != model.total:
            with pytest.raises(VoidRefused):
                invoice_void(invoice=invoice, reason="cancelled", actor=self.actor)
            return
        invoice_void(invoice=invoice, reason="cancelled", actor=self.actor)
        model.voided = True

    @precondition(lambda self: self.last_post is not None)
    @rule(same=st.booleans())
    def retry_the_last_post(self, same):
        last = self.last_post
        assert last is not None
        if same:  # the same key and request: the first payment, nothing new
            payment = payment_post(actor=self.actor, source="backoffice", **last.kwargs)
            assert payment.number == last.number
            return
        changed = dict(last.kwargs)
        amount = changed["amount"]
        changed["amount"] = amount + money(1, amount.currency)
        with pytest.raises(IdempotencyConflict):
            payment_post(actor=self.actor, source="backoffice", **changed)

    @rule(
        data=st.data(),
        count=st.integers(1, 3),
        bad=st.sampled_from(
            [
                None,
                None,
                None,
                "negative",
                "bad_date",
                "due_before",
                "unknown_currency",
                "over_precise",
                "duplicate",
            ]
        ),
    )
    def import_a_csv(self, data, count, bad):
        rows: list[tuple[str, str, str, date, date, str, int]] = []
        new_customers: dict[str, str] = {}
        for _ in range(count):
            choice = data.draw(st.sampled_from([*sorted(self.customers), "new"]))
            if choice == "new":
                customer = f"C-H{next(self._counter):05d}"
                currency = data.draw(st.sampled_from(CURRENCIES))
                new_customers[customer] = currency
            else:  # an account: its customer's number, its currency
                customer, currency = choice, self.currency[choice]
            invoice_date = date.today() - timedelta(days=data.draw(st.integers(0, 12)))
            due_date = invoice_date + timedelta(days=data.draw(st.integers(0, 3)))
            number = f"CSV-{next(self._counter):05d}"
            rows.append(
                (
                    number,
                    customer,
                    "Imported Ltd",
                    invoice_date,
                    due_date,
                    currency,
                    data.draw(amounts),
                )
            )
        lines = [
            f"{n},{self._number(c)},{name},{d.isoformat()},{due.isoformat()},{cur},"
            f"{text(t, cur)},imported"
            for n, c, name, d, due, cur, t in rows
        ]
        if bad == "duplicate" and not self.invoices:
            bad = "negative"
        if bad:
            customer = data.draw(st.sampled_from(sorted(self.customers)))
            currency = self.currency[customer]
            fields = {
                "number": f"CSV-{next(self._counter):05d}",
                "date": "2024-03-10",
                "due": "2024-04-09",
                "currency": currency,
                "total": text(1000, currency),
            }
            if bad == "negative":
                fields["total"] = "-" + fields["total"]
            elif bad == "bad_date":
                fields["date"] = "2024-02-30"
            elif bad == "due_before":
                fields["due"] = "2024-03-09"
            elif bad == "unknown_currency":
                fields["currency"] = "QQQ"
            elif bad == "over_precise":
                fields["total"] = text(1000, currency) + ("5" if DIGITS[currency] else ".5")
            elif bad == "duplicate":
                fields["number"] = data.draw(st.sampled_from(sorted(self.invoices)))
            position = data.draw(st.integers(0, len(lines)))
            lines.insert(
                position,
                f"{fields['number']},{self._number(customer)},Bad Line Ltd,{fields['date']},"
                f"{fields['due']},{fields['currency']},{fields['total']},bad",
            )
            with pytest.raises(ImportRejected) as refused:
                invoices_import(
                    csv_text="\n".join([HEADER, *lines]) + "\n", actor=self.actor, source=Source.CLI
                )
            assert position + 2 in [line for line, _ in refused.value.problems]
            event(f"import refused: {bad}")
            return
        invoices_import(
            csv_text="\n".join([HEADER, *lines]) + "\n", actor=self.actor, source=Source.CLI
        )
        for customer, _currency in new_customers.items():
            self._add_customer(Customer.objects.get(number=customer))
            assert self.currency[customer] == _currency
        for number, customer, _, invoice_date, due_date, currency, total in rows:
            self.invoices[number] = InvoiceModel(
                number=number,
                customer=customer,
                currency=currency,
                total=total,
                invoice_date=invoice_date,
                due_date=due_date,
                balance=total,
            )

    # --- after every step -----------------------------------------------------------

    @invariant()
    def the_books_balance(self):
        report = books_audit()
        assert report.ok, report.problems

    @invariant()
    def undeposited_funds_and_the_bank_hold_the_live_offline_money(self):
        """What the journal holds in Undeposited funds and the Bank, by currency, is the
        live offline money not yet deposited, and the live money deposited: a void never
        takes money out of an account that no longer holds it."""
        expected: dict[tuple[str, str], int] = defaultdict(int)
        for p in self.payments.values():
            if p.type in OFFLINE and not p.voided:
                where = Account.BANK if p.deposited else Account.UNDEPOSITED_FUNDS
                expected[where, self.currency[p.customer]] += p.amount
        held: dict[tuple[str, str], int] = defaultdict(int)
        for account, currency, minor in JournalLine.objects.filter(
            account__in=(Account.BANK, Account.UNDEPOSITED_FUNDS)
        ).values_list("account", "currency", "amount_minor"):
            held[account, currency] += minor
        assert {k: v for k, v in held.items() if v} == {k: v for k, v in expected.items() if v}

    @invariant()
    def every_payment_is_its_allocations_plus_the_credit_it_created(self):
        allocated: dict[str, int] = defaultdict(int)
        for number, minor in Allocation.objects.filter(moved=False).values_list(
            "payment__number", "amount_minor"
        ):
            allocated[number] += minor
        created: dict[str, int] = defaultdict(int)
        for number, minor in CreditEntry.objects.filter(kind="created").values_list(
            "payment__number", "amount_minor"
        ):
            created[number] += minor
        for number, amount in Payment.objects.exclude(type="payout").values_list(
            "number", "amount_minor"
        ):
            assert amount == allocated[number] + created[number], number

    @invariant()
    def every_invoice_balance_is_its_total_less_its_live_allocations(self):
        live: dict[str, int] = defaultdict(int)
        for number, minor in Allocation.objects.filter(reversed=False).values_list(
            "invoice__number", "amount_minor"
        ):
            live[number] += minor
        for number, total, balance in Invoice.objects.values_list(
            "number", "total_minor", "balance_due_minor"
        ):
            assert 0 <= balance <= total, number
            assert balance == total - live[number], number

    @invariant()
    def no_customer_credit_is_negative(self):
        sums: dict[tuple[int, str], int] = defaultdict(int)
        for customer, currency, minor in CreditEntry.objects.values_list(
            "customer_id", "currency", "amount_minor"
        ):
            sums[(customer, currency)] += minor
        assert all(total >= 0 for total in sums.values()), sums

    @invariant()
    def the_database_agrees_with_the_model(self):
        assert set(Customer.objects.values_list("number", flat=True)) == {
            c.number for c in self.customers.values()
        }

        stored = {
            number: (balance, status)
            for number, balance, status in Invoice.objects.values_list(
                "number", "balance_due_minor", "status"
            )
        }
        expected = {n: (i.balance, i.status) for n, i in self.invoices.items()}
        assert stored == expected

        payments = {
            number: (status, kind, amount)
            for number, status, kind, amount in Payment.objects.values_list(
                "number", "status", "type", "amount_minor"
            )
        }
        assert payments == {
            n: ("voided" if p.voided else "settled", p.type, p.amount)
            for n, p in self.payments.items()
        }

        live: dict[str, dict[str, int]] = defaultdict(dict)
        for payment, invoice, minor in Allocation.objects.filter(reversed=False).values_list(
            "payment__number", "invoice__number", "amount_minor"
        ):
            assert invoice not in live[payment], "one live allocation per invoice"
            live[payment][invoice] = minor
        for number, model in self.payments.items():
            expected = {} if model.voided else model.allocations
            assert live.get(number, {}) == expected, number

        credit: dict[tuple[str, str], int] = defaultdict(int)
        for customer, currency, minor in CreditEntry.objects.values_list(
            "customer__number", "currency", "amount_minor"
        ):
            credit[(customer, currency)] += minor
        accounts = {(self.customers[a].number, self.currency[a]): a for a in self.customers}
        assert set(credit) <= set(accounts), "credit in a currency the model never billed"
        assert {accounts[k]: credit[k] for k in accounts} == self.credit


@pytest.mark.django_db
def test_stateful_random_histories_keep_the_books_right(actor):
    run_state_machine_as_test(
        lambda: RandomHistories(actor),
        settings=settings(max_examples=examples(), stateful_step_count=STEPS, deadline=None),
    )
