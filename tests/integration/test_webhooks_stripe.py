"""POST /webhooks/stripe/: signed by Stripe or refused with nothing written; each event
processed once; a payment moves by what the gateway says when asked, as the system.

The payments here are made through the sandbox gateway (the installation's gateway, which
`payment_sync` asks); the webhook only names the charge, so which gateway answers does not
matter to the endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from remit.core.audit import Actor
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.gateways.models import ProcessedWebhookEvent, SandboxCall
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import GatewayOperation, MethodKind, Payment, Source
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.states import PaymentStatus
from remit.webhooks import stripe_views
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

URL = "/webhooks/stripe/"
SECRET = "whsec_test_0123456789abcdef"
CLERK = Actor(label="clerk-ann")


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.REMIT_STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # the endpoint must not need a CSRF token


def sign(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header, computed as Stripe documents it."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(
    remit_key: str | None, *, event_id: str = "evt_1", kind: str = "payment_intent.succeeded"
) -> bytes:
    metadata = {"remit_key": remit_key} if remit_key else {}
    obj = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "metadata": metadata}
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    return json.dumps(body).encode()


def post(client: Client, payload: bytes, signature: str | None = None):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return client.post(URL, data=payload, content_type="application/json", headers=headers)


@pytest.fixture
def payment() -> Payment:
    """A card payment, pending in remit, that the gateway has since settled."""
    customer = make_customer()
    invoice = make_invoice(customer, "80.00")
    gateway = SandboxGateway()
    tokenized = gateway.tokenize_card(CardDetails("4242424242424242", 12, 2040, "123"))
    method = payment_method_add(
        customer=customer, kind=MethodKind.CARD, tokenized=tokenized, actor=CLERK
    )
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=Money.of("80.00", "USD"),
        idempotency_key="webhook-test",
        actor=CLERK,
        source=Source.PORTAL,
        invoices=[InvoiceRequest(invoice.number)],
    )
    assert payment.status == PaymentStatus.PENDING
    gateway.settle_all()  # the gateway knows; remit does not yet
    return payment


def charge_key(payment: Payment) -> str:
    return payment.attempts.get(operation=GatewayOperation.CHARGE).idempotency_key


def lookups() -> int:
    return SandboxCall.objects.filter(operation="lookup").count()


def written() -> tuple[int, int, int]:
    return ProcessedWebhookEvent.objects.count(), AuditEvent.objects.count(), lookups()


def test_a_signed_event_brings_the_payment_up_to_date_once(client, payment):
    payload = event(charge_key(payment), event_id="evt_settled")

    answer = post(client, payload, sign(payload))

    assert answer.status_code == 200
    assert answer.json() == {"received": True, "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    recorded = ProcessedWebhookEvent.objects.get()
    assert (recorded.event_id, recorded.type) == ("evt_settled", "payment_intent.succeeded")
    audit = AuditEvent.objects.filter(object_id=payment.number).latest("id")
    assert audit.actor == "system:stripe-webhook"

    # Stripe delivers it again (re-signed, later): answered, and nothing else is done.
    before = written()
    again = post(client, payload, sign(payload, at=int(time.time()) + 1))
    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True}
    assert written() == before


def test_a_refund_event_names_the_charge_too(client, payment):
    payload = event(charge_key(payment), event_id="evt_refunded", kind="charge.refunded")
    assert post(client, payload, sign(payload)).status_code == 200
    assert lookups() == 1  # the gateway was asked


def test_a_forged_signature_is_refused_with_nothing_written(client, payment):
    payload = event(charge_key(payment))
    before = written()

    forged = post(client, payload, sign(payload, secret="whsec_someone_else"))
    unsigned = post(client, payload)
    tampered = post(client, event(charge_key(payment), event_id="evt_2"), sign(payload))

    for answer in (forged, unsigned, tampered):
        assert answer.status_code == 400
        assert answer.json()["code"] == "webhook_refused"
        assert "signature does not match" in answer.json()["message"]
    assert written() == before
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_old_signature_is_refused_with_nothing_written(client, payment):
    payload = event(charge_key(payment))
    before = written()

    answer = post(client, payload, sign(payload, at=int(time.time()) - 600))

    assert answer.status_code == 400
    assert "more than 300 seconds ago" in answer.json()["message"]
    assert written() == before


@pytest.mark.parametrize(
    "payload", [b"not json", b"[]", b'{"object": "event"}', b'{"id": "x", "object": "charge"}']
)
def test_a_signed_body_that_is_not_an_event_is_refused(client, payload):
    answer = post(client, payload, sign(payload))
    assert answer.status_code == 400
    assert not ProcessedWebhookEvent.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, method):
    assert getattr(client, method)(URL).status_code == 405


def test_an_event_remit_has_no_use_for_is_recorded_and_ignored(client, payment):
    for n, payload in enumerate(
        [
            event(charge_key(payment), event_id="evt_customer", kind="customer.created"),
            event(None, event_id="evt_no_key"),  # a payment made outside remit
        ]
    ):
        assert post(client, payload, sign(payload)).status_code == 200
        assert ProcessedWebhookEvent.objects.count() == n + 1
    assert lookups() == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_charge_remit_did_not_make_is_ignored(client, payment):
    payload = event("remit-PMT-999999-charge", event_id="evt_elsewhere")
    assert post(client, payload, sign(payload)).status_code == 200
    assert lookups() == 0


def test_a_failed_update_is_not_kept_so_the_retry_is_processed(client, payment, monkeypatch):
    payload = event(charge_key(payment), event_id="evt_retry")

    def broken(*, charge_key: str, actor: Actor) -> None:
        raise RuntimeError("database unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(stripe_views, "payment_sync", broken)
        failed = post(client, payload, sign(payload))
    assert failed.status_code == 500
    assert not ProcessedWebhookEvent.objects.exists()

    retried = post(client, payload, sign(payload))
    assert retried.json() == {"received": True, "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED


@pytest.mark.parametrize("secret", ["", "   "])
def test_without_stripe_configured_the_answer_is_503_with_a_sentence(
    client, payment, settings, secret
):
    settings.REMIT_STRIPE_WEBHOOK_SECRET = secret
    payload = event(charge_key(payment))
    before = written()

    answer = post(client, payload, sign(payload))

    assert answer.status_code == 503
    assert answer.json() == {
        "code": "not_configured",
        "message": "Stripe is not configured on this installation, so its webhooks are not "
        "accepted.",
        "fields": {},
    }
    assert written() == before
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "garbage",
        "t=abc,v1=0123",
        "t=,v1=",
        "v1=abc",
        "t=1",
        "t=99999999999999999999999,v1=ab",
        ",,,",
        "t=1,v1=\u00e9\u00e9",  # a byte outside ASCII, as a raw header may carry
    ],
)
def test_a_badly_signed_request_is_answered_400_never_500(client, payment, signature):
    payload = event(charge_key(payment))
    before = written()

    answer = post(client, payload, signature)

    assert answer.status_code == 400
    assert answer.json()["code"] == "webhook_refused"
    assert "not accepted" in answer.json()["message"]
    assert written() == before


def test_a_body_that_is_not_text_is_answered_400(client):
    payload = b"\xff\xfe\x00event"
    assert post(client, payload, sign(payload)).status_code == 400
    assert post(client, payload).status_code == 400
    assert not ProcessedWebhookEvent.objects.exists()
