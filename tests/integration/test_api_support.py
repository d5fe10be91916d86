"""Shared helpers of the API tests (this module holds no tests): a JSON client that sends
an API key or a portal session, keys, customers with invoices, saved sandbox cards, and a
count of every table's rows to prove a refusal wrote nothing."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from remit.core.audit import Actor
from remit.customers.models import Customer
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.integrations.keys import api_key_create
from remit.payments.models import PaymentMethod
from remit.payments.services.method import payment_method_add
from tests.factories import make_customer, make_invoice

ADMIN = Actor(label="test-admin")
API = "/api/v1"
_keys = itertools.count(1)


def new_key() -> str:
    return f"api-test-{next(_keys)}"


@dataclass
class Api:
    """A caller of the API: `key` (an API key) or a client signed in to the portal."""

    client: Client
    key: str | None = None

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return headers | extra

    def get(self, path: str, **params: Any):
        return self.client.get(API + path, params, headers=self._headers({}))

    def post(
        self, path: str, body: Any = None, *, key: str | None = None, raw: bytes | None = None
    ):
        """POST JSON (or `raw` bytes) with an Idempotency-Key (a fresh one unless given)."""
        data = raw if raw is not None else json.dumps({} if body is None else body)
        headers = self._headers({"Idempotency-Key": key or new_key()})
        return self.client.post(
            API + path, data=data, content_type="application/json", headers=headers
        )

    def patch(self, path: str, body: Any):
        return self.client.patch(
            API + path,
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers({}),
        )

    def delete(self, path: str):
        return self.client.delete(API + path, headers=self._headers({}))


def key_for(*, scope: str = "write", customer: Customer | None = None, name: str = "erp") -> str:
    return api_key_create(name=name, scope=scope, customer=customer, actor=ADMIN).key


def save_card(customer: Customer, number: str = "4242424242424242") -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=12, exp_year=2035, cvc="123")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=ADMIN)


def sandbox_token(number: str = "4242424242424242") -> str:
    return (
        SandboxGateway()
        .tokenize_card(CardDetails(number=number, exp_month=12, exp_year=2035, cvc="123"))
        .token
    )


def row_counts() -> dict[str, int]:
    """Rows in every table of every installed app, to prove a refusal wrote nothing."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    if code:
        assert body["code"] == code, body
    return body


@pytest.fixture
def erp(client) -> Api:
    """An integration with a write key for every customer."""
    return Api(client, key_for())


@pytest.fixture
def acme() -> Customer:
    customer = make_customer(number="C-ACME")
    make_invoice(customer, "100.00", days_ago=60, number="INV-A1")
    make_invoice(customer, "250.00", days_ago=30, number="INV-A2")
    return customer


@pytest.fixture
def globex() -> Customer:
    customer = make_customer(number="C-GLOBEX")
    make_invoice(customer, "80.00", days_ago=45, number="INV-G1")
    return customer
