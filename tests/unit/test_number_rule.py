"""The one rule for customer, invoice and payment numbers (`core.inputs.identifiers`)."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.core.errors import InvalidNumber
from remit.core.inputs.identifiers import (
    CHARS,
    MAX_LENGTH,
    PATTERN,
    NumberKind,
    number_parse,
    number_problem,
)

CUSTOMER, INVOICE, PAYMENT = NumberKind.CUSTOMER, NumberKind.INVOICE, NumberKind.PAYMENT


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("C-0001", CUSTOMER),  # the demo's customers
        ("C-T00001", CUSTOMER),  # the tests' factories
        ("INV-10045", INVOICE),  # the demo's invoices
        ("INV-T000001", INVOICE),
        ("INV-C-T00001-1", INVOICE),
        ("2026.INV_7", INVOICE),
        ("PMT-000123", PAYMENT),  # remit's own numbers
        ("SCH-000001", PAYMENT),
        ("7", CUSTOMER),
        ("C" * 32, CUSTOMER),
        ("I" * 64, INVOICE),
    ],
)
def test_the_numbers_remit_and_its_users_already_write_follow_the_rule(number, kind):
    assert number_parse(number, kind) == number


@pytest.mark.parametrize(
    ("number", "kind", "sentence"),
    [
        (
            "a/b",
            CUSTOMER,
            "'a/b' is not a customer number: '/' is not allowed; use the letters A to Z, "
            "digits, '.', '_' and '-'.",
        ),
        (
            "a b796",
            INVOICE,
            "'a b796' is not an invoice number: a space is not allowed; use the letters A to "
            "Z, digits, '.', '_' and '-'.",
        ),
        ("", CUSTOMER, "Enter a customer number."),
        (
            "C" * 33,
            CUSTOMER,
            f"'{'C' * 33}' is not a customer number: it has 33 characters; at most 32.",
        ),
        ("-A1", INVOICE, "'-A1' is not an invoice number: it must start with a letter or a digit."),
        (
            ".hidden",
            INVOICE,
            "'.hidden' is not an invoice number: it must start with a letter or a digit.",
        ),
    ],
)
def test_a_number_that_breaks_the_rule_is_refused_saying_how(number, kind, sentence):
    with pytest.raises(InvalidNumber) as refused:
        number_parse(number, kind, field="customer")
    assert refused.value.message == sentence
    assert refused.value.fields == {"customer": sentence}


@pytest.mark.parametrize(
    ("number", "what"),
    [
        ("INV\u00e91", "'\u00e9' is not allowed"),
        ("INV\uff11", "'\uff11' is not allowed"),
        ("INV\x001", "the character U+0000 is not allowed"),
        ("INV\t1", "the character U+0009 is not allowed"),
        (" INV-1", "a space is not allowed"),
        ("INV-1 ", "a space is not allowed"),
        ("INV%2F1", "'%' is not allowed"),
    ],
)
def test_every_character_outside_the_rule_is_named(number, what):
    assert what in number_problem(number, INVOICE)


def test_an_invoice_number_may_be_twice_as_long_as_a_customer_number():
    assert MAX_LENGTH == {CUSTOMER: 32, INVOICE: 64, PAYMENT: 32}
    assert number_problem("I" * 64, INVOICE) is None
    assert "at most 64" in number_problem("I" * 65, INVOICE)


GOOD = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(string.ascii_letters + string.digits),
    st.text(alphabet=CHARS, max_size=31),
)


@given(GOOD, st.sampled_from(list(NumberKind)))
def test_any_number_made_of_the_allowed_characters_is_accepted(number, kind):
    assert number_problem(number, kind) is None
    assert re.fullmatch(PATTERN, number)


@given(
    st.text(alphabet=CHARS, max_size=10),
    st.characters().filter(lambda c: c not in CHARS),
    st.text(alphabet=CHARS, max_size=10),
)
def test_any_number_with_one_character_outside_the_rule_is_refused(before, bad, after):
    assert number_problem(before + bad + after, INVOICE)
