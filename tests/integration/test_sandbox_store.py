"""The sandbox gateway against its own store: each test card's path, exactly-once keys,
settlement, voids and refunds, the lookup the reconciler relies on, and no card data kept.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from remit.core.money import Money
from remit.gateways.behaviours import VOID_REFUSED
from remit.gateways.models import SandboxAction, SandboxCall, SandboxCharge, SandboxToken
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
from remit.gateways.sandbox import SandboxGateway

pytestmark = pytest.mark.django_db

APPROVES = "4242 4242 4242 4242"
DECLINES = "4000 0000 0000 0002"
INSUFFICIENT = "4000 0000 0000 9995"
PROCESSING_ERROR = "4000 0000 0000 0119"
TIMES_OUT = "4000 0000 0000 0259"
REFUSES_VOID = "4000 0000 0000 0341"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(clock: Clock) -> SandboxGateway:
    return SandboxGateway(clock=clock)


def card_token(gateway: SandboxGateway, number: str = APPROVES, **kw) -> str:
    details = {"exp_month": 12, "exp_year": 2030, "cvc": "123", "holder_name": "Ann Payer"}
    return gateway.tokenize_card(CardDetails(number=number, **(details | kw))).token


def bank_token(gateway: SandboxGateway, account: str = "000123456789") -> str:
    return gateway.tokenize_bank(BankDetails("110000000", account, "Acme AP")).token


def charge(gateway: SandboxGateway, token: str, key: str = "charge-1", amount: str = "100.00"):
    return gateway.charge(ChargeRequest(key, token, Money.of(amount, "USD"), "INV-0001"))


def refund(gateway: SandboxGateway, key: str, charge_key: str = "charge-1", amount="100.00"):
    return gateway.refund(RefundRequest(key, charge_key, Money.of(amount, "USD")))


# --- tokens ------------------------------------------------------------------------------


def test_a_card_token_keeps_brand_last_four_and_expiry_only(gateway):
    tokenized = gateway.tokenize_card(CardDetails(APPROVES, 12, 30, "123", "Ann Payer"))
    assert tokenized.token.startswith("tok_sandbox_")
    assert (tokenized.brand, tokenized.last4, tokenized.exp_month, tokenized.exp_year) == (
        "Visa",
        "4242",
        12,
        2030,
    )
    assert SandboxToken.objects.get().token == tokenized.token


def test_a_bank_token_is_branded_with_the_bank_name_and_has_no_expiry(gateway):
    tokenized = gateway.tokenize_bank(BankDetails("110000000", "000123456789"))
    assert (tokenized.brand, tokenized.last4, tokenized.exp_month) == (
        "Sandbox Test Bank",
        "6789",
        None,
    )


def test_one_card_has_one_fingerprint_whatever_its_token_or_expiry(gateway):
    first = gateway.tokenize_card(CardDetails(APPROVES, 12, 30, "123"))
    renewed = gateway.tokenize_card(CardDetails("4242 4242 4242 4242", 3, 33, "999"))
    other = gateway.tokenize_card(CardDetails("5555555555554444", 12, 30, "123"))
    assert first.token != renewed.token
    assert first.fingerprint == renewed.fingerprint != other.fingerprint
    assert len(first.fingerprint) == 32 and first.kind == "card"


def test_a_fingerprint_is_keyed_so_the_number_cannot_be_found_from_it(gateway, settings):
    plain = hashlib.sha256(APPROVES.encode()).hexdigest()
    keyed = gateway.tokenize_card(CardDetails(APPROVES, 12, 30, "123")).fingerprint
    assert keyed not in plain and APPROVES not in keyed
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    assert gateway.tokenize_card(CardDetails(APPROVES, 12, 30, "123")).fingerprint != keyed


def test_a_bank_account_has_its_own_fingerprint_by_routing_and_account(gateway):
    one = gateway.tokenize_bank(BankDetails("110000000", "000123456789"))
    again = gateway.tokenize_bank(BankDetails("110000000", "000123456789", "Acme"))
    other = gateway.tokenize_bank(BankDetails("110000000", "000111111113"))
    assert one.fingerprint == again.fingerprint != other.fingerprint
    assert one.kind == "bank"


def test_describe_token_answers_what_the_store_holds_and_refuses_an_unknown_token(gateway):
    made = gateway.tokenize_card(CardDetails(APPROVES, 12, 30, "123", "Ann Payer"))
    assert gateway.describe_token(made.token) == made
    bank = gateway.tokenize_bank(BankDetails("110000000", "000123456789"))
    assert gateway.describe_token(bank.token) == bank
    with pytest.raises(PaymentDetailsInvalid, match="does not know that token") as refused:
        gateway.describe_token("tok_sandbox_made_up")
    assert refused.value.fields == {"token": "unknown"}


def test_bad_details_are_refused_and_nothing_is_stored_but_the_call(gateway):
    with pytest.raises(PaymentDetailsInvalid, match="card number is not valid"):
        card_token(gateway, "4242 4242 4242 4241")
    with pytest.raises(PaymentDetailsInvalid, match="expired"):
        card_token(gateway, exp_month=2, exp_year=2026)
    with pytest.raises(PaymentDetailsInvalid, match="routing number"):
        gateway.tokenize_bank(BankDetails("110000001", "000123456789"))
    assert not SandboxToken.objects.exists()
    assert gateway.calls("tokenize_card") == 2 and gateway.calls("tokenize_bank") == 1


# --- each test card's path ---------------------------------------------------------------


def test_the_approving_card_is_authorised_and_not_yet_settled(gateway):
    result = charge(gateway, card_token(gateway))
    assert result.outcome == Outcome.APPROVED and not result.settled
    assert result.charge_status == ChargeStatus.AUTHORIZED
    assert result.gateway_reference.startswith("ch_sandbox_") and result.decline_reason == ""
    stored = SandboxCharge.objects.get()
    assert (stored.amount_minor, stored.currency, stored.status) == (10_000, "USD", "authorized")


def test_any_other_luhn_valid_card_approves(gateway):
    assert charge(gateway, card_token(gateway, "5555 5555 5555 4444")).outcome == Outcome.APPROVED


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (DECLINES, "Your card was declined."),
        (INSUFFICIENT, "Your card has insufficient funds."),
        (PROCESSING_ERROR, "An error occurred while processing your card; no money was taken."),
    ],
)
def test_declining_cards_say_why_in_a_sentence_for_the_customer(gateway, number, reason):
    result = charge(gateway, card_token(gateway, number))
    assert result.outcome == Outcome.DECLINED and result.decline_reason.startswith(reason)
    assert SandboxCharge.objects.get().status == ChargeStatus.DECLINED
    assert gateway.settle_all() == []  # a declined charge never settles


def test_the_timeout_card_charges_but_the_answer_is_lost(gateway):
    result = charge(gateway, card_token(gateway, TIMES_OUT))
    assert result.outcome == Outcome.UNKNOWN and result.gateway_reference == ""
    assert SandboxCharge.objects.get().status == ChargeStatus.AUTHORIZED  # it did happen


def test_lookup_tells_the_reconciler_the_truth_after_a_lost_answer(gateway):
    charge(gateway, card_token(gateway, TIMES_OUT), key="lost")
    found = gateway.lookup("lost")
    assert found.outcome == Outcome.APPROVED and found.charge_status == ChargeStatus.AUTHORIZED
    assert found.gateway_reference == SandboxCharge.objects.get().reference
    gateway.settle_all()
    assert gateway.lookup("lost").settled
    assert gateway.calls("lookup", "lost") == 2


def test_lookup_of_a_charge_that_never_arrived_says_not_found_not_declined(gateway):
    found = gateway.lookup("never-sent")
    # Not a decline: whether it is final depends on the request's deadline (the caller's).
    assert found.outcome == Outcome.UNKNOWN and "no money was taken" in found.decline_reason
    assert found.charge_status == ChargeStatus.NOT_FOUND


def test_a_request_that_arrives_after_its_deadline_is_refused_and_leaves_nothing(gateway, clock):
    token = card_token(gateway, APPROVES)
    ten = Money.of("10.00", "USD")
    late = clock.now - timedelta(seconds=1)
    with pytest.raises(GatewayRefused, match="after its deadline"):
        gateway.charge(ChargeRequest("late", token, ten, deadline=late))
    assert not SandboxCharge.objects.filter(idempotency_key="late").exists()
    assert gateway.lookup("late").charge_status == ChargeStatus.NOT_FOUND
    in_time = clock.now + timedelta(seconds=30)
    assert gateway.charge(ChargeRequest("ok", token, ten, deadline=in_time)).outcome == "approved"
    # A repeat of a key the gateway acted on replays its answer, deadline or not.
    assert gateway.charge(ChargeRequest("ok", token, ten, deadline=late)).outcome == "approved"


def test_the_void_refusing_card_approves_but_its_void_is_declined(gateway):
    assert charge(gateway, card_token(gateway, REFUSES_VOID)).outcome == Outcome.APPROVED
    void = gateway.void(ActionRequest("void-1", "charge-1"))
    assert void.outcome == Outcome.DECLINED and void.decline_reason == VOID_REFUSED
    assert SandboxCharge.objects.get().status == ChargeStatus.AUTHORIZED
    gateway.settle_all()
    assert refund(gateway, "refund-1").outcome == Outcome.APPROVED


def test_a_charge_on_a_card_that_expired_since_it_was_saved_is_declined(gateway, clock):
    token = card_token(gateway, exp_month=3, exp_year=2026)
    clock.now += timedelta(days=30)
    assert charge(gateway, token).decline_reason == "Your card has expired."


def test_a_charge_on_an_unknown_token_is_declined(gateway):
    assert charge(gateway, "tok_nobody").decline_reason.startswith("This payment method")


# --- exactly once ------------------------------------------------------------------------


def test_a_repeated_charge_key_returns_the_first_result_and_charges_once(gateway):
    token = card_token(gateway)
    first = charge(gateway, token)
    again = charge(gateway, token)
    assert again == first
    assert SandboxCharge.objects.count() == 1
    assert gateway.calls("charge") == 2 and gateway.calls("charge", "charge-1") == 2


def test_a_repeat_after_a_lost_answer_gets_the_gateways_answer_without_a_second_charge(gateway):
    token = card_token(gateway, TIMES_OUT)
    assert charge(gateway, token).outcome == Outcome.UNKNOWN
    assert charge(gateway, token).outcome == Outcome.APPROVED
    assert SandboxCharge.objects.count() == 1


def test_a_declined_charge_repeats_its_decline(gateway):
    token = card_token(gateway, DECLINES)
    assert charge(gateway, token) == charge(gateway, token)
    assert SandboxCharge.objects.count() == 1 and gateway.calls("charge") == 2


def test_the_same_key_with_a_different_request_is_refused(gateway):
    token = card_token(gateway)
    charge(gateway, token)
    with pytest.raises(GatewayRefused):
        charge(gateway, token, amount="99.00")
    with pytest.raises(GatewayRefused):
        refund(gateway, "charge-1")  # a charge's key cannot name a refund
    assert SandboxCharge.objects.count() == 1 and not SandboxAction.objects.exists()


# --- settlement, voids and refunds -------------------------------------------------------


def test_settle_all_settles_what_was_authorised_up_to_the_cut_off(gateway, clock):
    token = card_token(gateway)
    charge(gateway, token, key="early")
    clock.now += timedelta(hours=2)
    charge(gateway, token, key="late")
    settled = gateway.settle_all(clock.now - timedelta(hours=1))
    assert [(s.charge_key, s.result.outcome, s.result.settled) for s in settled] == [
        ("early", Outcome.APPROVED, True),
    ]
    assert [s.charge_key for s in gateway.settle_all()] == ["late"]
    assert gateway.settle_all() == [] and gateway.calls("settle") == 3


def test_a_void_before_settlement_approves_once_and_the_charge_never_settles(gateway):
    charge(gateway, card_token(gateway))
    void = gateway.void(ActionRequest("void-1", "charge-1"))
    assert void.outcome == Outcome.APPROVED and void.gateway_reference.startswith("vo_sandbox_")
    assert gateway.void(ActionRequest("void-1", "charge-1")) == void
    assert SandboxAction.objects.count() == 1 and gateway.calls("void") == 2
    again = gateway.void(ActionRequest("void-2", "charge-1"))
    assert again.decline_reason == "This charge has already been voided."
    assert gateway.settle_all() == []
    assert gateway.lookup("charge-1").charge_status == ChargeStatus.VOIDED


def test_after_settlement_a_void_is_declined_so_the_charge_is_refunded_instead(gateway):
    charge(gateway, card_token(gateway))
    gateway.settle_all()
    void = gateway.void(ActionRequest("void-1", "charge-1"))
    assert void.outcome == Outcome.DECLINED and void.decline_reason == VOID_REFUSED
    assert SandboxCharge.objects.get().status == ChargeStatus.SETTLED


def test_a_refund_of_a_settled_charge_approves_once_per_key(gateway):
    charge(gateway, card_token(gateway))
    gateway.settle_all()
    first = refund(gateway, "refund-1")
    assert first.outcome == Outcome.APPROVED and first.settled
    assert refund(gateway, "refund-1") == first
    assert SandboxAction.objects.count() == 1 and gateway.calls("refund") == 2
    stored = SandboxCharge.objects.get()
    assert (stored.status, stored.refunded_minor) == (ChargeStatus.REFUNDED, 10_000)
    again = refund(gateway, "refund-2")
    assert again.decline_reason == "This charge has already been refunded in full."


def test_a_refund_of_more_than_was_charged_is_declined(gateway):
    charge(gateway, card_token(gateway))
    gateway.settle_all()
    assert refund(gateway, "too-much", amount="100.01").outcome == Outcome.DECLINED
    assert refund(gateway, "part", amount="40.00").outcome == Outcome.APPROVED
    rest = refund(gateway, "rest", amount="60.01")
    assert rest.decline_reason == "A refund cannot be more than the $60.00 left on this charge."
    assert SandboxCharge.objects.get().refunded_minor == 4_000


def test_a_bank_refund_before_settlement_is_declined_with_a_pointer_to_void(gateway):
    charge(gateway, bank_token(gateway))
    assert "void it instead" in refund(gateway, "refund-1").decline_reason


def test_a_captured_card_charge_can_be_refunded_before_settlement(gateway):
    # Cards are authorised and captured together: the refund-instead path for a card
    # whose voids are refused must not wait for the cut-off.
    charge(gateway, card_token(gateway))
    assert refund(gateway, "refund-1").outcome == Outcome.APPROVED


# --- bank debits -------------------------------------------------------------------------


def test_a_bank_debit_is_pending_until_settlement_settles_it(gateway):
    result = charge(gateway, bank_token(gateway))
    assert result.outcome == Outcome.PENDING and not result.settled
    assert gateway.lookup("charge-1").outcome == Outcome.PENDING
    [settled] = gateway.settle_all()
    assert settled.result.outcome == Outcome.APPROVED and settled.result.settled


def test_the_returned_account_is_declined_at_settlement_with_the_return_reason(gateway):
    token = bank_token(gateway, "000111111113")
    charge(gateway, token)
    [returned] = gateway.settle_all()
    reason = "The bank returned the debit (R01 insufficient funds)."
    assert returned.result.outcome == Outcome.DECLINED
    assert returned.result.decline_reason == reason
    assert gateway.lookup("charge-1").decline_reason == reason
    # A repeat of the key still replays the first answer: the debit was accepted, pending.
    assert charge(gateway, token).outcome == Outcome.PENDING


# --- no card data kept -------------------------------------------------------------------


def test_no_full_card_number_or_cvc_is_stored_anywhere(gateway):
    numbers = [APPROVES, DECLINES, TIMES_OUT, REFUSES_VOID, "3782 822463 10005"]
    for i, number in enumerate(numbers):
        cvc = "9876" if number.startswith("37") else "987"
        token = card_token(gateway, number, cvc=cvc)
        charge(gateway, token, key=f"k{i}")
    gateway.settle_all()
    refund(gateway, "r0", charge_key="k0")
    digits = [n.replace(" ", "") for n in numbers]
    secret_fields = {"token", "reference", "idempotency_key", "key", "charge_key"}
    for model in (SandboxToken, SandboxCharge, SandboxAction, SandboxCall):
        names = {f.name for f in model._meta.get_fields()}
        assert not names & {"number", "card_number", "cvc", "cvv"}
        for row in model.objects.values():
            for field, value in row.items():
                text = str(value).replace(" ", "")
                assert not any(d in text for d in digits), (model.__name__, field)
                assert text not in {"987", "9876"}, (model.__name__, field)
                if field not in secret_fields:  # random hex may hold any three digits
                    assert "987" not in text, (model.__name__, field)
    assert set(SandboxToken.objects.values_list("last4", flat=True)) == {
        "4242",
        "0002",
        "0259",
        "0341",
        "0005",
    }


# --- choosing a gateway ------------------------------------------------------------------


def test_the_sandbox_is_the_default_gateway(settings):
    del settings.REMIT_GATEWAY  # absent from settings: the default applies
    assert isinstance(get_gateway(), SandboxGateway)
    settings.REMIT_GATEWAY = "sandbox"
    assert isinstance(get_gateway(), SandboxGateway)


def test_stripe_without_a_key_and_an_unknown_name_are_configuration_errors(settings):
    settings.REMIT_GATEWAY = "stripe"
    settings.REMIT_STRIPE_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="REMIT_STRIPE_API_KEY"):
        get_gateway()
    settings.REMIT_GATEWAY = "paypal"
    with pytest.raises(ImproperlyConfigured, match="REMIT_GATEWAY is 'paypal'"):
        get_gateway()


def test_every_call_is_counted_even_the_refused_ones(gateway):
    token = card_token(gateway)
    charge(gateway, token)
    with pytest.raises(GatewayRefused):
        charge(gateway, token, amount="1.00")
    assert gateway.calls("charge") == 2
    assert SandboxCall.objects.filter(operation="tokenize_card", key="").count() == 1
