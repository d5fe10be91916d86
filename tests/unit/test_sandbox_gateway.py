"""The gateway boundary without a database: validation, test cards, and the sandbox's answers."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from remit.core.errors import InvalidAmount
from remit.core.money import Money
from remit.gateways import rules
from remit.gateways.behaviours import (
    VOID_REFUSED,
    Behaviour,
    bank_behaviour,
    bank_name,
    card_behaviour,
)
from remit.gateways.protocol import (
    BankDetails,
    CardDetails,
    ChargeRequest,
    ChargeStatus,
    GatewayResult,
    Outcome,
    PaymentDetailsInvalid,
    RefundRequest,
)
from remit.gateways.validation import (
    aba_valid,
    card_brand,
    check_bank,
    check_card,
    check_cvc,
    check_expiry,
    luhn_valid,
)
from remit.payments.states import Outcome as PaymentOutcome

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
USD = "USD"


def card(
    number: str = "4242 4242 4242 4242", *, month: int = 12, year: int = 2030, cvc: str = "123"
) -> CardDetails:
    return CardDetails(number=number, exp_month=month, exp_year=year, cvc=cvc, holder_name="A P")


def refused(call) -> PaymentDetailsInvalid:
    with pytest.raises(PaymentDetailsInvalid) as caught:
        call()
    return caught.value


# --- the protocol ------------------------------------------------------------------------


def test_outcomes_have_the_same_values_as_the_payment_state_machine():
    assert {o.value for o in Outcome} == {o.value for o in PaymentOutcome}
    assert all(Outcome(o.value) == o.value for o in PaymentOutcome)


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_money_requests_refuse_amounts_that_are_not_positive(amount):
    with pytest.raises(InvalidAmount):
        ChargeRequest(idempotency_key="k", token="t", amount=Money.of(amount, USD))
    with pytest.raises(InvalidAmount):
        RefundRequest(idempotency_key="k", charge_key="c", amount=Money.of(amount, USD))


def test_requests_and_results_are_frozen():
    result = GatewayResult(outcome=Outcome.APPROVED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = Outcome.DECLINED  # type: ignore[misc]


def test_card_and_bank_details_never_show_the_number_or_cvc_in_a_repr():
    text = repr(card("4000 0000 0000 0002", cvc="987"))
    assert "4000 0000 0000 0002" not in text and "987" not in text and "0002" in text
    bank = repr(BankDetails(routing_number="110000000", account_number="000123456789"))
    assert "000123456789" not in bank and "6789" in bank


def test_the_gateways_app_imports_nothing_above_it():
    above = ("remit.payments", "remit.invoices", "remit.customers", "remit.ledger", "remit.books")
    root = Path(__file__).resolve().parents[2] / "src" / "remit" / "gateways"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.startswith(above)], f"{path.name} imports {names}"


# --- card and bank checks ----------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["4242424242424242", "4000000000000002", "378282246310005", "6011111111111117"]
)
def test_real_test_card_numbers_pass_the_luhn_check(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "42424242x4242424"])
def test_a_mistyped_card_number_fails_the_luhn_check(number):
    assert not luhn_valid(number)


@pytest.mark.parametrize("routing", ["110000000", "021000021", "011000015"])
def test_real_routing_numbers_pass_the_aba_checksum(routing):
    assert aba_valid(routing)


@pytest.mark.parametrize("routing", ["110000001", "11000000", "1100000000", "11000000a"])
def test_a_wrong_or_malformed_routing_number_fails_the_aba_checksum(routing):
    assert not aba_valid(routing)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "Visa"),
        ("5555555555554444", "Mastercard"),
        ("2223003122003222", "Mastercard"),
        ("378282246310005", "American Express"),
        ("6011111111111117", "Discover"),
        ("3056930009020004", "Diners Club"),
        ("3566002020360505", "JCB"),
        ("6200000000000005", "UnionPay"),
        ("9999999999999995", "Card"),
    ],
)
def test_the_brand_comes_from_the_issuer_prefix(number, brand):
    assert card_brand(number) == brand


def test_a_card_typed_with_spaces_and_dashes_is_accepted_and_two_digit_years_mean_2000s():
    assert check_card(card("4242-4242 4242-4242", year=30), today=TODAY) == (
        "4242424242424242",
        2030,
    )


def test_a_bad_card_number_is_refused_with_a_sentence_about_the_number():
    error = refused(lambda: check_card(card("4242 4242 4242 4241"), today=TODAY))
    assert error.message == "The card number is not valid; check it and try again."
    assert error.fields == {"number": "invalid"}
    assert "12 to 19 digits" in refused(lambda: check_card(card("4242"), today=TODAY)).message


def test_a_card_is_good_through_its_expiry_month_and_refused_after():
    assert check_expiry(3, 2026, today=TODAY) == 2026
    error = refused(lambda: check_expiry(2, 2026, today=TODAY))
    assert error.message == "The card has expired; use another card."


@pytest.mark.parametrize(("month", "year"), [(0, 2030), (13, 2030), (1, 2099)])
def test_an_impossible_expiry_is_refused(month, year):
    assert "expiry" in refused(lambda: check_expiry(month, year, today=TODAY)).message


def test_the_cvc_is_three_digits_and_four_for_american_express():
    check_cvc("123", brand="Visa")
    check_cvc("1234", brand="American Express")
    assert refused(lambda: check_cvc("12", brand="Visa")).message == (
        "The security code (CVC) must be 3 digits."
    )
    assert "4 digits" in refused(lambda: check_cvc("123", brand="American Express")).message
    assert refused(lambda: check_card(card(cvc="12a"), today=TODAY)).fields == {"cvc": "invalid"}


def test_bank_details_need_a_valid_routing_number_and_a_plausible_account():
    assert check_bank(BankDetails("110000000", "000123456789")) == ("110000000", "000123456789")
    assert "routing number" in refused(lambda: check_bank(BankDetails("110000001", "1234"))).message
    assert "account number" in refused(lambda: check_bank(BankDetails("110000000", "12"))).message


# --- test cards and accounts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "behaviour"),
    [
        ("4242424242424242", Behaviour.APPROVE),
        ("4000000000000002", Behaviour.DECLINE),
        ("4000000000009995", Behaviour.INSUFFICIENT_FUNDS),
        ("4000000000000119", Behaviour.PROCESSING_ERROR),
        ("4000000000000259", Behaviour.TIMEOUT_AFTER_CHARGE),
        ("4000000000000341", Behaviour.REFUSE_VOID),
        ("5555555555554444", Behaviour.APPROVE),
    ],
)
def test_each_test_card_has_its_behaviour_and_any_other_card_approves(number, behaviour):
    assert card_behaviour(number) == behaviour


def test_the_test_bank_settles_except_the_account_that_is_returned():
    assert bank_behaviour("110000000", "000123456789") == Behaviour.BANK_SETTLES
    assert bank_behaviour("110000000", "000111111113") == Behaviour.BANK_RETURNED
    assert bank_behaviour("021000021", "000111111113") == Behaviour.BANK_SETTLES
    assert bank_name("110000000") == "Sandbox Test Bank"


# --- the sandbox's answers, as a table of cases --------------------------------------------


def token(behaviour: Behaviour, *, exp: tuple[int, int] = (12, 2030)) -> SimpleNamespace:
    return SimpleNamespace(behaviour=behaviour, exp_month=exp[0], exp_year=exp[1])


def stored_charge(
    status: ChargeStatus,
    *,
    behaviour: str = Behaviour.APPROVE,
    amount: int = 10_000,
    refunded: int = 0,
) -> SimpleNamespace:
    return SimpleNamespace(
        status=status,
        behaviour=behaviour,
        amount_minor=amount,
        refunded_minor=refunded,
        currency=USD,
        reference="ch_1",
        decline_reason="",
        outcome=Outcome.APPROVED,
    )


@pytest.mark.parametrize(
    ("behaviour", "outcome", "reason"),
    [
        (Behaviour.APPROVE, Outcome.APPROVED, ""),
        (Behaviour.DECLINE, Outcome.DECLINED, "Your card was declined."),
        (Behaviour.INSUFFICIENT_FUNDS, Outcome.DECLINED, "Your card has insufficient funds."),
        (Behaviour.TIMEOUT_AFTER_CHARGE, Outcome.APPROVED, ""),
        (Behaviour.REFUSE_VOID, Outcome.APPROVED, ""),
        (Behaviour.BANK_SETTLES, Outcome.PENDING, ""),
        (Behaviour.BANK_RETURNED, Outcome.PENDING, ""),
    ],
)
def test_the_first_answer_to_a_charge_follows_the_tokens_behaviour(behaviour, outcome, reason):
    assert rules.charge_decision(token(behaviour), now=NOW) == (outcome, reason)


def test_a_charge_on_an_unknown_or_expired_token_is_declined():
    assert rules.charge_decision(None, now=NOW) == (Outcome.DECLINED, rules.UNKNOWN_METHOD)
    expired = token(Behaviour.APPROVE, exp=(2, 2026))
    assert rules.charge_decision(expired, now=NOW) == (Outcome.DECLINED, rules.EXPIRED)


def test_only_an_authorised_charge_that_allows_it_can_be_voided():
    assert rules.void_refusal(stored_charge(ChargeStatus.AUTHORIZED)) == ""
    refuses = stored_charge(ChargeStatus.AUTHORIZED, behaviour=Behaviour.REFUSE_VOID)
    assert rules.void_refusal(refuses) == VOID_REFUSED
    assert rules.void_refusal(stored_charge(ChargeStatus.SETTLED)) == VOID_REFUSED
    assert rules.void_refusal(stored_charge(ChargeStatus.VOIDED)) == (
        "This charge has already been voided."
    )
    assert rules.void_refusal(None) == rules.NO_CHARGE


def test_a_refund_is_refused_for_an_unsettled_debit_and_beyond_what_is_left():
    ten = Money.of("10.00", USD)
    assert rules.refund_refusal(stored_charge(ChargeStatus.SETTLED), ten) == ""
    # A card charge is captured with its authorisation, so it is refundable at once...
    assert rules.refund_refusal(stored_charge(ChargeStatus.AUTHORIZED), ten) == ""
    # ...but a bank debit still in flight can only be voided.
    in_flight = stored_charge(ChargeStatus.AUTHORIZED, behaviour=Behaviour.BANK_SETTLES)
    assert "void it instead" in rules.refund_refusal(in_flight, ten)
    over = rules.refund_refusal(stored_charge(ChargeStatus.SETTLED, refunded=9_500), ten)
    assert over == "A refund cannot be more than the $5.00 left on this charge."
    full = stored_charge(ChargeStatus.REFUNDED, refunded=10_000)
    assert rules.refund_refusal(full, ten) == "This charge has already been refunded in full."
    euros = rules.refund_refusal(stored_charge(ChargeStatus.SETTLED), Money.of("1", "EUR"))
    assert euros == "The refund must be in USD, the currency of the charge."


@pytest.mark.parametrize(
    ("status", "behaviour", "outcome", "settled"),
    [
        (ChargeStatus.AUTHORIZED, Behaviour.APPROVE, Outcome.APPROVED, False),
        (ChargeStatus.AUTHORIZED, Behaviour.BANK_SETTLES, Outcome.PENDING, False),
        (ChargeStatus.SETTLED, Behaviour.APPROVE, Outcome.APPROVED, True),
        (ChargeStatus.VOIDED, Behaviour.APPROVE, Outcome.APPROVED, False),
        (ChargeStatus.REFUNDED, Behaviour.APPROVE, Outcome.APPROVED, True),
        (ChargeStatus.DECLINED, Behaviour.BANK_RETURNED, Outcome.DECLINED, False),
    ],
)
def test_the_current_state_of_a_charge_reads_as_an_outcome(status, behaviour, outcome, settled):
    result = rules.current_state(stored_charge(status, behaviour=behaviour))
    assert (result.outcome, result.settled, result.charge_status) == (outcome, settled, status)
