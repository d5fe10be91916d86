"""The API's Idempotency-Key under real concurrency: twenty identical requests at once, each
on its own connection, released together (PostgreSQL, real row locks).

`serialized_rollback=True`: see test_concurrent_payments.py (the numbering counters).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from remit.integrations.models import IdempotencyRecord
from remit.payments.models import Allocation, Payment
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, failures, successes, together
from tests.integration.test_api_support import key_for, save_card

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20


def post(key: str, path: str, body: dict, idempotency_key: str) -> tuple[int, dict, bool]:
    response = Client().post(
        f"/api/v1{path}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
    )
    return response.status_code, response.json(), response.has_header("Idempotent-Replayed")


def test_twenty_identical_check_payments_at_once_post_one_and_all_get_its_answer():
    """An offline payment is one transaction with its key's row: the duplicates wait on
    the key until the first commits, then are given its answer (no 409 to retry)."""
    customer = make_customer()
    invoices = [make_invoice(customer, "100.00") for _ in range(3)]
    key = key_for(customer=customer)
    body = {
        "customer": customer.number,
        "amount": "300.00",
        "type": "check",
        "invoices": [{"number": i.number} for i in invoices],
    }

    results = together(THREADS, lambda i: post(key, "/payments", body, "same-key"))

    assert failures(results) == []
    answers = successes(results)
    assert {status for status, _, _ in answers} == {201}
    assert all(answer == answers[0][1] for _, answer, _ in answers)
    assert sorted(replayed for _, _, replayed in answers) == [False] + [True] * (THREADS - 1)
    created = [answers[0][1]]
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 3
    assert IdempotencyRecord.objects.get().status == 201
    # Once the first has answered, a repeat is its answer, and another body is refused.
    status, answer, replayed = post(key, "/payments", body, "same-key")
    assert (status, answer, replayed) == (201, created[0], True)
    status, answer, _ = post(key, "/payments", body | {"amount": "299.00"}, "same-key")
    assert (status, answer["code"]) == (422, "idempotency_conflict")
    assert Payment.objects.count() == 1
    assert_books_ok()


def test_twenty_identical_card_payments_at_once_charge_the_card_once():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    card = save_card(customer)
    key = key_for(customer=customer)
    body = {
        "customer": customer.number,
        "amount": "100.00",
        "type": "card",
        "method": card.pk,
        "invoices": [{"number": invoice.number}],
    }

    results = together(THREADS, lambda i: post(key, "/payments", body, "card-key"))

    assert failures(results) == []
    statuses = sorted({status for status, _, _ in successes(results)})
    assert set(statuses) <= {201, 409}
    assert Payment.objects.count() == 1
    from remit.gateways.models import SandboxCharge

    assert SandboxCharge.objects.count() == 1
    assert_books_ok()


def test_twenty_different_keys_for_the_same_invoice_pay_it_once():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    key = key_for(customer=customer)
    body = {
        "customer": customer.number,
        "amount": "100.00",
        "type": "check",
        "invoices": [{"number": invoice.number, "amount": "100.00"}],
    }

    results = together(THREADS, lambda i: post(key, "/payments", body, f"key-{i}"))

    statuses = sorted(status for status, _, _ in successes(results))
    assert statuses.count(201) == 1
    assert set(statuses) == {201, 409}  # the others: 409 invoice_not_payable (already paid)
    assert Payment.objects.count() == 1
    assert_books_ok()
