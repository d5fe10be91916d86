"""Idempotency-Key: the same request answered once, another request with the key refused.

(Concurrent duplicates, with real threads and row locks, are in
tests/integration/postgres/test_api_idempotency.py.)
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from remit.core.errors import GatewayUnavailable
from remit.integrations.idempotency import ABANDONED_AFTER, fingerprint, idempotency_purge
from remit.integrations.models import IdempotencyRecord
from remit.payments.models import Payment
from tests.integration.test_api_support import Api, assert_error, key_for, row_counts, save_card

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]

CHECK = {"customer": "C-ACME", "amount": "100.00", "type": "check", "reference": "4411"}


def test_the_same_key_and_request_answer_the_first_status_and_body_once(erp, acme):
    first = erp.post("/payments", CHECK, key="pay-1")
    again = erp.post("/payments", CHECK, key="pay-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Payment.objects.count() == 1


def test_the_same_request_written_differently_is_the_same_request(erp, acme):
    first = erp.post("/payments", CHECK, key="pay-2")
    reordered = json.dumps(dict(reversed(list(CHECK.items()))), indent=4).encode()
    again = erp.post("/payments", raw=reordered, key="pay-2")
    assert again.content == first.content
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        ("/payments", CHECK | {"amount": "100.01"}),
        ("/payments", CHECK | {"reference": "4412"}),
        ("/payments/preview", {"customer": "C-ACME", "amount": "100.00"}),
    ],
)
def test_the_same_key_on_another_request_is_refused_and_nothing_is_done(erp, acme, other):
    erp.post("/payments", CHECK, key="pay-3")
    before = row_counts()
    path, body = other
    refusal = assert_error(erp.post(path, body, key="pay-3"), 422, "idempotency_conflict")
    assert refusal["fields"] == {"Idempotency-Key": "reused"}
    assert row_counts() == before


def test_keys_belong_to_their_caller_and_never_answer_another(client, acme, globex):
    acme_erp = Api(client, key_for(customer=acme))
    globex_erp = Api(client, key_for(customer=globex))
    mine = acme_erp.post("/payments", CHECK, key="shared-key")
    theirs = globex_erp.post("/payments", CHECK | {"customer": "C-GLOBEX"}, key="shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["customer"] == "C-GLOBEX"
    assert "Idempotent-Replayed" not in theirs


@pytest.mark.parametrize("length", [256, 1000])
def test_a_key_over_255_characters_is_refused(erp, acme, length):
    before = row_counts()
    refusal = assert_error(erp.post("/payments", CHECK, key="k" * length), 422, "invalid")
    assert "Idempotency-Key" in refusal["fields"]
    assert row_counts() == before


def test_a_key_of_255_characters_is_taken(erp, acme):
    assert erp.post("/payments", CHECK, key="k" * 255).status_code == 201


def test_a_post_without_a_key_is_refused(erp, acme):
    response = erp.client.post(
        "/api/v1/payments",
        data=CHECK,
        content_type="application/json",
        headers={"Authorization": f"Bearer {erp.key}"},
    )
    assert "Idempotency-Key" in assert_error(response, 422, "invalid")["fields"]
    assert Payment.objects.count() == 0


def test_a_request_while_the_first_is_still_running_gets_409_saying_when_to_retry(erp, acme):
    running(erp, "/api/v1/payments", CHECK, "pay-4", started=timezone.now() - timedelta(minutes=1))
    before = row_counts()
    response = erp.post("/payments", CHECK, key="pay-4")
    error = assert_error(response, 409, "idempotency_in_progress")
    # The first request started a minute ago; its key is taken over after five minutes.
    assert 239 <= int(response["Retry-After"]) <= 241
    assert f"in {response['Retry-After']} seconds" in error["message"]
    assert row_counts() == before


def test_a_request_abandoned_by_a_crashed_process_is_taken_over(erp, acme):
    long_ago = timezone.now() - ABANDONED_AFTER - timedelta(seconds=1)
    running(erp, "/api/v1/payments", CHECK, "pay-5", started=long_ago)
    response = erp.post("/payments", CHECK, key="pay-5")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(key="pay-5").status == 201


def test_a_refusal_by_the_books_is_kept_and_answered_again(erp, acme):
    owing = CHECK | {"invoices": [{"number": "INV-A1", "amount": "150.00"}]}
    first = assert_error(erp.post("/payments", owing, key="pay-6"), 422, "allocation_refused")
    again = erp.post("/payments", owing, key="pay-6")
    assert again.content == erp.post("/payments", owing, key="pay-6").content
    assert again.json() == first
    assert again["Idempotent-Replayed"] == "true"


def test_a_malformed_request_is_not_kept_so_the_corrected_one_may_use_the_key(erp, acme):
    assert_error(erp.post("/payments", CHECK | {"amount": "100.001"}, key="pay-7"), 422)
    assert not IdempotencyRecord.objects.exists()
    assert erp.post("/payments", CHECK, key="pay-7").status_code == 201


def test_an_answer_that_says_try_again_releases_the_key(erp, acme, monkeypatch):
    card = save_card(acme)
    body = {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk}

    def unavailable(**kwargs):
        raise GatewayUnavailable("The gateway did not answer; the same request is safe to repeat.")

    monkeypatch.setattr("remit.api.routers.payments.payment_take", unavailable)
    assert_error(erp.post("/payments", body, key="pay-8"), 503, "gateway_unavailable")
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert erp.post("/payments", body, key="pay-8").status_code == 201


def test_an_internal_error_is_logged_answered_generically_and_releases_the_key(
    erp, acme, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("remit.api.routers.payments.payment_take", broken)
    with caplog.at_level(logging.ERROR, logger="remit.api"):
        body = assert_error(erp.post("/payments", CHECK, key="pay-9"), 500, "internal_error")
    assert "secret internals" not in json.dumps(body)
    assert "secret internals" in caplog.text
    monkeypatch.undo()
    assert erp.post("/payments", CHECK, key="pay-9").status_code == 201


def test_answers_are_kept_at_least_a_day(erp, acme):
    erp.post("/payments", CHECK, key="pay-10")
    assert idempotency_purge(older_than=timedelta(minutes=1)) == 0
    IdempotencyRecord.objects.update(started_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge() == 1


def running(erp: Api, path: str, body: dict, key: str, *, started) -> None:
    """The row a request still running (or dead) leaves behind."""
    owner = f"api-key:{erp.key and _key_id(erp.key)}"
    IdempotencyRecord.objects.create(
        owner=owner,
        key=key,
        fingerprint=fingerprint("POST", path, json.dumps(body).encode()),
        method="POST",
        path=path,
        started_at=started,
    )


def _key_id(key: str) -> int:
    from remit.integrations.models import ApiKey

    return ApiKey.objects.get(prefix=key.split("_")[1]).pk
