"""An API payment that is one transaction commits once (issue 11 §2): the Idempotency-Key's
row, the payment and the stored answer together, where they were three commits. So a
process that dies half-way leaves neither a key without its payment nor a payment without
its stored answer. A card payment still commits apart around the gateway call, which no
transaction may span.

Counted on SQLite, whose backend logs BEGIN and COMMIT among the queries.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from remit.integrations.models import IdempotencyRecord
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import key_for, save_card

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def commits(key: str, body: dict, idempotency_key: str) -> tuple[int, int]:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's backend does not log its COMMITs among the queries")
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            "/api/v1/payments",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
        )
    return response.status_code, sum(q["sql"] == "COMMIT" for q in queries.captured_queries)


def test_a_check_through_the_api_is_written_with_its_key_and_answer_in_one_commit():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    body = {"customer": customer.number, "amount": "100.00", "type": "check"}
    body["invoices"] = [{"number": invoice.number}]
    status, count = commits(key_for(customer=customer), body, "one-commit")
    assert (status, count) == (201, 1)
    assert IdempotencyRecord.objects.get().status == 201
    assert Payment.objects.count() == 1


def test_a_card_payment_through_the_api_commits_around_the_gateway_call():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    body = {"customer": customer.number, "amount": "100.00", "type": "card"}
    body |= {"method": save_card(customer).pk, "invoices": [{"number": invoice.number}]}
    status, count = commits(key_for(customer=customer), body, "card")
    # At least the payment with its attempt before the call, and the answer after it.
    assert status == 201 and count >= 2
