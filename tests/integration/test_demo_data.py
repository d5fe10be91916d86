"""The demo data: realistic, consistent with the books, and loaded only once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from remit.books.audit import books_audit
from remit.cli.demo_data import DemoSummary, demo_load
from remit.customers.models import Customer, Membership, Role
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Payment, PaymentType
from remit.payments.selectors import credit_balances

TODAY = date(2025, 3, 14)

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary() -> DemoSummary:
    return demo_load(today=TODAY)


def test_it_reports_what_it_made(summary):
    assert summary.created
    assert summary.customers == Customer.objects.count()
    assert summary.invoices == Invoice.objects.count()
    assert summary.payments == Payment.objects.count()
    assert [login.username for login in summary.logins] == ["staff", "ap.clerk", "viewer"]


def test_about_eight_customers_each_with_five_to_forty_invoices(summary):
    customers = list(Customer.objects.all())
    assert 7 <= len(customers) <= 10
    assert [c.number for c in customers][:2] == ["C-0001", "C-0002"]
    for customer in customers:
        assert customer.email
        assert 5 <= customer.invoices.count() <= 40, customer.number


def test_invoices_are_numbered_uniquely_within_six_months_net_thirty(summary):
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert "INV-10001" in numbers
    for invoice in Invoice.objects.all():
        assert TODAY - timedelta(days=183) <= invoice.invoice_date < TODAY
        assert invoice.due_date == invoice.invoice_date + timedelta(days=30)
        if invoice.customer.number != "C-0002":  # billed in USD and in EUR
            assert invoice.currency == invoice.customer.currency


def test_some_overdue_some_partly_paid_some_paid(summary):
    invoices = list(Invoice.objects.all())
    overdue = [i for i in invoices if i.due_date < TODAY and i.balance_due_minor > 0]
    partly = [i for i in invoices if i.is_partly_paid]
    paid = [i for i in invoices if i.status == InvoiceStatus.PAID]
    untouched = [i for i in invoices if i.balance_due_minor == i.total_minor]
    assert overdue and partly and paid and untouched
    acme = [i for i in invoices if i.customer.number == "C-0001"]
    assert any(i.is_partly_paid for i in acme)
    assert any(i.due_date < TODAY and i.balance_due_minor > 0 for i in acme)
    assert any(i.status == InvoiceStatus.OPEN and i.due_date >= TODAY for i in acme)


def test_payments_by_check_money_order_and_cash(summary):
    payments = Payment.objects.all()
    types = set(payments.values_list("type", flat=True))
    assert {PaymentType.CHECK, PaymentType.MONEY_ORDER, PaymentType.CASH} <= types
    assert PaymentType.CREDIT in types
    for payment in payments.filter(type__in=[PaymentType.CHECK, PaymentType.MONEY_ORDER]):
        assert payment.reference.isdigit(), payment.number
    assert set(payments.values_list("source", flat=True)) == {"demo"}
    assert all(p.post_date < TODAY for p in payments.exclude(type=PaymentType.CREDIT))
    assert set(payments.values_list("allocation_policy", flat=True)) == {
        "explicit",
        "oldest_first",
    }


def test_one_customer_in_euros_and_one_with_credit(summary):
    euro = Customer.objects.filter(currency="EUR")
    assert euro.count() == 1
    assert set(euro[0].invoices.values_list("currency", flat=True)) == {"EUR"}
    assert euro[0].payments.exists()
    with_credit = [
        c
        for c in Customer.objects.all()
        if any(m.is_positive() for m in credit_balances(customer=c).values())
    ]
    assert len(with_credit) == 1


def test_the_books_balance(summary):
    report = books_audit()
    assert report.ok, report.problems


def test_the_logins_work_with_their_roles(summary):
    passwords = {login.username: login.password for login in summary.logins}
    for username, password in passwords.items():
        user = get_user_model().objects.get(username=username)
        validate_password(password, user)
        # django-axes, which throttles logins, needs the request a login comes with.
        request = RequestFactory().post("/portal/login/")
        assert authenticate(request, username=username, password=password) == user

    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and staff.is_superuser
    assert not staff.memberships.exists()

    def roles(username: str) -> dict[str, str]:
        return dict(
            Membership.objects.filter(user__username=username).values_list(
                "customer__number", "role"
            )
        )

    assert roles("ap.clerk") == {"C-0001": Role.ACCOUNTS_PAYABLE, "C-0002": Role.ACCOUNTS_PAYABLE}
    assert roles("viewer") == {"C-0001": Role.VIEWER}
    for username in ("ap.clerk", "viewer"):
        user = get_user_model().objects.get(username=username)
        assert not user.is_staff and not user.is_superuser


def test_the_same_day_gives_the_same_data():
    def snapshot():
        demo_load(today=TODAY)
        return (
            list(
                Invoice.objects.order_by("number").values_list(
                    "number", "customer__number", "invoice_date", "total_minor", "balance_due_minor"
                )
            ),
            list(
                Payment.objects.order_by("number").values_list(
                    "number", "customer__number", "type", "reference", "amount_minor", "post_date"
                )
            ),
        )

    with transaction.atomic():
        first = snapshot()
        transaction.set_rollback(True)
    assert not Customer.objects.exists()
    assert snapshot() == first


def test_today_defaults_to_the_local_date():
    summary = demo_load()
    today = timezone.localdate()
    assert summary.created
    latest = Invoice.objects.latest("invoice_date", "number").invoice_date
    assert today - timedelta(days=10) <= latest < today
    assert books_audit().ok


def test_loading_twice_changes_nothing(summary):
    counts = _row_counts()
    again = demo_load(today=TODAY)
    assert not again.created
    assert (again.customers, again.invoices, again.payments, again.logins) == (
        summary.customers,
        summary.invoices,
        summary.payments,
        summary.logins,
    )
    assert _row_counts() == counts
    assert books_audit().ok


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"auth", "customers", "invoices", "payments", "ledger", "core"}
    }


def test_one_customer_is_billed_in_two_currencies(summary):
    two = Customer.objects.get(number="C-0002")
    assert set(two.invoices.values_list("currency", flat=True)) == {"USD", "EUR"}
    assert two.payments.filter(currency="EUR").exists()
    assert not any(m.amount < 0 for m in credit_balances(customer=two).values())
