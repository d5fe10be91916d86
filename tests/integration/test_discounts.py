"""Early-payment discounts through the services (issue 14): "2/10 net 30" invoices paid
in their window close with the discount booked beside the payment, in one transaction;
voiding the payment reopens the invoice in full. Every scenario ends with the books right.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.invoices.rules import InvalidTerms
from remit.invoices.services import invoice_create
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Event, Payment, PaymentType
from remit.payments.selectors import credit_balance, payment_preview
from remit.payments.services.cancel import invoice_cancel
from remit.payments.services.card import card_payment_submit
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_create, schedules_run_due
from remit.payments.services.voids import payment_void
from remit.payments.services.writeoff import write_off_post
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import save_card

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")
TODAY = date.today()


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def termed_invoice(customer, total: str, *, days_ago: int = 3, days: int = 10, percent="2"):
    """An invoice dated `days_ago` with "percent/days net 30" terms."""
    return invoice_create(
        customer=customer,
        number=f"INV-D{Invoice.objects.count() + 1:05d}",
        invoice_date=TODAY - timedelta(days=days_ago),
        due_date=TODAY - timedelta(days=days_ago) + timedelta(days=30),
        total=usd(total),
        discount_percent=Decimal(percent),
        discount_days=days,
        actor=CLERK,
    )


def post(customer, amount: str, *, key: str, invoices=None, post_date=None) -> Payment:
    return payment_post(
        customer=customer,
        amount=usd(amount),
        payment_type="check",
        idempotency_key=key,
        actor=CLERK,
        source="cli",
        invoices=invoices,
        post_date=post_date,
    )


def discount_account() -> Money:
    lines = JournalLine.objects.filter(account=Account.WRITE_OFF_DISCOUNT)
    return Money.from_minor(sum(line.amount_minor for line in lines), "USD")


def books_are_right() -> None:
    report = books_audit()
    assert report.ok, report.problems


def test_paying_the_discounted_balance_in_the_window_closes_the_invoice_with_the_discount():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "98.00", key="k1")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.balance_due == usd("0.00")
    [discount] = payment.discounts.all()
    assert discount.type == PaymentType.WRITE_OFF and discount.reason == "discount"
    assert discount.amount == usd("2.00") and discount.reference == payment.number
    assert discount_account() == usd("2.00")
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    assert AuditEvent.objects.filter(
        action="payment.posted", after__discount_of=payment.number
    ).exists()
    assert Event.objects.filter(object_number=discount.number).exists()
    books_are_right()


def test_the_last_day_of_the_window_still_earns_the_discount_and_the_day_after_does_not():
    customer = make_customer()
    on_time = termed_invoice(customer, "100.00", days_ago=10)
    late = termed_invoice(customer, "100.00", days_ago=11)
    post(customer, "98.00", key="k1", invoices=[InvoiceRequest(on_time.number)])
    post(customer, "98.00", key="k2", invoices=[InvoiceRequest(late.number)])
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.status == "paid"
    assert late.status == "open" and late.balance_due == usd("2.00")
    books_are_right()


def test_a_payment_posted_inside_the_window_earns_it_even_when_entered_later():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00", days_ago=20)
    post(customer, "98.00", key="k1", post_date=TODAY - timedelta(days=12))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    books_are_right()


def test_a_partial_payment_in_the_window_takes_no_discount():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "50.00", key="k1")
    invoice.refresh_from_db()
    assert invoice.balance_due == usd("50.00") and not payment.discounts.exists()
    # the rest, less the discount, closes it: the discount is 2% of the total
    second = post(customer, "48.00", key="k2")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and second.discounts.get().amount == usd("2.00")
    books_are_right()


def test_a_lump_sum_of_the_full_balance_earns_the_discount_and_keeps_the_rest_as_credit():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "100.00", key="k1")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and payment.discounts.get().amount == usd("2.00")
    assert credit_balance(customer=customer, currency="USD") == usd("2.00")
    books_are_right()


def test_an_amount_fixed_at_the_full_balance_takes_no_discount():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    fixed = [InvoiceRequest(invoice.number, usd("100.00"))]
    payment = post(customer, "100.00", key="k1", invoices=fixed)
    invoice.refresh_from_db()
    assert invoice.status == "paid" and not payment.discounts.exists()
    assert discount_account() == usd("0.00")


def test_a_lump_sum_spreads_oldest_first_applying_discounted_balances_inside_windows():
    customer = make_customer()
    old = make_invoice(customer, "50.00", days_ago=40)  # no terms
    termed = termed_invoice(customer, "100.00", days_ago=5)
    newest = termed_invoice(customer, "200.00", days_ago=1)
    payment = post(customer, "150.00", key="k1")
    lines = {a.invoice.number: a.amount for a in payment.allocations.all()}
    assert lines == {
        old.number: usd("50.00"),
        termed.number: usd("98.00"),
        newest.number: usd("2.00"),
    }
    assert [d.amount for d in payment.discounts.all()] == [usd("2.00")]
    newest.refresh_from_db()
    assert newest.balance_due == usd("198.00")  # a partial payment: no discount
    books_are_right()


def test_the_discount_is_taken_once_per_invoice():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    write_off_post(
        customer=customer,
        invoice=invoice.number,
        reason="discount",
        amount=usd("2.00"),
        idempotency_key="w1",
        actor=CLERK,
        source="cli",
        above_tolerance=True,
    )
    payment = post(customer, "96.00", key="k1")
    invoice.refresh_from_db()
    assert invoice.balance_due == usd("2.00") and not payment.discounts.exists()
    books_are_right()


def test_voiding_the_payment_voids_its_discount_and_reopens_the_invoice_in_full():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "98.00", key="k1")
    payment_void(payment=payment, actor=CLERK, reason="bounced")
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.balance_due == usd("100.00")
    assert payment.discounts.get().status == "voided"
    assert discount_account() == usd("0.00")
    books_are_right()
    # paid again inside the window, the discount is earned again
    again = post(customer, "98.00", key="k2")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and again.discounts.get().amount == usd("2.00")
    books_are_right()


def test_the_same_key_posts_once_and_books_one_discount():
    customer = make_customer()
    termed_invoice(customer, "100.00")
    first = post(customer, "98.00", key="k1")
    assert post(customer, "98.00", key="k1") == first
    assert Payment.objects.filter(type=PaymentType.WRITE_OFF).count() == 1


def test_the_preview_shows_the_discounted_split():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    split = payment_preview(customer=customer, amount=usd("98.00"))
    [line] = split.lines
    assert line.invoice.number == invoice.number and line.discount == usd("2.00")
    assert split.credit == usd("0.00")


def test_the_discount_is_rounded_half_up_on_the_total():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.25")  # 2% is 2.005
    post(customer, "98.24", key="k1")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert discount_account() == usd("2.01")


def test_a_card_payment_charges_the_discounted_amount_and_a_decline_reopens_in_full():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = card_payment_submit(
        customer=customer,
        method=save_card(customer),
        amount=usd("98.00"),
        idempotency_key="c1",
        actor=CLERK,
        source="portal",
    )
    invoice.refresh_from_db()
    assert payment.amount == usd("98.00") and invoice.balance_due == usd("0.00")
    assert payment.discounts.get().amount == usd("2.00")
    books_are_right()
    declined = termed_invoice(customer, "50.00")
    failed = card_payment_submit(
        customer=customer,
        method=save_card(customer, "4000000000000002"),
        amount=usd("49.00"),
        idempotency_key="c2",
        actor=CLERK,
        source="portal",
    )
    declined.refresh_from_db()
    assert failed.status == "failed"
    assert declined.status == "open" and declined.balance_due == usd("50.00")
    assert failed.discounts.get().status == "voided"
    books_are_right()


@pytest.mark.parametrize(
    ("percent", "days", "field"),
    [
        (Decimal("0"), 10, "discount_percent"),
        (Decimal("100.01"), 10, "discount_percent"),
        (Decimal("1.005"), 10, "discount_percent"),
        (Decimal("2"), None, "discount_days"),
        (None, 10, "discount_percent"),
        (Decimal("2"), -1, "discount_days"),
    ],
)
def test_terms_an_invoice_cannot_carry_are_refused_naming_the_field(percent, days, field):
    customer = make_customer()
    with pytest.raises(InvalidTerms) as refused:
        invoice_create(
            customer=customer,
            number="INV-BAD",
            invoice_date=TODAY,
            due_date=TODAY,
            total=usd("10.00"),
            discount_percent=percent,
            discount_days=days,
            actor=CLERK,
        )
    assert field in refused.value.fields
    assert not Invoice.objects.exists()


def test_the_audit_names_a_live_discount_whose_payment_is_voided():
    customer = make_customer()
    termed_invoice(customer, "100.00")
    payment = post(customer, "98.00", key="k1")
    Payment.objects.filter(pk=payment.pk).update(status="voided")  # a bug's footprint
    report = books_audit()
    assert any(
        "early-payment discount is live" in p and payment.number in p for p in report.problems
    )


def test_the_audit_names_an_invoice_with_more_discount_than_its_terms_give():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "98.00", key="k1")
    discount = payment.discounts.get()
    discount.allocations.update(amount_minor=300)  # a bug's footprint
    report = books_audit()
    assert any(invoice.number in p and "its terms give $2.00" in p for p in report.problems)


def test_a_percent_with_a_fraction_is_read_back_exactly_from_the_database():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00", percent="2.5")
    post(customer, "97.50", key="k1")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and discount_account() == usd("2.50")


def test_cancelling_a_discounted_invoice_moves_the_payment_to_credit_and_voids_the_discount():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00")
    payment = post(customer, "98.00", key="k1")
    invoice_cancel(invoice=invoice, actor=CLERK, reason="billed by mistake")
    invoice.refresh_from_db()
    assert invoice.status == "void"
    assert payment.discounts.get().status == "voided"
    assert credit_balance(customer=customer, currency="USD") == usd("98.00")
    assert discount_account() == usd("0.00")
    books_are_right()


def test_a_scheduled_payment_inside_the_window_charges_the_full_balance_without_a_discount():
    customer = make_customer()
    invoice = termed_invoice(customer, "100.00", days_ago=0)
    held = schedule_create(
        customer=customer,
        method=save_card(customer),
        invoice_numbers=[invoice.number],
        run_on=TODAY + timedelta(days=3),
        idempotency_key="sch-1",
        actor=CLERK,
        source="portal",
    )
    assert schedules_run_due(actor=CLERK, today=TODAY + timedelta(days=3))["ran"] == 1
    held.refresh_from_db()
    assert held.payment.amount == usd("100.00") and not held.payment.discounts.exists()
    invoice.refresh_from_db()
    assert invoice.balance_due_minor == 0
    books_are_right()
