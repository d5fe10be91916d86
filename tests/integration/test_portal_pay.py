"""Paying selected invoices from the portal: one payment per dialog key, declines that
change nothing, credit first, receipts."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from remit.books.audit import books_audit
from remit.customers.models import Role
from remit.invoices.models import InvoiceStatus
from remit.payments.models import Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.services.checkout import credit_key
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.integration.test_portal_support import (
    DECLINE,
    give_credit,
    make_world,
    portal_user,
    saved_card,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dialog_key(client, invoices) -> str:
    """Open the Pay dialog as the page does, and read the key it was given."""
    dialog = client.get(
        reverse("portal:pay"), {"invoice": [i.number for i in invoices]}, headers=HTMX
    )
    assert dialog.status_code == 200
    return re.search(r'name="key" value="([0-9a-f-]{36})"', dialog.content.decode()).group(1)


def make_payment(client, invoices, method, key, **extra):
    data = {"invoice": [i.number for i in invoices], "method": method.pk, "key": key, **extra}
    return client.post(reverse("portal:pay"), data, headers=HTMX)


def statuses(invoices) -> list[str]:
    for invoice in invoices:
        invoice.refresh_from_db()
    return [invoice.status for invoice in invoices]


def test_the_dialog_lists_the_invoices_the_total_and_the_default_method_with_a_fresh_key():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:2]
    dialog = client.get(
        reverse("portal:pay"), {"invoice": [i.number for i in picked]}, headers=HTMX
    )
    page = dialog.content.decode()
    assert all(invoice.number in page for invoice in picked)
    assert "$350.50" in page  # 100.00 + 250.50
    assert re.search(rf'value="{world.card.pk}" form="pay-form" checked', page)
    assert "Add a payment method" in page and "Make Payment" in page
    assert "Use my credit first" not in page  # no credit
    assert dialog_key(client, picked) != dialog_key(client, picked)


def test_make_payment_pays_the_invoices_once_and_confirms_with_a_receipt():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:2]
    response = make_payment(client, picked, world.card, dialog_key(client, picked))
    assert response.status_code == 204
    payment = Payment.objects.get(customer=world.ours)
    confirmation = reverse("portal:confirmation", args=[payment.number])
    assert response["HX-Redirect"] == confirmation
    assert payment.status == PaymentStatus.PENDING and str(payment.amount) == "350.50"
    assert statuses(picked) == [InvoiceStatus.PENDING, InvoiceStatus.PENDING]

    page = client.get(confirmation).content.decode()
    assert "Payment submitted" in page and "View Receipt" in page and "Got It" in page
    assert "data-show-on-load open>" in page  # shown even without script
    assert payment.number in page and "$350.50" in page
    assert page.count("disabled") >= 2  # the paid invoices' checkboxes are greyed out
    receipt = client.get(reverse("portal:receipt", args=[payment.number]), {"from": "confirmation"})
    text = receipt.content.decode()
    assert "Payment Receipt" in text and "Print" in text and "Download PDF" in text
    assert world.card.display in text and "RCT-" in text
    assert f'href="{confirmation}"' in text  # Close returns to the confirmation
    assert books_audit().ok


def test_download_pdf_gives_the_receipt_as_a_pdf_file():
    world = make_world()
    client = signed_in(world.clerk)
    give_credit(world.ours, world.invoices[0], extra="5.00")
    check = Payment.objects.get(customer=world.ours)
    pdf = client.get(reverse("portal:receipt_pdf", args=[check.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert f'filename="{check.number.replace("PMT-", "RCT-")}.pdf"' in pdf["Content-Disposition"]


def test_download_pdf_of_a_card_payment():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:1]
    make_payment(client, picked, world.card, dialog_key(client, picked))
    payment = Payment.objects.get(customer=world.ours)
    pdf = client.get(reverse("portal:receipt_pdf", args=[payment.number]))
    assert pdf.content.startswith(b"%PDF-")


def test_the_same_dialog_key_twice_is_one_payment_double_click_second_tab_or_refresh():
    world = make_world()
    client, other_tab = signed_in(world.clerk), signed_in(world.clerk)
    picked = world.invoices[:2]
    key = dialog_key(client, picked)
    first = make_payment(client, picked, world.card, key)
    again = make_payment(client, picked, world.card, key)
    second_tab = make_payment(other_tab, picked, world.card, key)
    no_script = client.post(
        reverse("portal:pay"),
        {"invoice": [i.number for i in picked], "method": world.card.pk, "key": key},
    )
    assert Payment.objects.filter(customer=world.ours).count() == 1
    assert first["HX-Redirect"] == again["HX-Redirect"] == second_tab["HX-Redirect"]
    assert no_script.status_code == 303 and no_script["Location"] == first["HX-Redirect"]
    client.get(first["HX-Redirect"])  # reloading the confirmation
    assert Payment.objects.filter(customer=world.ours).count() == 1


def test_a_new_dialog_after_paying_cannot_pay_the_pending_invoices_again():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:1]
    make_payment(client, picked, world.card, dialog_key(client, picked))
    response = make_payment(client, picked, world.card, str(uuid.uuid4()))
    assert response.status_code == 200
    assert "pending" in response.content.decode()
    assert Payment.objects.filter(customer=world.ours).count() == 1


def test_a_declined_card_shows_the_reason_in_the_dialog_and_changes_nothing():
    world = make_world()
    declining = saved_card(world.ours, DECLINE)
    client = signed_in(world.clerk)
    picked = world.invoices[:2]
    key = dialog_key(client, picked)
    response = make_payment(client, picked, declining, key)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your card was declined." in page and "Nothing was charged" in page
    assert statuses(picked) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]
    new_key = re.search(r'name="key" value="([0-9a-f-]{36})"', page).group(1)
    assert new_key != key  # trying again (another card) is a new request
    retry = make_payment(client, picked, world.card, new_key)
    assert retry.status_code == 204
    assert statuses(picked) == [InvoiceStatus.PENDING, InvoiceStatus.PENDING]
    assert books_audit().ok


def test_credit_first_then_the_card_for_the_rest_and_the_receipt_shows_the_credit():
    world = make_world()
    give_credit(world.ours, world.invoices[0], extra="60.00")  # pays the first, 60 credit
    client = signed_in(world.clerk)
    picked = world.invoices[1:]  # 250.50 + 75.25
    dialog = client.get(
        reverse("portal:pay"), {"invoice": [i.number for i in picked]}, headers=HTMX
    ).content.decode()
    assert "Use my credit first" in dialog and "$60.00 available" in dialog
    response = make_payment(client, picked, world.card, dialog_key(client, picked), use_credit="on")
    assert response.status_code == 204
    card = Payment.objects.get(customer=world.ours, type=PaymentType.CARD)
    assert str(card.amount) == "265.75"
    assert credit_balance(customer=world.ours, currency="USD").is_zero()
    assert statuses(picked) == [InvoiceStatus.PENDING, InvoiceStatus.PENDING]
    receipt = client.get(reverse("portal:receipt", args=[card.number])).content.decode()
    assert "Credit used" in receipt and "$60.00" in receipt and "$325.75" in receipt
    confirmation = client.get(response["HX-Redirect"]).content.decode()
    assert "Credit used" in confirmation and "$325.75" in confirmation
    assert books_audit().ok


def test_credit_that_covers_everything_needs_no_card():
    world = make_world()
    give_credit(world.ours, world.invoices[0], extra="500.00")
    client = signed_in(world.clerk)
    picked = world.invoices[1:]
    response = client.post(
        reverse("portal:pay"),
        {"invoice": [i.number for i in picked], "key": str(uuid.uuid4()), "use_credit": "on"},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert not Payment.objects.filter(customer=world.ours, type=PaymentType.CARD).exists()
    assert statuses(picked) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert str(credit_balance(customer=world.ours, currency="USD").amount) == "174.25"


def test_a_decline_after_credit_gives_the_credit_back_and_the_invoices_stay_open():
    world = make_world()
    give_credit(world.ours, world.invoices[0], extra="60.00")
    declining = saved_card(world.ours, DECLINE)
    client = signed_in(world.clerk)
    picked = world.invoices[1:]
    key = dialog_key(client, picked)
    response = make_payment(client, picked, declining, key, use_credit="on")
    page = response.content.decode()
    assert "declined" in page and "your credit was not used" in page
    assert str(credit_balance(customer=world.ours, currency="USD").amount) == "60.00"
    assert statuses(picked) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]
    assert Payment.objects.get(idempotency_key=credit_key(key)).status == PaymentStatus.VOIDED
    # The same stale form again: the first (declined) checkout is replayed, nothing more.
    make_payment(client, picked, declining, key, use_credit="on")
    assert Payment.objects.filter(customer=world.ours, type=PaymentType.CARD).count() == 1
    assert books_audit().ok


def test_without_a_method_or_enough_credit_the_dialog_asks_for_one_and_writes_nothing():
    world = make_world()
    client = signed_in(world.clerk)
    response = client.post(
        reverse("portal:pay"),
        {"invoice": [world.invoices[0].number], "key": str(uuid.uuid4()), "method": "new"},
        headers=HTMX,
    )
    assert "Choose a payment method." in response.content.decode()
    assert not Payment.objects.filter(customer=world.ours).exists()


def test_an_unexpected_error_shows_a_generic_sentence_keeps_the_key_and_is_logged(
    monkeypatch, caplog
):
    world = make_world()
    client = signed_in(world.clerk)

    def broken(**kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr("remit.portal.views.pay.checkout_submit", broken)
    key = str(uuid.uuid4())
    response = make_payment(client, world.invoices[:1], world.card, key)
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "secret detail" not in page
    assert f'value="{key}"' in page  # a retry replays whatever was recorded


def test_a_payment_of_another_user_of_the_same_customer_is_theirs_too():
    world = make_world()
    colleague = portal_user((world.ours, Role.ACCOUNTS_PAYABLE))
    client = signed_in(world.clerk)
    picked = world.invoices[:1]
    response = make_payment(client, picked, world.card, dialog_key(client, picked))
    assert signed_in(colleague).get(response["HX-Redirect"]).status_code == 200


def test_the_dialog_without_script_is_a_page_of_its_own():
    world = make_world()
    client = signed_in(world.clerk)
    page = client.get(reverse("portal:pay"), {"invoice": world.invoices[0].number})
    text = page.content.decode()
    assert "<html" in text and "Make Payment" in text and "Open Invoices" in text
    empty = client.get(reverse("portal:pay")).content.decode()
    assert "No invoices are selected" in empty


def test_an_invoice_in_another_currency_customer_is_paid_in_its_currency():
    customer = make_customer(currency="EUR")
    invoice = make_invoice(customer, "80.00")
    card = saved_card(customer)
    clerk = portal_user((customer, Role.ACCOUNTS_PAYABLE))
    client = signed_in(clerk)
    assert "€80.00" in client.get(reverse("portal:invoices")).content.decode()
    response = make_payment(client, [invoice], card, dialog_key(client, [invoice]))
    assert response.status_code == 204
    assert Payment.objects.get(customer=customer).currency == "EUR"
