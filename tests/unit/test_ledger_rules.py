"""unbalanced_currencies: a journal entry balances in every currency, or it is named."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from remit.core.money import Money
from remit.ledger.rules import Posting, unbalanced_currencies


def m(value: str, currency: str = "USD") -> Money:
    return Money.of(value, currency)


def test_an_entry_whose_debits_equal_its_credits_is_balanced():
    postings = [
        Posting.debit("undeposited_funds", m("250.00")),
        Posting.credit("receivable", m("175.50")),
        Posting.credit("customer_credit", m("74.50")),
    ]
    assert unbalanced_currencies(postings) == {}


def test_an_entry_with_no_postings_is_balanced():
    assert unbalanced_currencies([]) == {}


def test_more_debit_than_credit_is_named_with_the_difference():
    postings = [Posting.debit("receivable", m("100.00")), Posting.credit("sales", m("99.99"))]
    assert unbalanced_currencies(postings) == {"USD": m("0.01")}


def test_more_credit_than_debit_gives_a_negative_difference():
    postings = [Posting.debit("receivable", m("90")), Posting.credit("sales", m("100"))]
    assert unbalanced_currencies(postings) == {"USD": m("-10")}


def test_each_currency_must_balance_on_its_own():
    postings = [
        Posting.debit("receivable", m("100", "USD")),
        Posting.credit("sales", m("100", "USD")),
        Posting.debit("receivable", m("5000", "JPY")),
        Posting.credit("sales", m("4000", "JPY")),
    ]
    assert unbalanced_currencies(postings) == {"JPY": m("1000", "JPY")}


def test_a_debit_in_one_currency_does_not_balance_a_credit_in_another():
    postings = [
        Posting.debit("receivable", m("100", "USD")),
        Posting.credit("sales", m("100", "EUR")),
    ]
    assert unbalanced_currencies(postings) == {"USD": m("100", "USD"), "EUR": m("-100", "EUR")}


def test_differences_keep_the_minor_unit_of_their_currency():
    postings = [Posting.debit("receivable", m("1.001", "BHD"))]
    result = unbalanced_currencies(postings)
    assert result == {"BHD": m("1.001", "BHD")}
    assert str(result["BHD"]) == "1.001"


def test_a_credit_posting_is_the_negative_of_the_debit():
    assert Posting.credit("sales", m("5")).amount == m("-5")
    assert Posting.debit("sales", m("5")).amount == m("5")


@given(
    st.lists(
        st.tuples(st.sampled_from(["USD", "JPY", "BHD"]), st.integers(1, 10**9)),
        max_size=20,
    ),
    st.randoms(use_true_random=False),
)
def test_property_every_debit_matched_by_a_credit_balances_in_any_order(amounts, random):
    postings = []
    for currency, minor in amounts:
        money = Money.from_minor(minor, currency)
        postings += [Posting.debit("receivable", money), Posting.credit("sales", money)]
    random.shuffle(postings)
    assert unbalanced_currencies(postings) == {}


@given(
    st.lists(
        st.tuples(st.sampled_from(["USD", "JPY", "BHD"]), st.integers(-(10**9), 10**9)),
        max_size=20,
    )
)
def test_property_the_difference_is_the_exact_sum_per_currency(amounts):
    postings = [Posting("receivable", Money.from_minor(minor, cur)) for cur, minor in amounts]
    expected: dict[str, int] = {}
    for currency, minor in amounts:
        expected[currency] = expected.get(currency, 0) + minor
    assert {c: d.minor for c, d in unbalanced_currencies(postings).items()} == {
        c: total for c, total in expected.items() if total != 0
    }
