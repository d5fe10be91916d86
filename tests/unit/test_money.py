"""The Money type: exact amounts in one currency, quantized to its minor unit (rule 11)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.core.errors import InvalidAmount
from remit.core.money import Money, total

# ISO 4217 minor units, written out here rather than read from the code under test.
DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "BHD": 3}


# --- what is refused ------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0, float("nan"), float("inf")])
def test_a_float_is_refused_because_it_is_not_exact(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")
    with pytest.raises(InvalidAmount):
        Money(value, "USD")


@pytest.mark.parametrize(
    "value",
    ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", Decimal("NaN"), Decimal("Infinity")],
)
def test_nan_and_infinities_are_refused(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_taken_for_one_or_zero(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


@pytest.mark.parametrize("value", ["abc", "", "   ", "12.3.4", "$5", None, [1], {"amount": 1}])
def test_things_that_are_not_numbers_are_refused(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "USD")


@pytest.mark.parametrize(
    ("value", "currency"),
    [("1.005", "USD"), ("0.001", "USD"), ("1.5", "JPY"), ("0.1", "JPY"), ("1.0005", "BHD")],
)
def test_an_amount_with_more_places_than_the_currency_has_is_refused(value, currency):
    with pytest.raises(InvalidAmount, match="decimal places"):
        Money.of(value, currency)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1.000", "USD", "1.00"),
        ("1.0", "JPY", "1"),
        ("1.50", "JPY", None),
        ("2.5000", "BHD", "2.500"),
    ],
)
def test_trailing_zeros_beyond_the_minor_unit_are_harmless(value, currency, expected):
    if expected is None:
        with pytest.raises(InvalidAmount):
            Money.of(value, currency)
    else:
        assert str(Money.of(value, currency)) == expected


@pytest.mark.parametrize("code", ["QQQ", "ZZZ", "US", "DOLLARS", ""])
def test_an_unknown_currency_code_is_refused(code):
    with pytest.raises(InvalidAmount):
        Money.of("1", code)


def test_a_lowercase_currency_code_is_understood():
    assert Money.of("1", "usd") == Money.of("1", "USD")


def test_an_amount_beyond_what_remit_stores_is_refused():
    with pytest.raises(InvalidAmount, match="larger"):
        Money.of("1000000000000", "USD")
    assert Money.of("999999999999.99", "USD").minor == 99_999_999_999_999


@pytest.mark.parametrize("value", ["1,25", "1,2,5", "12,50", "1,0000.00", ",5"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "EUR")


def test_a_comma_as_thousands_separator_is_accepted():
    assert Money.of("1,250.00", "USD") == Money.of("1250", "USD")
    assert Money.of("1,000,000", "JPY") == Money.of("1000000", "JPY")
    assert Money.of("-1,250.50", "USD") == Money.of("-1250.50", "USD")


# --- currencies never mix -------------------------------------------------------------


def test_adding_or_subtracting_amounts_in_different_currencies_is_refused():
    dollars, euros = Money.of("5", "USD"), Money.of("5", "EUR")
    with pytest.raises(InvalidAmount):
        dollars + euros
    with pytest.raises(InvalidAmount):
        dollars - euros


@pytest.mark.parametrize("compare", ["__lt__", "__le__", "__gt__", "__ge__"])
def test_comparing_amounts_in_different_currencies_is_refused(compare):
    with pytest.raises(InvalidAmount):
        getattr(Money.of("5", "USD"), compare)(Money.of("500", "JPY"))
    with pytest.raises(InvalidAmount):
        Money.of("5", "USD").min(Money.of("500", "JPY"))


def test_the_same_number_in_different_currencies_is_not_equal():
    assert Money.of("5", "USD") != Money.of("5", "EUR")


def test_money_does_not_combine_with_a_bare_number():
    with pytest.raises(TypeError):
        Money.of("5", "USD") + 5
    with pytest.raises(TypeError):
        Money.of("5", "USD") + Decimal("5")


def test_totalling_amounts_of_mixed_currencies_is_refused():
    with pytest.raises(InvalidAmount):
        total([Money.of("1", "USD"), Money.of("1", "EUR")], "USD")


# --- quantizing and arithmetic --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "text", "minor"),
    [
        ("5", "USD", "5.00", 500),
        ("1250.5", "USD", "1250.50", 125050),
        ("1000", "JPY", "1000", 1000),
        ("1.5", "BHD", "1.500", 1500),
        ("0.001", "BHD", "0.001", 1),
    ],
)
def test_amounts_are_quantized_to_the_currency_minor_unit(value, currency, text, minor):
    money = Money.of(value, currency)
    assert str(money) == text
    assert money.minor == minor
    assert money.amount.as_tuple().exponent == -DIGITS[currency]


def test_an_amount_written_two_ways_is_the_same_amount():
    assert Money.of("1.5", "USD") == Money.of("1.50", "USD") == Money(Decimal("1.5"), "USD")
    assert len({Money.of("1.5", "USD"), Money.of("1.50", "USD")}) == 1


def test_arithmetic_is_exact_where_floats_are_not():
    tenth = Money.of("0.10", "USD")
    assert tenth + tenth + tenth == Money.of("0.30", "USD")
    assert total([tenth] * 10, "USD") == Money.of("1", "USD")
    assert Money.of("1", "USD") - Money.of("0.01", "USD") == Money.of("0.99", "USD")


def test_the_total_of_nothing_is_zero_in_that_currency():
    assert total([], "JPY") == Money.zero("JPY")
    assert total([], "JPY").is_zero()


def test_sign_and_ordering():
    small, big = Money.of("1.00", "USD"), Money.of("2.00", "USD")
    assert small < big and big > small and small <= small and big >= big
    assert small.min(big) == small and big.min(small) == small
    assert (-small) == Money.of("-1", "USD")
    assert not Money.zero("USD").is_positive() and Money.zero("USD").is_zero()
    assert not Money.of("-0.01", "USD").is_positive()


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("0.125", "USD", "0.12"),  # half to even: down to the even cent
        ("0.135", "USD", "0.14"),  # half to even: up to the even cent
        ("0.126", "USD", "0.13"),
        ("2.5", "JPY", "2"),
        ("3.5", "JPY", "4"),
        ("0.0005", "BHD", "0.000"),
        ("0.0015", "BHD", "0.002"),
    ],
)
def test_computed_amounts_are_rounded_half_to_even(value, currency, expected):
    assert str(Money.rounded(Decimal(value), currency)) == expected


# --- minor units ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (12345, "USD", "123.45"),
        (5, "USD", "0.05"),
        (12345, "JPY", "12345"),
        (12345, "BHD", "12.345"),
    ],
)
def test_from_minor_reads_integer_minor_units(minor, currency, text):
    assert str(Money.from_minor(minor, currency)) == text


@given(
    currency=st.sampled_from(sorted(DIGITS)),
    data=st.data(),
)
def test_property_from_minor_and_minor_round_trip(currency, data):
    limit = 10 ** (12 + DIGITS[currency]) - 1  # just under remit's largest amount
    minor = data.draw(st.integers(min_value=-limit, max_value=limit))
    money = Money.from_minor(minor, currency)
    assert money.minor == minor
    assert money.amount == Decimal(minor) / Decimal(10) ** DIGITS[currency]
    # and the plain text form parses back to the same amount
    assert Money.of(str(money), currency) == money


@given(
    currency=st.sampled_from(sorted(DIGITS)),
    # small enough that every sum stays inside remit's largest amount, even in JPY
    a=st.integers(min_value=-(10**11), max_value=10**11),
    b=st.integers(min_value=-(10**11), max_value=10**11),
)
def test_property_adding_money_adds_minor_units_exactly(currency, a, b):
    assert (Money.from_minor(a, currency) + Money.from_minor(b, currency)).minor == a + b
    assert (Money.from_minor(a, currency) - Money.from_minor(b, currency)).minor == a - b


# --- formatting for people ------------------------------------------------------------


def test_format_shows_a_currency_symbol_and_thousands_separators():
    assert Money.of("1250", "USD").format() == "$1,250.00"
    assert Money.of("0.5", "USD").format() == "$0.50"
    assert Money.of("1000", "JPY").format() == "¥1,000"
    assert Money.of("80", "EUR").format() == "€80.00"


def test_format_keeps_the_three_places_of_a_three_digit_currency():
    assert Money.of("1.5", "BHD").format().endswith("1.500")


@pytest.mark.parametrize(
    ("currency", "digits", "value", "shown"),
    [
        # ISO 4217 and Babel's CLDR data disagree on these; ISO 4217 is the rule.
        ("IQD", 3, "1250.125", "IQD1,250.125"),
        ("RSD", 2, "99.90", "RSD99.90"),
        ("LAK", 2, "10.05", "LAK10.05"),
    ],
)
def test_minor_units_are_iso_4217_not_cldr(currency, digits, value, shown):
    amount = Money.of(value, currency)
    assert amount.minor == int(Decimal(value).scaleb(digits))
    assert amount.format() == shown  # shown with all its places, none rounded away
    with pytest.raises(InvalidAmount, match="decimal places"):
        Money.of(value + "1", currency)


@pytest.mark.parametrize("code", ["XAU", "XDR", "XTS"])
def test_a_code_without_a_minor_unit_is_refused(code):
    with pytest.raises(InvalidAmount, match="no minor unit"):
        Money.of("1", code)
