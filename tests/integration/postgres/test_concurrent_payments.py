"""Many clerks at once (DESIGN rule 9), with real threads and real row locks.

Each thread has its own database connection (Django's are per thread) and closes it at
the end. The threads wait at a barrier and then call the service together, so the locks,
not luck, keep the books right.

`serialized_rollback=True`: a transactional test ends with a flush that empties every
table, the numbering counters created by core's migrations included; restoring the
migrations' data before each test keeps `next_number` working here.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db.models import Q, Sum

from remit.core.audit import Actor
from remit.core.errors import InvoiceNotPayable, RemitError, TransitionRefused
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Allocation, CreditEntry, Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.services.credit import credit_apply
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, failures, successes, together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def assert_no_invoice_over_allocated(invoices: list[Invoice]) -> None:
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        live = (
            Allocation.objects.filter(invoice=invoice, reversed=False).aggregate(
                total=Sum("amount_minor")
            )["total"]
            or 0
        )
        assert invoice.balance_due_minor >= 0, invoice.number
        assert live <= invoice.total_minor, f"{invoice.number} is over-allocated"
        assert invoice.balance_due_minor == invoice.total_minor - live, invoice.number


def post(customer_id: int, amount: str, key: str, invoices=None) -> str:
    customer = Customer.objects.get(pk=customer_id)
    payment = payment_post(
        customer=customer,
        amount=usd(amount),
        payment_type=PaymentType.CHECK,
        idempotency_key=key,
        actor=Actor(label=f"clerk-{threading.current_thread().name}"),
        source="backoffice",
        invoices=invoices,
        reference="4411",
    )
    return payment.number


def test_twenty_clerks_paying_the_same_three_invoices_in_full_pay_them_once():
    customer = make_customer()
    invoices = [make_invoice(customer, total) for total in ("100.00", "250.00", "75.50")]
    requests = [InvoiceRequest(i.number, i.balance_due) for i in invoices]

    results = together(THREADS, lambda i: post(customer.pk, "425.50", f"full-{i}", requests))

    assert len(successes(results)) == 1
    losers = failures(results)
    assert len(losers) == THREADS - 1
    assert all(isinstance(error, InvoiceNotPayable) for error in losers), losers
    assert Payment.objects.count() == 1
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.balance_due_minor == 0
    assert_no_invoice_over_allocated(invoices)
    assert not CreditEntry.objects.exists()
    assert_books_ok()


def test_twenty_clerks_paying_parts_of_the_same_invoices_pay_only_what_the_balances_allow():
    customer = make_customer()
    invoices = [make_invoice(customer, "100.00") for _ in range(3)]

    def work(i: int) -> str:
        # Each clerk names the invoices in its own order: locks are still taken in id order.
        requests = [InvoiceRequest(inv.number, usd("10.00")) for inv in invoices]
        random.Random(i).shuffle(requests)
        return post(customer.pk, "30.00", f"part-{i}", requests)

    results = together(THREADS, work)

    assert len(successes(results)) == 10  # 3 x 100.00 in payments of 3 x 10.00
    assert all(isinstance(error, InvoiceNotPayable) for error in failures(results))
    assert len(set(successes(results))) == 10
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert invoice.status == InvoiceStatus.PAID
    assert_no_invoice_over_allocated(invoices)
    assert_books_ok()


def test_twenty_requests_with_one_idempotency_key_post_one_payment():
    customer = make_customer()
    invoices = [make_invoice(customer, "100.00") for _ in range(3)]
    requests = [InvoiceRequest(i.number) for i in invoices]

    results = together(THREADS, lambda i: post(customer.pk, "300.00", "one-key", requests))

    assert failures(results) == []
    numbers = successes(results)
    assert len(numbers) == THREADS
    assert len(set(numbers)) == 1
    assert Payment.objects.filter(customer=customer).count() == 1
    assert Allocation.objects.count() == 3
    assert_no_invoice_over_allocated(invoices)
    assert_books_ok()


def test_twenty_oldest_first_batches_at_once_never_allocate_more_than_is_due():
    customer = make_customer()
    invoices = [make_invoice(customer, "100.00", days_ago=days) for days in (90, 60, 45, 30, 5)]
    due = sum(i.total_minor for i in invoices)

    results = together(THREADS, lambda i: post(customer.pk, "60.00", f"batch-{i}"))

    assert failures(results) == []
    assert len(set(successes(results))) == THREADS
    allocated = Allocation.objects.filter(reversed=False).aggregate(total=Sum("amount_minor"))
    assert allocated["total"] == due  # 20 x 60.00 covers all 500.00
    assert_no_invoice_over_allocated(invoices)
    assert Invoice.objects.filter(~Q(status=InvoiceStatus.PAID)).count() == 0
    paid_in = THREADS * 6000
    assert credit_balance(customer=customer, currency="USD") == Money.from_minor(
        paid_in - due, "USD"
    )
    assert_books_ok()


def test_ten_clerks_voiding_the_same_payment_void_it_once():
    customer = make_customer()
    invoices = [make_invoice(customer, "100.00") for _ in range(2)]
    number = post(customer.pk, "250.00", "to-void")

    def work(i: int) -> str:
        payment = Payment.objects.get(number=number)
        return payment_void(payment=payment, reason=f"try {i}", actor=Actor(label=f"c{i}")).number

    results = together(10, work)

    assert successes(results) == [number]
    losers = failures(results)
    assert len(losers) == 9
    assert all(isinstance(error, TransitionRefused) for error in losers), losers
    payment = Payment.objects.get(number=number)
    assert payment.status == PaymentStatus.VOIDED
    assert payment.events.filter(action="void").count() == 1
    assert not payment.allocations.filter(reversed=False).exists()
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert (invoice.status, invoice.balance_due_minor) == (InvoiceStatus.OPEN, 10000)
    assert credit_balance(customer=customer, currency="USD") == usd("0")
    assert_books_ok()


def test_ten_clerks_applying_the_same_credit_at_once_never_spend_it_twice():
    customer = make_customer()
    post(customer.pk, "100.00", "credit-source")  # nothing open yet: all credit
    invoices = [make_invoice(customer, "50.00", days_ago=days) for days in (40, 30, 20, 10)]

    def work(i: int) -> str:
        return credit_apply(
            customer=Customer.objects.get(pk=customer.pk),
            idempotency_key=f"apply-{i}",
            actor=Actor(label=f"c{i}"),
            source="backoffice",
        ).number

    results = together(10, work)

    assert len(successes(results)) == 1
    assert all(type(error) is RemitError for error in failures(results)), failures(results)
    assert credit_balance(customer=customer, currency="USD") == usd("0")
    statuses = Counter(
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("status", flat=True)
    )
    assert statuses == {InvoiceStatus.PAID: 2, InvoiceStatus.OPEN: 2}
    assert_no_invoice_over_allocated(invoices)
    assert_books_ok()
