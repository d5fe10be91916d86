"""Pay by link: a signed, expiring link pays one customer's listed invoices without a
login; it reveals nothing else and refuses a tampered, expired or used link."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import InvoiceStatus
from remit.notifications.models import PayLink
from remit.notifications.paylinks import paylink_create, paylink_token
from remit.payments.models import Payment, PaymentMethod
from remit.payments.services.method import payment_method_add
from tests.factories import ACTOR, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def token_for(number="4242424242424242") -> str:
    card = CardDetails(number, 12, date.today().year + 2, "123", "Pat Payer")
    return SandboxGateway().tokenize_card(card).token


@pytest.fixture
def world():
    customer = make_customer()
    listed = [make_invoice(customer, "100.00"), make_invoice(customer, "20.50")]
    unlisted = make_invoice(customer, "999.00")
    saved = SandboxGateway().tokenize_card(
        CardDetails("5555555555554444", 12, date.today().year + 2, "123", "Saved")
    )
    payment_method_add(customer=customer, kind="card", tokenized=saved, actor=ACTOR)
    made = paylink_create(customer=customer, invoice_numbers=[i.number for i in listed])
    path = reverse("paylink:pay", args=[paylink_token(made.link)])
    return customer, listed, unlisted, made.link, path


def pay(client: Client, path: str, card: str = "4242424242424242"):
    client.post(path + "method/", {"token": token_for(card), "holder_name": "Pat Payer"})
    return client.post(path + "submit/", {"key": str(uuid.uuid4())})


def test_the_page_shows_the_listed_invoices_and_nothing_else(world):
    customer, listed, unlisted, _, path = world
    page = Client().get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert all(i.number in text for i in listed) and "$120.50" in text
    assert unlisted.number not in text and "999.00" not in text
    assert "5555" not in text and "Mastercard" not in text  # no saved method shown
    assert customer.number not in text
    assert page["Cache-Control"].startswith("max-age=0")


def test_paying_through_the_link_pays_its_invoices_and_shows_the_receipt(world):
    customer, listed, unlisted, _, path = world
    client = Client()
    done = pay(client, path)
    assert done.status_code == 303 and done["Location"].endswith("/receipt/")

    receipt = client.get(done["Location"]).content.decode()
    payment = Payment.objects.get(customer=customer)
    assert payment.amount.format() == "$120.50" and "Visa •••• 4242" in receipt
    assert payment.number.replace("PMT-", "RCT-") in receipt
    for invoice in listed:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PENDING
    unlisted.refresh_from_db()
    assert unlisted.status == InvoiceStatus.OPEN
    assert not PaymentMethod.objects.get(pk=payment.method_id).saved

    again = client.get(path)
    assert again.status_code == 410
    assert f"already been used: payment {payment.number}" in again.content.decode()
    assert pay(Client(), path).status_code == 410
    assert Payment.objects.filter(customer=customer).count() == 1


def test_a_declined_card_says_so_and_the_link_can_be_used_again(world):
    *_, path = world
    client = Client()
    refused = pay(client, path, card="4000000000000002")
    assert "Nothing was charged" in refused.content.decode()
    assert not Payment.objects.filter(status="pending").exists()
    assert pay(client, path).status_code == 303


def test_a_tampered_link_is_refused(world):
    *_, link, _ = world
    token = paylink_token(link)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    other = PayLink.objects.create(
        customer=link.customer, invoice_numbers=link.invoice_numbers, expires_at=link.expires_at
    )
    # Another id with this link's signature.
    spliced = str(other.pk) + token[len(str(link.pk)) :]
    for bad in (forged, spliced, "nonsense"):
        page = Client().get(reverse("paylink:pay", args=[bad]))
        assert page.status_code == 410
        assert "This payment link is not valid." in page.content.decode()
        assert Client().post(reverse("paylink:submit", args=[bad])).status_code == 410


def test_an_expired_link_is_refused(world):
    *_, link, path = world
    PayLink.objects.filter(pk=link.pk).update(expires_at=link.created_at - timedelta(days=1))
    page = Client().get(path)
    assert page.status_code == 410 and "This payment link expired on" in page.content.decode()
    assert pay(Client(), path).status_code == 410
    assert not Payment.objects.exists()


def test_a_link_cannot_charge_a_method_it_did_not_add(world):
    *_, path = world
    client = Client()
    refused = client.post(path + "submit/", {"key": str(uuid.uuid4())})
    assert "Enter a card or bank account first." in refused.content.decode()
    assert not Payment.objects.exists()


def test_card_numbers_never_reach_the_link(world):
    *_, path = world
    posted = Client().post(path + "method/", {"number": "4242424242424242", "token": "x"})
    assert posted.status_code == 400
