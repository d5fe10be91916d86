"""The card-number detector of free text (core/inputs/free_text.py): every Luhn-valid run
of 13 to 19 digits is found, however it is grouped and whatever text is around it; the
numbers a clerk types in a reference or a note (checks, invoices, phone numbers, dates,
amounts) are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.core.errors import RemitError
from remit.core.inputs.free_text import (
    card_numbers_in,
    free_text_parse,
    has_card_number,
    luhn_valid,
)


def luhn_complete(body: str) -> str:
    """`body` with the check digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


card_numbers = st.integers(min_value=12, max_value=18).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n).map(luhn_complete)
)
words = st.text(st.characters(categories=["L", "P", "Zs"], exclude_characters="-"), max_size=20)


def grouped(number: str, cuts: list[int], separators: list[str]) -> str:
    """`number` cut into groups at `cuts`, joined by one space or dash each."""
    places = sorted({c % len(number) for c in cuts} - {0})
    pieces = [number[a:b] for a, b in zip([0, *places], [*places, len(number)], strict=True)]
    text = pieces[0]
    for n, piece in enumerate(pieces[1:]):
        text += separators[n % len(separators)] + piece
    return text


def around(before: str, text: str, after: str) -> str:
    """`text` between words, kept apart from any digit by a space."""
    return f"{before} {text} {after}"


@given(
    number=card_numbers,
    cuts=st.lists(st.integers(min_value=1, max_value=18), max_size=5),
    separators=st.lists(st.sampled_from([" ", "-"]), min_size=1, max_size=3),
    before=words,
    after=words,
)
def test_a_luhn_valid_run_of_13_to_19_digits_is_found_however_grouped(
    number, cuts, separators, before, after
):
    text = around(before, grouped(number, cuts, separators), after)
    assert number in set(card_numbers_in(text))
    with pytest.raises(RemitError) as refused:
        free_text_parse(text, what="notes")
    assert refused.value.message == (
        "Remove the card number from the notes: card numbers are never stored."
    )
    assert refused.value.fields == {"notes": refused.value.message}


@given(number=card_numbers, cvc=st.text("0123456789", min_size=3, max_size=4))
def test_a_card_number_followed_by_its_cvc_is_still_found(number, cvc):
    assert has_card_number(f"{number} {cvc}")


@given(
    numbers=st.lists(st.text("0123456789", min_size=1, max_size=12), max_size=6),
    joiner=st.sampled_from([", ", " / ", "; ", " and ", " #"]),
)
def test_check_and_invoice_numbers_of_up_to_12_digits_are_not_card_numbers(numbers, joiner):
    text = "Checks " + joiner.join(numbers)
    assert not has_card_number(text)
    assert free_text_parse(text, what="reference") == text


@given(number=card_numbers, position=st.integers(min_value=0, max_value=18))
def test_a_wrong_digit_makes_it_not_a_card_number(number, position):
    position %= len(number)
    wrong = str((int(number[position]) + 5) % 10)  # one digit off: the Luhn sum changes
    altered = number[:position] + wrong + number[position + 1 :]
    assert not has_card_number(altered)


@pytest.mark.parametrize(
    "text",
    [
        "4411",
        "Check 000123456789",
        "INV-10045, INV-10046",
        "Call 555-123-4567",
        "Paid 2026-11-21, 1,250.00",
        "Wire ref 20261121-0042",
        "",
    ],
)
def test_everyday_free_text_is_kept_as_it_is(text):
    assert free_text_parse(text, what="notes") == text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("4242 4242 4242 4242", "4242424242424242"),
        ("4242-4242-4242-4242", "4242424242424242"),
        ("Amex 3782 822463 10005.", "378282246310005"),
        ("card:5555555555554444/12/29", "5555555555554444"),
        ("4222222222222", "4222222222222"),  # 13 digits
    ],
)
def test_the_test_cards_of_the_networks_are_found(text, found):
    assert found in set(card_numbers_in(text))


def test_twenty_digits_written_together_are_not_a_card_number():
    assert not has_card_number("42424242424242424242")  # not any card's length
