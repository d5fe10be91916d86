"""One gateway-aware card entry (remit/gateways/card_entry.py) in the portal and the back
office: the configured gateway decides where a card goes. The sandbox's is tested end to
end in Chromium (tests/browser/); here, that each face renders the right entry for each
gateway, and that under Stripe a PaymentMethod made by Stripe.js becomes a saved method
through the faces' views, with what Stripe holds of it (the local fake Stripe)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import MANAGER
from remit.payments.models import PaymentMethod
from tests.factories import make_customer, make_invoice
from tests.fake_stripe import FakeStripe
from tests.integration.test_portal_support import make_world

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PUBLISHABLE = "pk_test_remit_card_entry_0000"


@pytest.fixture
def stripe_gateway(settings):
    with FakeStripe() as fake:
        settings.REMIT_GATEWAY = "stripe"
        settings.REMIT_STRIPE_API_KEY = fake.api_key
        settings.REMIT_STRIPE_API_BASE = fake.url
        settings.REMIT_STRIPE_PUBLISHABLE_KEY = PUBLISHABLE
        yield fake
        assert fake.errors == []


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff() -> Client:
    user = User.objects.create_user("manager", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    return signed_in(user)


def entries(html: str) -> list[str]:
    """Each card entry of a page, from its opening tag to its Add button."""
    found = re.findall(r"<div class=\"card-entry\".*?data-entry-submit>", html, re.S)
    assert found, "no card entry on the page"
    return found


def portal_pages(world) -> dict[str, str]:
    client = signed_in(world.clerk)
    numbers = {"invoice": [world.invoices[0].number]}
    return {
        "pay dialog": client.get(reverse("portal:pay"), numbers, headers=HTMX).content.decode(),
        "schedule dialog": client.get(
            reverse("portal:schedule"), numbers, headers=HTMX
        ).content.decode(),
        "methods page": client.get(reverse("portal:methods")).content.decode(),
    }


def backoffice_pages() -> dict[str, str]:
    customer = make_customer()
    make_invoice(customer, "100.00")
    client = staff()
    window = reverse("backoffice:payment_batch", args=[customer.number])
    return {
        "payment window": client.get(window, headers=HTMX).content.decode(),
        "payment page": client.get(window).content.decode(),
    }


# --- the sandbox: the card goes to its tokenising endpoint ---------------------------------


def test_under_the_sandbox_every_face_posts_the_card_to_the_sandbox_tokeniser():
    pages = portal_pages(make_world()) | backoffice_pages()
    for name, html in pages.items():
        for entry in entries(html):
            assert 'data-gateway="sandbox"' in entry, name
            assert 'data-tokenize-url="/sandbox-gateway/v1/tokens"' in entry, name
            assert 'data-field="number"' in entry and 'data-field="cvc"' in entry, name
            assert "data-stripe-element" not in entry, name
        assert "js.stripe.com" not in html, name


def test_no_input_of_the_card_entry_has_a_name_a_form_could_post():
    pages = portal_pages(make_world()) | backoffice_pages()
    for name, html in pages.items():
        for entry in entries(html):
            inputs = re.findall(r"<input[^>]*>", entry)
            assert inputs, name
            named = [i for i in inputs if re.search(r"\sname=", i)]
            # Only the card/bank choice is a named radio (its value is "card" or "bank").
            assert all('type="radio"' in i and "data-entry-kind" in i for i in named), named


def test_only_the_pay_dialog_and_the_back_office_offer_not_to_save_the_card():
    pages = portal_pages(make_world()) | backoffice_pages()
    offered = {name for name, html in pages.items() if "data-save-choice" in html}
    assert offered == {"pay dialog", "payment window", "payment page"}
    checkbox = re.search(r"<input[^>]*data-save-choice[^>]*>", pages["pay dialog"])[0]
    assert "checked" not in checkbox  # kept only if the customer chooses to
    assert "Save this card for later payments" in pages["pay dialog"]
    assert "Save this bank account for later payments" in pages["pay dialog"]


def test_bank_accounts_are_offered_in_the_portal_but_not_in_the_back_office_card_entry():
    portal, backoffice = portal_pages(make_world()), backoffice_pages()
    assert all('value="bank" data-entry-kind' in html for html in portal.values())
    assert not any("data-entry-kind" in html for html in backoffice.values())


# --- Stripe: Stripe.js Elements with the publishable key ----------------------------------


def test_under_stripe_every_face_mounts_stripe_elements_with_the_publishable_key(stripe_gateway):
    pages = portal_pages(make_world()) | backoffice_pages()
    for name, html in pages.items():
        for entry in entries(html):
            assert 'data-gateway="stripe"' in entry, name
            assert f'data-publishable-key="{PUBLISHABLE}"' in entry, name
            assert "data-stripe-element" in entry, name
            assert "data-tokenize-url" not in entry and 'data-field="number"' not in entry, name
            assert "data-entry-kind" not in entry, name  # the adapter takes cards only
    for name in ("methods page", "payment page"):  # full pages load Stripe.js itself
        assert '<script src="https://js.stripe.com/v3/" async data-stripe-js>' in pages[name]


def test_under_stripe_without_a_publishable_key_the_entry_says_cards_cannot_be_added(
    stripe_gateway, settings
):
    settings.REMIT_STRIPE_PUBLISHABLE_KEY = ""
    html = portal_pages(make_world())["pay dialog"]
    assert "Cards cannot be added here: the payment gateway is not set up for it." in html
    assert "data-stripe-element" not in html


def test_under_stripe_a_payment_method_from_stripe_js_is_saved_with_what_stripe_holds(
    stripe_gateway,
):
    world = make_world()
    client = signed_in(world.clerk)
    pm = stripe_gateway.add_browser_card("5555555555554444", 7, 2031)
    answer = client.post(
        reverse("portal:method_add"),
        {"token": pm, "holder_name": "Pat Lopez", "form_id": "pay-form", "save": "1"},
        headers=HTMX,
    ).content.decode()
    method = PaymentMethod.objects.get(customer=world.ours, token=pm)
    card = stripe_gateway.payment_methods[pm]["card"]
    assert (method.display, method.exp_month, method.exp_year) == ("Mastercard •••• 4444", 7, 2031)
    assert (method.gateway, method.fingerprint) == ("stripe", card["fingerprint"])
    assert re.search(rf'value="{method.pk}" form="pay-form" checked', answer)

    again = stripe_gateway.add_browser_card("5555555555554444", 7, 2031)  # the same card
    answer = client.post(
        reverse("portal:method_add"), {"token": again, "form_id": "pay-form"}, headers=HTMX
    ).content.decode()
    assert "That card is already saved; it is selected." in answer
    assert re.search(rf'value="{method.pk}" form="pay-form" checked', answer)
    assert PaymentMethod.objects.filter(customer=world.ours, last4="4444").count() == 1


def test_under_stripe_the_back_office_saves_a_card_from_stripe_js(stripe_gateway):
    customer = make_customer()
    pm = stripe_gateway.add_browser_card("4242424242424242")
    html = (
        staff()
        .post(reverse("backoffice:card_add", args=[customer.number]), {"token": pm, "save": "1"})
        .content.decode()
    )
    method = PaymentMethod.objects.get(customer=customer)
    assert method.token == pm and method.fingerprint
    assert "Visa •••• 4242 added and selected." in html
