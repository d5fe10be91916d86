"""Early-payment terms in the back office (issue 14): New invoice takes them, the invoice
shows them, the payment windows show the discounted amount and the live split preview
the discount a payment earns; saving the window books it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import CLERK, MANAGER
from remit.books.audit import books_audit
from remit.invoices.models import Invoice
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
TODAY = date.today()


def staff(name: str, group: str) -> Client:
    user = User.objects.create_user(name, password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client() -> Client:
    """A Billing clerk: takes payments."""
    return staff("clerk", CLERK)


@pytest.fixture
def manager() -> Client:
    """A Billing manager: creates invoices."""
    return staff("manager", MANAGER)


@pytest.fixture
def termed():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00", days_ago=2, number="INV-TERMS", terms=("2", 10))
    return customer, invoice


def test_new_invoice_takes_terms_and_the_invoice_shows_them(manager):
    client = manager
    customer = make_customer()
    form = {
        "customer": customer.number,
        "number": "INV-HAND-1",
        "invoice_date": "2026-05-01",
        "due_date": "2026-05-31",
        "total": "1,250.50",
        "discount_percent": "1.5",
        "discount_days": "10",
    }
    response = client.post(reverse("backoffice:invoice_create"), form)
    assert response.status_code == 303
    invoice = Invoice.objects.get(number="INV-HAND-1")
    assert (invoice.discount_percent, invoice.discount_days) == (Decimal("1.50"), 10)
    page = client.get(
        reverse("backoffice:invoice", args=[customer.number, invoice.number])
    ).content.decode()
    assert "1.5% off if paid by May 11, 2026" in page


def test_bad_terms_are_said_next_to_their_field_and_nothing_is_written(manager):
    client = manager
    customer = make_customer()
    form = {
        "customer": customer.number,
        "number": "INV-HAND-1",
        "invoice_date": "2026-05-01",
        "due_date": "2026-05-31",
        "total": "100",
        "discount_percent": "2%",
        "discount_days": "10",
    }
    page = client.post(reverse("backoffice:invoice_create"), form).content.decode()
    assert 'id="id_discount_percent_error">&#x27;2%&#x27; is not a percent' in page
    page = client.post(
        reverse("backoffice:invoice_create"), {**form, "discount_percent": "2", "discount_days": ""}
    ).content.decode()
    assert 'id="id_discount_days_error">Give both the discount percent' in page
    assert not Invoice.objects.exists()


def test_the_payment_window_shows_the_discount_and_the_preview_the_discount_earned(client, termed):
    customer, invoice = termed
    until = (TODAY + timedelta(days=8)).strftime("%b %-d")
    window = client.get(
        reverse("backoffice:payment_single", args=[customer.number, invoice.number])
    ).content.decode()
    assert f"2% off: $98.00 if paid by {until}" in window
    batch = client.get(reverse("backoffice:payment_batch", args=[customer.number])).content
    assert f"2% off: $98.00 if paid by {until}" in batch.decode()
    preview = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "98.00", "invoice": [invoice.number], "fixed": [""]},
    ).content.decode()
    assert '<dd id="discount-taken">$2.00</dd>' in preview
    assert '<dd id="credit-left">$0.00</dd>' in preview


def test_saving_the_window_with_the_discounted_amount_closes_the_invoice(client, termed):
    customer, invoice = termed
    response = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoice.number]),
        {
            "post_date": TODAY.isoformat(),
            "payment_type": "check",
            "reference": "4411",
            "amount": "98.00",
            "notes": "",
            "idempotency_key": "bo-key-1",
        },
    )
    assert response.status_code in (200, 204, 303), response.content[:300]
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert books_audit().ok


@pytest.fixture
def lapsed():
    """2/10 net 30 on an invoice of 20 days ago: its discount window closed 10 days ago."""
    customer = make_customer()
    invoice = make_invoice(customer, "100.00", days_ago=20, number="INV-LAPSED", terms=("2", 10))
    return customer, invoice


def test_the_preview_judges_the_discount_on_the_post_date_as_saving_does(client, lapsed):
    """A check received 15 days ago, posted today with its date: the split shown is the
    split saved, discount included."""
    customer, invoice = lapsed
    received = (TODAY - timedelta(days=15)).isoformat()
    ask = {"amount": "98.00", "invoice": [invoice.number], "fixed": [""]}
    url = reverse("backoffice:payment_preview", args=[customer.number])
    today = client.get(url, ask).content.decode()
    assert "discount-taken" not in today
    assert '<dd id="credit-left">$0.00</dd>' in today  # $98.00 applied, $2.00 left open
    back_dated = client.get(url, {**ask, "post_date": received}).content.decode()
    assert '<dd id="discount-taken">$2.00</dd>' in back_dated
    assert "2% off: $98.00 if paid by" in back_dated and "2% off" not in today

    client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        {**ask, "post_date": received, "payment_type": "check", "reference": "5120"}
        | {"notes": "", "idempotency_key": "bo-key-2"},
    )
    invoice.refresh_from_db()
    assert (invoice.status, str(invoice.balance_due)) == ("paid", "0.00")
    assert books_audit().ok
