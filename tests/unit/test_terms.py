"""Early-payment terms (issue 14): the pure rule (the discount, its last day, the window)
and how the split applies discounted balances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.core.errors import RemitError
from remit.core.inputs.terms import days_parse, percent_parse
from remit.core.money import Money
from remit.invoices.rules import InvalidTerms, Terms, discount_remaining_minor, terms_check
from remit.payments.allocation import OpenInvoice, split_payment

START = date(2026, 12, 1)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
totals = st.integers(min_value=1, max_value=10**14)


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def test_two_ten_on_one_hundred_dollars_is_two_dollars_until_the_tenth_day():
    terms = Terms(Decimal(2), 10)
    assert terms.amount_minor(10000) == 200
    assert terms.last_day(START) == date(2026, 12, 11)
    assert terms.applies_on(date(2026, 12, 11), START)
    assert not terms.applies_on(date(2026, 12, 12), START)


def test_half_a_minor_unit_rounds_up():
    assert Terms(Decimal(2), 10).amount_minor(10025) == 201  # 2.005 -> 2.01
    assert Terms(Decimal(2), 10).amount_minor(10024) == 200  # 2.0048 -> 2.00


@given(percents, totals)
def test_the_discount_is_never_more_than_the_total_and_within_half_a_unit(percent, total):
    minor = Terms(percent, 10).amount_minor(total)
    assert 0 <= minor <= total
    assert abs(Decimal(minor) - Decimal(total) * percent / 100) <= Decimal("0.5")


@given(percents, totals, st.integers(min_value=0, max_value=10**14))
def test_what_is_left_of_a_discount_never_goes_below_zero(percent, total, taken):
    terms = Terms(percent, 10)
    left = discount_remaining_minor(terms, total, taken)
    assert 0 <= left <= terms.amount_minor(total)
    assert left == max(terms.amount_minor(total) - taken, 0)


@given(st.integers(min_value=0, max_value=3660), st.integers(min_value=-30, max_value=4000))
def test_a_day_is_inside_the_window_exactly_when_it_is_on_or_before_the_last_day(days, offset):
    terms = Terms(Decimal(2), days)
    day = START + timedelta(days=offset)
    assert terms.applies_on(day, START) == (offset <= days)


@pytest.mark.parametrize(
    ("percent", "days"),
    [("0", 10), ("100.01", 10), ("1.005", 10), ("2", None), (None, 10), ("2", -1)],
)
def test_terms_out_of_bounds_are_refused(percent, days):
    with pytest.raises(InvalidTerms):
        terms_check(Decimal(percent) if percent else None, days)


def test_no_terms_is_none_and_two_places_are_kept():
    assert terms_check(None, None) is None
    assert terms_check(Decimal("1.5"), 0) == Terms(Decimal("1.50"), 0)


@pytest.mark.parametrize("text", ["-2", "2%", "1e1", "", "two", "1,5", "1000"])
def test_a_percent_is_digits_only(text):
    with pytest.raises(RemitError, match="is not a percent"):
        percent_parse(text)


@pytest.mark.parametrize("text", ["-1", "1.5", "", "ten", "10000"])
def test_days_are_a_whole_number(text):
    with pytest.raises(RemitError, match="is not a number of days"):
        days_parse(text)


def termed(number: str, balance: str, discount: str | None, day: int = 0) -> OpenInvoice:
    return OpenInvoice(
        id=int(number.rsplit("-", 1)[-1]),
        number=number,
        invoice_date=START + timedelta(days=day),
        due_date=START + timedelta(days=day + 30),
        balance=usd(balance),
        discount=usd(discount) if discount else None,
    )


def test_the_spread_applies_the_discounted_balance_and_carries_on():
    split = split_payment(
        usd("150.00"), [termed("INV-1", "100.00", "2.00"), termed("INV-2", "100.00", None, 1)]
    )
    assert [(line.amount, line.discount) for line in split.lines] == [
        (usd("98.00"), usd("2.00")),
        (usd("52.00"), None),
    ]


def test_less_than_the_discounted_balance_earns_nothing():
    split = split_payment(usd("97.99"), [termed("INV-1", "100.00", "2.00")])
    assert split.discounts == ()


def test_a_fixed_amount_of_exactly_the_discounted_balance_earns_it():
    invoice = termed("INV-1", "100.00", "2.00")
    split = split_payment(usd("98.00"), [invoice], {"INV-1": usd("98.00")})
    assert split.discounts[0].discount == usd("2.00")


@given(
    st.integers(min_value=1, max_value=10**8),
    st.lists(
        st.tuples(st.integers(min_value=2, max_value=10**7), st.integers(0, 50)),
        min_size=1,
        max_size=6,
    ),
)
def test_a_split_with_discounts_still_adds_up_and_never_closes_more_than_is_due(amount, rows):
    invoices = []
    for n, (balance, percent) in enumerate(rows, start=1):
        discount = balance * percent // 100
        invoices.append(
            termed(
                f"INV-{n}",
                str(Money.from_minor(balance, "USD").amount),
                str(Money.from_minor(discount, "USD").amount) if 0 < discount < balance else None,
                day=n,
            )
        )
    split = split_payment(Money.from_minor(amount, "USD"), invoices)
    assert split.applied + split.credit == Money.from_minor(amount, "USD")
    for line in split.lines:
        closed = line.amount + (line.discount or usd("0"))
        assert closed <= line.invoice.balance
        if line.discount:
            assert closed == line.invoice.balance
