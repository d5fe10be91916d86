"""The stripe gateway, through the official SDK, against the local fake (never the internet).

Each test starts its own `FakeStripe` on 127.0.0.1 and points a `StripeGateway` at it;
nothing here touches the database.
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from remit.core.errors import RemitError
from remit.core.money import Money
from remit.gateways.protocol import (
    ActionRequest,
    BankDetails,
    CardDetails,
    ChargeRequest,
    ChargeStatus,
    GatewayRefused,
    Outcome,
    PaymentDetailsInvalid,
    RefundRequest,
)
from remit.gateways.registry import get_gateway
from remit.gateways.stripe_gateway import (
    ALREADY_VOIDED,
    FULLY_REFUNDED,
    NOT_FOUND_YET,
    NOT_SETTLED,
    NOTHING_TO_VOID,
    UNKNOWN_METHOD,
    VOID_REFUSED,
    StripeGateway,
    to_stripe_amount,
)
from remit.gateways.stripe_webhooks import WebhookRefused, verify_event
from tests.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_remit_test_secret"
APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT = "4000000000009995"
LOST = "4000000000009987"

_keys = itertools.count(1)


def key(label: str = "k") -> str:
    return f"stripe-{label}-{next(_keys)}"


def usd(value: str) -> Money:
    return Money.of(value, "USD")


@pytest.fixture
def fake():
    with FakeStripe() as server:
        yield server
        assert server.errors == []  # the fake itself never crashed


def make_gateway(fake: FakeStripe, **options) -> StripeGateway:
    options.setdefault("timeout", 2.0)
    return StripeGateway(
        api_key=fake.api_key, api_base=fake.url, webhook_secret=WEBHOOK_SECRET, **options
    )


@pytest.fixture
def gateway(fake):
    return make_gateway(fake)


@pytest.fixture
def manual(fake):
    """Authorise now, capture later: a charge stays voidable until `capture`."""
    return make_gateway(fake, capture="manual")


def token(gateway: StripeGateway, number: str = APPROVE) -> str:
    return gateway.tokenize_card(CardDetails(number, 12, 2040, "123", "Ada Lovelace")).token


def charge(gateway: StripeGateway, card: str, amount: str = "100.00", charge_key: str = ""):
    charge_key = charge_key or key("charge")
    return charge_key, gateway.charge(ChargeRequest(charge_key, card, usd(amount), "INV-0042"))


# --- tokens ----------------------------------------------------------------------------------
def test_a_card_becomes_a_payment_method_and_remit_keeps_no_number(gateway, fake):
    tokenized = gateway.tokenize_card(CardDetails("4242 4242 4242 4242", 12, 40, "123"))
    assert tokenized.token.startswith("pm_")
    assert (tokenized.brand, tokenized.last4) == ("Visa", "4242")
    assert (tokenized.exp_month, tokenized.exp_year) == (12, 2040)
    assert "4242424242424242" not in repr(tokenized)
    assert fake.count("POST", "/v1/payment_methods") == 1


def test_a_payment_method_made_in_the_browser_is_described_by_stripe(gateway, fake):
    made_by_stripe_js = fake.add_browser_card("5555555555554444", 7, 2031)
    described = gateway.describe_token(made_by_stripe_js)
    assert (described.token, described.kind, described.brand, described.last4) == (
        made_by_stripe_js,
        "card",
        "Mastercard",
        "4444",
    )
    assert (described.exp_month, described.exp_year) == (7, 2031)
    assert described.fingerprint == fake.payment_methods[made_by_stripe_js]["card"]["fingerprint"]
    assert fake.count("GET", f"/v1/payment_methods/{made_by_stripe_js}") == 1


def test_two_payment_methods_of_one_card_have_one_fingerprint(gateway, fake):
    first = gateway.describe_token(fake.add_browser_card(APPROVE))
    second = gateway.describe_token(fake.add_browser_card(APPROVE, 1, 2042))
    other = gateway.describe_token(fake.add_browser_card("5555555555554444"))
    assert first.token != second.token
    assert first.fingerprint == second.fingerprint != other.fingerprint
    assert gateway.tokenize_card(CardDetails(APPROVE, 12, 2040, "123")).fingerprint == (
        first.fingerprint
    )


def test_an_unknown_payment_method_is_refused_with_a_sentence(gateway):
    with pytest.raises(PaymentDetailsInvalid, match="does not know that token") as refused:
        gateway.describe_token("pm_made_up")
    assert refused.value.fields == {"token": "unknown"}


def test_describing_a_token_when_stripe_does_not_answer_says_try_again(fake):
    gateway = make_gateway(fake, timeout=0.3)
    made = fake.add_browser_card(APPROVE)
    fake.script("GET", f"/v1/payment_methods/{made}", "timeout")
    with pytest.raises(RemitError, match="did not answer; nothing was saved") as refused:
        gateway.describe_token(made)
    assert refused.value.code == "gateway_unavailable"


def test_bad_card_details_are_refused_before_anything_is_sent(gateway, fake):
    with pytest.raises(PaymentDetailsInvalid, match="not valid") as refused:
        gateway.tokenize_card(CardDetails("4242424242424241", 12, 2040, "123"))
    assert refused.value.fields == {"number": "invalid"}
    assert fake.requests == []


def test_raw_cards_are_never_sent_with_a_live_key(fake):
    live = StripeGateway(api_key="sk_live_not_a_real_key", api_base=fake.url)
    with pytest.raises(RuntimeError, match=r"Stripe\.js"):
        live.tokenize_card(CardDetails(APPROVE, 12, 2040, "123"))
    assert fake.requests == []


def test_bank_debits_are_refused_with_a_sentence(gateway):
    with pytest.raises(PaymentDetailsInvalid, match="pay by card"):
        gateway.tokenize_bank(BankDetails("110000000", "000123456789"))


# --- charges ---------------------------------------------------------------------------------
def test_an_approved_charge_is_settled_and_carries_its_key(gateway, fake):
    charge_key, result = charge(gateway, token(gateway))
    assert result.outcome == Outcome.APPROVED
    assert result.settled and result.charge_status == ChargeStatus.SETTLED
    assert result.decline_reason == ""
    intent = fake.intents[result.gateway_reference]
    assert (intent["amount"], intent["currency"], intent["status"]) == (10000, "usd", "succeeded")
    assert intent["metadata"] == {"remit_key": charge_key}
    sent = [r for r in fake.requests if r.path == "/v1/payment_intents"]
    assert [r.idempotency_key for r in sent] == [charge_key]


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        (DECLINE, "Your card was declined."),
        (INSUFFICIENT, "Your card has insufficient funds."),
        (LOST, "Your card was declined."),  # never tell the holder the card is reported lost
    ],
)
def test_a_decline_says_a_sentence_safe_to_show(gateway, number, sentence):
    charge_key, result = charge(gateway, token(gateway, number))
    assert result.outcome == Outcome.DECLINED
    assert result.decline_reason == sentence
    assert result.charge_status == ChargeStatus.DECLINED and not result.settled
    assert result.gateway_reference.startswith("pi_")
    # The reconciler sees the same: requires_payment_method after a decline is a decline.
    assert gateway.lookup(charge_key) == result


def test_an_unknown_payment_method_is_declined_without_a_charge(gateway, fake):
    _, result = charge(gateway, "pm_does_not_exist")
    assert (result.outcome, result.decline_reason) == (Outcome.DECLINED, UNKNOWN_METHOD)
    assert fake.intents == {}


def test_a_timeout_is_unknown_and_lookup_finds_the_charge(fake):
    gateway = make_gateway(fake, timeout=0.3)
    card = token(gateway)
    fake.script("POST", "/v1/payment_intents", "timeout")
    started = time.monotonic()
    charge_key, result = charge(gateway, card)
    assert time.monotonic() - started < 2
    assert result.outcome == Outcome.UNKNOWN and result.gateway_reference == ""
    (intent,) = fake.intents.values()  # the money was taken; only the answer was lost
    found = gateway.lookup(charge_key)
    assert (found.outcome, found.gateway_reference) == (Outcome.APPROVED, intent["id"])
    assert found.settled and found.charge_status == ChargeStatus.SETTLED


def test_a_server_error_is_unknown_and_lookup_finds_the_charge(gateway, fake):
    card = token(gateway)
    fake.script("POST", "/v1/payment_intents", "server_error")
    charge_key, result = charge(gateway, card)
    assert result.outcome == Outcome.UNKNOWN
    assert gateway.lookup(charge_key).outcome == Outcome.APPROVED


def test_retries_with_the_same_key_never_make_a_second_payment_intent(fake):
    gateway = make_gateway(fake, timeout=0.3)
    card = token(gateway)
    fake.script("POST", "/v1/payment_intents", "timeout")
    charge_key, lost = charge(gateway, card)
    assert lost.outcome == Outcome.UNKNOWN
    _, again = charge(gateway, card, charge_key=charge_key)
    _, once_more = charge(gateway, card, charge_key=charge_key)
    assert again == once_more and again.outcome == Outcome.APPROVED
    assert len(fake.intents) == 1
    assert fake.count("POST", "/v1/payment_intents") == 3


def test_the_same_key_with_a_different_request_is_a_conflict(gateway, fake):
    card = token(gateway)
    charge_key, _ = charge(gateway, card, "100.00")
    with pytest.raises(GatewayRefused):
        charge(gateway, card, "99.00", charge_key=charge_key)
    assert len(fake.intents) == 1


def test_processing_is_pending_until_it_succeeds(gateway, fake):
    card = token(gateway)
    fake.script("POST", "/v1/payment_intents", "processing")
    charge_key, result = charge(gateway, card)
    assert (result.outcome, result.charge_status) == (Outcome.PENDING, ChargeStatus.AUTHORIZED)
    assert gateway.lookup(charge_key).outcome == Outcome.PENDING
    fake.complete(result.gateway_reference)
    assert gateway.lookup(charge_key).charge_status == ChargeStatus.SETTLED


def test_lookup_of_a_key_stripe_does_not_show_is_unknown_never_declined(gateway, fake):
    assert gateway.lookup(key("never-sent")).outcome == Outcome.UNKNOWN
    charge_key, made = charge(gateway, token(gateway))
    fake.searchable = False  # Stripe's search lags behind writes
    assert gateway.lookup(charge_key).outcome == Outcome.UNKNOWN
    fake.searchable = True
    assert gateway.lookup(charge_key).gateway_reference == made.gateway_reference


def test_a_key_with_quotes_is_searched_safely(gateway):
    charge_key, made = charge(gateway, token(gateway), charge_key="it's \\ odd")
    assert gateway.lookup(charge_key).gateway_reference == made.gateway_reference


# --- voids -----------------------------------------------------------------------------------
def test_an_authorisation_is_voided_by_cancelling_it(manual, fake):
    charge_key, made = charge(manual, token(manual))
    assert (made.outcome, made.settled) == (Outcome.APPROVED, False)
    assert made.charge_status == ChargeStatus.AUTHORIZED
    void_key = key("void")
    voided = manual.void(ActionRequest(void_key, charge_key))
    assert (voided.outcome, voided.charge_status) == (Outcome.APPROVED, ChargeStatus.VOIDED)
    assert fake.intents[made.gateway_reference]["status"] == "canceled"
    assert manual.void(ActionRequest(void_key, charge_key)) == voided  # the key replays
    assert manual.lookup(charge_key).charge_status == ChargeStatus.VOIDED
    again = manual.void(ActionRequest(key("void"), charge_key))  # a new key: already done
    assert (again.outcome, again.decline_reason) == (Outcome.DECLINED, ALREADY_VOIDED)


def test_a_void_is_refused_once_the_money_is_captured(gateway, manual, fake):
    charge_key, _ = charge(gateway, token(gateway))  # automatic capture: taken at once
    refused = gateway.void(ActionRequest(key("void"), charge_key))
    assert (refused.outcome, refused.decline_reason) == (Outcome.DECLINED, VOID_REFUSED)
    assert refused.charge_status == ChargeStatus.SETTLED

    charge_key, _ = charge(manual, token(manual))
    captured = manual.capture(ActionRequest(key("capture"), charge_key))
    assert (captured.outcome, captured.settled) == (Outcome.APPROVED, True)
    refused = manual.void(ActionRequest(key("void"), charge_key))
    assert (refused.outcome, refused.decline_reason) == (Outcome.DECLINED, VOID_REFUSED)
    assert fake.count("POST", f"/v1/payment_intents/{captured.gateway_reference}/cancel") == 1


def test_capture_takes_an_authorisation_once_and_never_a_voided_one(manual, fake):
    charge_key, made = charge(manual, token(manual))
    capture = ActionRequest(key("capture"), charge_key)
    first = manual.capture(capture)
    assert (first.outcome, first.charge_status) == (Outcome.APPROVED, ChargeStatus.SETTLED)
    assert manual.capture(capture) == first
    assert fake.count("POST", f"/v1/payment_intents/{made.gateway_reference}/capture") == 1

    charge_key, made = charge(manual, token(manual))
    manual.void(ActionRequest(key("void"), charge_key))
    refused = manual.capture(ActionRequest(key("capture"), charge_key))
    assert (refused.outcome, refused.charge_status) == (Outcome.DECLINED, ChargeStatus.VOIDED)
    assert fake.intents[made.gateway_reference]["amount_received"] == 0


def test_a_declined_charge_has_nothing_to_void(gateway, fake):
    charge_key, declined = charge(gateway, token(gateway, DECLINE))
    result = gateway.void(ActionRequest(key("void"), charge_key))
    assert (result.outcome, result.decline_reason) == (Outcome.DECLINED, NOTHING_TO_VOID)
    assert fake.count("POST", f"/v1/payment_intents/{declined.gateway_reference}/cancel") == 0


def test_a_void_of_a_charge_stripe_does_not_show_changes_nothing(gateway, fake):
    result = gateway.void(ActionRequest(key("void"), key("no-charge")))
    assert (result.outcome, result.decline_reason) == (Outcome.DECLINED, NOT_FOUND_YET)
    assert [r.method for r in fake.requests] == ["GET"]  # one search, nothing posted


def test_a_void_whose_answer_is_lost_is_unknown(manual, fake):
    charge_key, made = charge(manual, token(manual))
    fake.script("POST", f"/v1/payment_intents/{made.gateway_reference}/cancel", "server_error")
    assert manual.void(ActionRequest(key("void"), charge_key)).outcome == Outcome.UNKNOWN
    assert manual.lookup(charge_key).charge_status == ChargeStatus.VOIDED


# --- refunds ---------------------------------------------------------------------------------
def test_a_refund_happens_once_per_key(gateway, fake):
    charge_key, _ = charge(gateway, token(gateway), "100.00")
    refund_key = key("refund")
    request = RefundRequest(refund_key, charge_key, usd("100.00"))
    first = gateway.refund(request)
    assert (first.outcome, first.settled) == (Outcome.APPROVED, True)
    assert first.gateway_reference.startswith("re_")
    assert first.charge_status == ChargeStatus.REFUNDED
    assert gateway.refund(request).gateway_reference == first.gateway_reference
    assert len(fake.refunds) == 1
    (made,) = fake.refunds.values()
    assert made["metadata"] == {"remit_key": refund_key, "remit_charge_key": charge_key}
    assert gateway.lookup(charge_key).charge_status == ChargeStatus.REFUNDED
    again = gateway.refund(RefundRequest(key("refund"), charge_key, usd("1.00")))
    assert (again.outcome, again.decline_reason) == (Outcome.DECLINED, FULLY_REFUNDED)
    with pytest.raises(GatewayRefused):
        gateway.refund(RefundRequest(refund_key, charge_key, usd("5.00")))


def test_partial_refunds_never_exceed_the_charge(gateway, fake):
    charge_key, _ = charge(gateway, token(gateway), "100.00")
    part = gateway.refund(RefundRequest(key("refund"), charge_key, usd("40.00")))
    assert (part.outcome, part.charge_status) == (Outcome.APPROVED, ChargeStatus.SETTLED)
    over = gateway.refund(RefundRequest(key("refund"), charge_key, usd("70.00")))
    assert over.outcome == Outcome.DECLINED
    assert over.decline_reason == "A refund cannot be more than the $60.00 left on this charge."
    assert sum(r["amount"] for r in fake.refunds.values()) == 4000


def test_an_authorisation_is_voided_not_refunded(manual, fake):
    charge_key, _ = charge(manual, token(manual))
    result = manual.refund(RefundRequest(key("refund"), charge_key, usd("10.00")))
    assert (result.outcome, result.decline_reason) == (Outcome.DECLINED, NOT_SETTLED)
    assert fake.count("POST", "/v1/refunds") == 0


def test_a_refund_in_another_currency_is_refused(gateway):
    charge_key, _ = charge(gateway, token(gateway))
    result = gateway.refund(RefundRequest(key("refund"), charge_key, Money.of("10", "EUR")))
    assert result.decline_reason == "The refund must be in USD, the currency of the charge."


def test_a_refund_whose_answer_is_lost_is_unknown_and_not_made_twice(fake):
    gateway = make_gateway(fake, timeout=0.3)
    charge_key, _ = charge(gateway, token(gateway))
    fake.script("POST", "/v1/refunds", "timeout")
    request = RefundRequest(key("refund"), charge_key, usd("100.00"))
    assert gateway.refund(request).outcome == Outcome.UNKNOWN
    assert gateway.refund(request).outcome == Outcome.APPROVED  # the key replays the refund
    assert len(fake.refunds) == 1


# --- amounts and configuration ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("10.50", "USD", 1050), ("1000", "JPY", 1000), ("1.230", "KWD", 1230), ("500", "ISK", 50000)],
)
def test_amounts_are_sent_in_stripes_minor_units(amount, currency, minor):
    assert to_stripe_amount(Money.of(amount, currency)) == minor


def test_a_three_decimal_amount_stripe_cannot_take_is_refused_before_sending(gateway, fake):
    with pytest.raises(GatewayRefused, match=r"steps of 0\.010"):
        gateway.charge(ChargeRequest(key(), "pm_x", Money.of("1.235", "KWD")))
    assert fake.requests == []


def test_a_wrong_api_key_is_a_configuration_fault_not_an_outcome(fake):
    wrong = StripeGateway(api_key="sk_test_wrong", api_base=fake.url, timeout=2.0)
    with pytest.raises(stripe.AuthenticationError):
        wrong.charge(ChargeRequest(key(), "pm_x", usd("1.00")))


def test_the_registry_builds_the_stripe_gateway_from_settings(settings, fake):
    settings.REMIT_GATEWAY = "stripe"
    settings.REMIT_STRIPE_API_KEY = fake.api_key
    settings.REMIT_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.REMIT_STRIPE_API_BASE = fake.url
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    card = CardDetails(APPROVE, 12, 2040, "123")
    assert gateway.tokenize_card(card).token in fake.payment_methods
    settings.REMIT_STRIPE_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="REMIT_STRIPE_API_KEY"):
        get_gateway()


# --- webhooks --------------------------------------------------------------------------------
def event_payload(event_type: str = "payment_intent.succeeded") -> bytes:
    event = {
        "id": "evt_remit_1",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}},
    }
    return json.dumps(event).encode()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=int(time.time()) - age
    )


def test_a_signed_webhook_is_accepted(gateway):
    payload = event_payload()
    event = gateway.parse_webhook(payload, sign(payload))
    assert (event.id, event.type) == ("evt_remit_1", "payment_intent.succeeded")
    assert event.data.object.status == "succeeded"


@pytest.mark.parametrize(
    "forge",
    [
        lambda payload: sign(payload, secret="whsec_someone_else"),
        lambda payload: sign(payload.replace(b"succeeded", b"failed")),  # body changed after
        lambda payload: "",
        lambda payload: "t=notanumber,v1=abc",
    ],
    ids=["wrong-secret", "tampered", "no-header", "garbled-header"],
)
def test_a_forged_webhook_is_refused(forge):
    payload = event_payload()
    with pytest.raises(WebhookRefused, match="signature does not match") as refused:
        verify_event(payload, forge(payload), WEBHOOK_SECRET)
    assert isinstance(refused.value, RemitError) and refused.value.code == "webhook_refused"


def test_a_webhook_replayed_too_late_is_refused(gateway):
    payload = event_payload()
    with pytest.raises(WebhookRefused, match="more than 300 seconds ago; it may be a replay"):
        gateway.parse_webhook(payload, sign(payload, age=301))
    assert verify_event(payload, sign(payload, age=250), WEBHOOK_SECRET).id == "evt_remit_1"


def test_a_signed_body_that_is_not_an_event_is_refused():
    payload = b'{"hello": "world"}'
    with pytest.raises(WebhookRefused, match="not a Stripe event"):
        verify_event(payload, sign(payload), WEBHOOK_SECRET)


def test_a_missing_secret_or_no_tolerance_is_a_configuration_fault():
    payload = event_payload()
    with pytest.raises(ValueError, match="secret"):
        verify_event(payload, sign(payload), "")
    with pytest.raises(ValueError, match="tolerance"):
        verify_event(payload, sign(payload), WEBHOOK_SECRET, tolerance=0)


# --- records, for remit audit --gateway --------------------------------------------------------
def test_the_records_list_every_charge_with_its_state_and_refunds_across_pages(gateway, fake):
    card = token(gateway)
    kept, _ = charge(gateway, card, "100.00")
    refunded, _ = charge(gateway, card, "40.00")
    voided_key, _ = charge(make_gateway(fake, capture="manual"), card, "25.00")
    declined, _ = charge(gateway, token(gateway, DECLINE), "10.00")
    many = [charge(gateway, card, "1.00")[0] for _ in range(120)]  # more than a page
    gateway.refund(RefundRequest(key("refund"), refunded, usd("40.00")))
    make_gateway(fake, capture="manual").void(ActionRequest(key("void"), voided_key))

    records = {record.key: record for record in gateway.records()}

    assert set(records) == {kept, refunded, voided_key, declined, *many}
    assert (records[kept].status, records[kept].amount, records[kept].refunds) == (
        ChargeStatus.SETTLED,
        usd("100.00"),
        (),
    )
    assert records[refunded].status == ChargeStatus.REFUNDED
    assert [r.amount for r in records[refunded].refunds] == [usd("40.00")]
    assert records[voided_key].status == ChargeStatus.VOIDED
    assert records[declined].status == ChargeStatus.DECLINED
