"""The sandbox's hosted tokenising endpoint: the card goes to the gateway, remit gets a token."""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import clear_url_caches

import remit.urls
from remit.gateways.card_entry import card_entry
from remit.gateways.models import SandboxToken

pytestmark = pytest.mark.django_db
URL = "/sandbox-gateway/v1/tokens"
MOUNT_SETTINGS = ("REMIT_GATEWAY", "DEBUG", "REMIT_SANDBOX")
CARD = {"number": "4242 4242 4242 4242", "exp": "12/39", "cvc": "123"}


def test_a_card_posted_to_the_gateway_comes_back_as_a_token_brand_and_last_four(client):
    response = client.post(
        URL, {"number": "4242 4242 4242 4242", "exp": "12/39", "cvc": "123", "name": "Ann"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["brand"] == "Visa" and body["last4"] == "4242"
    assert (body["exp_month"], body["exp_year"]) == (12, 2039)
    assert body["token"].startswith("tok_")
    assert "4242424242424242" not in response.content.decode()


def test_a_bad_card_is_refused_with_a_sentence_and_the_field_and_nothing_is_kept(client):
    response = client.post(URL, {"number": "4242424242424241", "exp": "12/39", "cvc": "123"})
    assert response.status_code == 400
    body = response.json()
    assert body["fields"] == {"number": "invalid"}
    assert "not valid" in body["message"]
    assert SandboxToken.objects.count() == 0


def test_a_bad_expiry_names_the_expiry_field(client):
    response = client.post(URL, {"number": "4242424242424242", "exp": "next year", "cvc": "1"})
    assert response.status_code == 400 and "exp" in response.json()["fields"]


def test_a_bank_account_is_tokenised_with_the_banks_name(client):
    response = client.post(
        URL,
        {"kind": "bank", "routing_number": "110000000", "account_number": "000123456789"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["last4"] == "6789"


def test_the_card_number_is_stored_nowhere_after_tokenising(client):
    client.post(URL, {"number": "4000000000000341", "exp": "12/39", "cvc": "123"})
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert "4000000000000341" not in repr(cursor.fetchall()), table


def test_a_get_changes_nothing(client):
    assert client.get(URL).status_code == 405


# --- mounted on a demo or development machine only --------------------------------------


@pytest.fixture
def remount():
    """remount(): the URLs built again from the settings as they are now (the URL conf
    is computed at import); the suite's own URLs are restored after the test."""

    def build() -> None:
        clear_url_caches()
        importlib.reload(remit.urls)

    suite = {name: getattr(django_settings, name) for name in MOUNT_SETTINGS}
    yield build
    with override_settings(**suite):  # the test's own settings are not restored yet
        build()


@pytest.mark.parametrize(
    ("gateway", "debug", "sandbox", "mounted"),
    [
        ("sandbox", False, True, True),  # `make run`: REMIT_SANDBOX=1
        ("sandbox", True, False, True),  # REMIT_DEBUG=1
        ("sandbox", False, False, False),  # a real installation left on the sandbox
        ("stripe", False, True, False),  # another gateway: never the sandbox's endpoint
        ("stripe", True, True, False),
    ],
)
def test_the_endpoint_is_mounted_only_for_the_sandbox_on_a_demo_or_development_machine(
    client, settings, remount, gateway, debug, sandbox, mounted
):
    settings.REMIT_GATEWAY, settings.DEBUG, settings.REMIT_SANDBOX = gateway, debug, sandbox
    remount()
    response = client.post(URL, CARD)
    assert response.status_code == (201 if mounted else 404)
    assert SandboxToken.objects.exists() == mounted


def test_without_the_endpoint_the_card_entry_says_cards_cannot_be_added(settings, remount):
    settings.DEBUG, settings.REMIT_SANDBOX = False, False
    remount()
    entry = card_entry()
    assert not entry.ready and entry.tokenize_url == ""
    html = render_to_string("gateways/card_entry.html", {"entry": entry, "prefix": "x"})
    assert "Cards cannot be added here" in html
    assert "data-tokenize-url" not in html


# --- a bounded number of requests a minute per address ----------------------------------


def test_an_address_gets_30_answers_a_minute_then_429_in_the_one_error_shape(client):
    with time_machine.travel("2026-12-01 10:00:05", tick=False):
        answers = [client.post(URL, CARD).status_code for _ in range(31)]
        assert answers == [201] * 30 + [429]
        refused = client.post(URL, CARD)
        assert refused.status_code == 429
        assert refused.json() == {
            "code": "rate_limited",
            "message": "Too many cards were sent from this address; try again in a minute.",
            "fields": {},
        }
        assert refused["Retry-After"] == "60"
        assert SandboxToken.objects.count() == 30  # nothing more was tokenised
        other = client.post(URL, CARD, REMOTE_ADDR="10.0.0.7")
        assert other.status_code == 201  # another address has its own count
    with time_machine.travel("2026-12-01 10:01:05", tick=False):
        assert client.post(URL, CARD).status_code == 201  # the next minute


def test_the_rate_is_configurable(client, settings):
    settings.REMIT_SANDBOX_TOKENIZE_RATE = "2/m"
    with time_machine.travel("2026-12-01 10:00:05", tick=False):
        answers = [client.post(URL, CARD).status_code for _ in range(3)]
    assert answers == [201, 201, 429]


def test_behind_a_proxy_the_address_is_the_one_the_proxy_passes(client, settings):
    settings.REMIT_SANDBOX_TOKENIZE_RATE = "1/m"
    settings.REMIT_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    with time_machine.travel("2026-12-01 10:00:05", tick=False):
        first = client.post(URL, CARD, HTTP_X_FORWARDED_FOR="203.0.113.9")
        # The client may write what it likes before the proxy's own entry.
        again = client.post(URL, CARD, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
        other = client.post(URL, CARD, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert (first.status_code, again.status_code, other.status_code) == (201, 429, 201)
