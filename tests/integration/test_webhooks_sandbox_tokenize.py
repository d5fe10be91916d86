"""The sandbox's hosted tokenising endpoint: the card goes to the gateway, remit gets a token."""

from __future__ import annotations

import pytest
from django.db import connection

from remit.gateways.models import SandboxToken

pytestmark = pytest.mark.django_db
URL = "/sandbox-gateway/v1/tokens"


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
