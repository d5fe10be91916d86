"""The one amount syntax every face reads (`core.inputs.amount_text`), and an amount a user
gives in a currency (`core.inputs.amounts.amount_parse`): what is accepted, and the
sentence each refusal says."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from remit.core.errors import InvalidAmount
from remit.core.inputs.amount_text import MAX_AMOUNT, PATTERN, decimal_from_text
from remit.core.inputs.amounts import amount_parse
from remit.core.money import Money

# ISO 4217 minor units, written out here rather than read from the code under test.
DIGITS = {"USD": 2, "JPY": 0, "BHD": 3}


def refusal(text: str, currency: str = "USD") -> str:
    with pytest.raises(InvalidAmount) as refused:
        amount_parse(text, currency)
    return refused.value.message


# --- accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150", "150.00"),
        ("150.5", "150.50"),
        ("150.00", "150.00"),
        ("0.01", "0.01"),
        ("007.10", "7.10"),
        ("1,250.00", "1250.00"),
        ("1,000,000", "1000000.00"),
        ("999,999,999,999.99", "999999999999.99"),
    ],
)
def test_digits_with_an_optional_point_and_commas_every_three_digits_are_an_amount(text, expected):
    assert str(amount_parse(text, "USD")) == expected


@pytest.mark.parametrize(("text", "currency"), [("1500", "JPY"), ("1.250", "BHD")])
def test_an_amount_may_have_as_many_places_as_its_currency(text, currency):
    assert amount_parse(text, currency) == Money.of(text, currency)


# --- refused, each with its reason ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e10", "without an exponent"),
        ("1E3", "without an exponent"),
        ("5e-2", "without an exponent"),
        ("1_000.00", "without underscores"),
        ("\uff11\uff10.00", "the digits 0 to 9"),  # full-width 10.00
        ("\u0663.\u0665\u0660", "the digits 0 to 9"),  # Arabic-Indic 3.50
        ("1\u00bd", "the digits 0 to 9"),  # a vulgar fraction
        ("-5.00", "without a sign"),
        ("+5.00", "without a sign"),
        ("NaN", "write digits, such as 150.00"),
        ("nan", "write digits, such as 150.00"),
        ("Infinity", "write digits, such as 150.00"),
        ("-inf", "write digits, such as 150.00"),
        ("1 000.00", "without spaces"),
        (" 150.00", "without spaces"),
        ("150.00\n", "without spaces"),
        ("1\u00a0000", "without spaces"),  # a no-break space as thousands separator
        ("$10.00", "without a currency symbol"),
        ("10.00\u20ac", "without a currency symbol"),
        ("\u00a3", "without a currency symbol"),
        ("1,25", "a comma may only separate thousands"),
        ("12,50", "a comma may only separate thousands"),
        ("1,0000", "a comma may only separate thousands"),
        ("1.000,00", "a comma may only separate thousands"),
        (",5", "a comma may only separate thousands"),
        ("5.", "write digits with an optional decimal point"),
        (".5", "write digits with an optional decimal point"),
        ("5.0.0", "write digits with an optional decimal point"),
        ("0x10", "write digits with an optional decimal point"),
        ("150USD", "write digits with an optional decimal point"),
        ("--5", "write digits with an optional decimal point"),
        ("abc", "write digits with an optional decimal point"),
    ],
)
def test_what_is_not_the_syntax_is_refused_saying_why(text, reason):
    sentence = refusal(text)
    assert sentence.startswith("'") and " is not an amount: " in sentence
    assert reason in sentence
    assert sentence.endswith(".")


def test_an_empty_amount_asks_for_one():
    assert refusal("") == "Enter an amount."


@pytest.mark.parametrize("text", ["1000000000000", "1,000,000,000,000", "99999999999999999"])
def test_an_amount_of_a_trillion_or_more_is_larger_than_remit_accepts(text):
    assert refusal(text) == (
        f"'{text}' is larger than remit accepts: an amount is less than 1,000,000,000,000."
    )


def test_text_longer_than_twenty_characters_is_refused_even_when_its_value_is_small():
    assert refusal("0" * 20 + "1") == (
        f"'{'0' * 20}1' is not an amount: it has more than 20 characters."
    )


@pytest.mark.parametrize("text", ["0", "0.00", "000", "0,000.00"])
def test_zero_is_refused(text):
    assert refusal(text) == f"An amount must be more than zero; '{text}' is not."


@pytest.mark.parametrize(
    ("text", "currency", "sentence"),
    [
        ("150.001", "USD", "USD amounts have 2 decimal places; '150.001' has 3."),
        ("150.000", "USD", "USD amounts have 2 decimal places; '150.000' has 3."),
        ("150.5", "JPY", "JPY amounts have no decimal places; '150.5' has 1."),
        ("1.0005", "BHD", "BHD amounts have 3 decimal places; '1.0005' has 4."),
    ],
)
def test_more_places_than_the_currency_has_are_refused_even_as_zeros(text, currency, sentence):
    assert refusal(text, currency) == sentence


def test_the_checks_run_in_one_order_so_one_input_has_one_sentence():
    # zero and too precise: the zero is named, in every face (the API checks the
    # syntax and zero before it knows the currency)
    assert refusal("0.000") == "An amount must be more than zero; '0.000' is not."


def test_a_refusal_names_the_field_it_was_given_for():
    with pytest.raises(InvalidAmount) as refused:
        amount_parse("1e3", "USD", field="total")
    assert refused.value.fields == {"total": refused.value.message}


def test_a_control_character_is_shown_escaped_and_a_long_text_is_cut():
    assert refusal("5\x00").startswith("'5\\x00' is not an amount")
    assert refusal("x" * 100).startswith("'" + "x" * 39 + "…'")


# --- properties -----------------------------------------------------------------------

amounts = st.sampled_from(sorted(DIGITS)).flatmap(
    lambda currency: st.integers(min_value=1, max_value=10 ** (12 + DIGITS[currency]) - 1).map(
        lambda minor: Money.from_minor(minor, currency)
    )
)
"""Any positive amount below a trillion, in currencies of 0, 2 and 3 places."""


@given(amounts)
def test_any_amount_written_as_remit_writes_it_reads_back_as_itself(money):
    assert amount_parse(str(money), money.currency) == money


@given(amounts)
def test_any_amount_written_with_thousands_separators_reads_back_as_itself(money):
    assert amount_parse(f"{money.amount:,f}", money.currency) == money


NON_ASCII_DIGITS = st.characters(
    categories=["Nd", "No", "Nl"], exclude_characters="0123456789"
).filter(lambda char: char.isnumeric())


@given(st.text(max_size=10), NON_ASCII_DIGITS, st.text(max_size=10))
def test_any_text_holding_a_digit_of_another_script_is_refused(before, digit, after):
    with pytest.raises(InvalidAmount):
        decimal_from_text(before + digit + after)


@given(st.text(alphabet="0123456789.,", max_size=8), NON_ASCII_DIGITS, st.text("0123456789"))
def test_a_number_written_partly_in_another_script_is_told_to_use_0_to_9(before, digit, after):
    with pytest.raises(InvalidAmount, match="write it with the digits 0 to 9"):
        decimal_from_text(before + digit + after)


@given(st.text(max_size=24))
def test_whatever_is_accepted_matches_the_pattern_the_api_publishes(text):
    try:
        number = decimal_from_text(text)
    except InvalidAmount as error:
        assert error.message  # every refusal is a sentence
        return
    assert re.fullmatch(PATTERN, text)
    assert Decimal(0) <= number < MAX_AMOUNT


@given(st.from_regex(PATTERN, fullmatch=True))
def test_whatever_matches_the_pattern_is_accepted_unless_too_long_or_too_large(text):
    assume(len(text) <= 20)
    assume(Decimal(text.replace(",", "")) < MAX_AMOUNT)
    assert decimal_from_text(text) == Decimal(text.replace(",", ""))


# --- Money.of, for text remit writes ----------------------------------------------------


def test_money_of_reads_remits_own_signed_text_with_the_same_syntax():
    assert Money.of("-20.00", "USD") == -Money.of("20", "USD")
    for text in ("1e3", "1_000", "\uff11"):
        with pytest.raises(InvalidAmount):
            Money.of(text, "USD")
