"""split_payment: how one payment is spread over invoices (DESIGN rules 1, 5, 6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from remit.core.errors import AllocationRefused, InvalidAmount
from remit.core.money import Money
from remit.payments.allocation import OpenInvoice, split_payment

DIGITS = {"USD": 2, "JPY": 0, "BHD": 3}  # ISO 4217 minor units
START = date(2024, 1, 1)


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def invoice(number: str, balance: str, *, day: int = 0, due: int = 30, currency: str = "USD"):
    invoice_date = START + timedelta(days=day)
    return OpenInvoice(
        id=int(number.rsplit("-", 1)[-1]),
        number=number,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=due),
        balance=Money.of(balance, currency),
    )


def applied_by_number(split) -> dict[str, str]:
    return {line.invoice.number: str(line.amount) for line in split.lines}


# --- oldest first ---------------------------------------------------------------------


def test_a_lump_sum_pays_the_oldest_invoice_first_by_invoice_date():
    newer = invoice("INV-0001", "100.00", day=10)
    older = invoice("INV-0002", "100.00", day=0)
    split = split_payment(usd("150.00"), [newer, older])
    assert applied_by_number(split) == {"INV-0002": "100.00", "INV-0001": "50.00"}
    assert split.credit.is_zero()


def test_invoices_of_the_same_date_are_paid_by_due_date_then_by_number():
    due_late = invoice("INV-0001", "40.00", day=0, due=60)
    due_soon_b = invoice("INV-0003", "40.00", day=0, due=10)
    due_soon_a = invoice("INV-0002", "40.00", day=0, due=10)
    split = split_payment(usd("60.00"), [due_late, due_soon_b, due_soon_a])
    assert applied_by_number(split) == {"INV-0002": "40.00", "INV-0003": "20.00"}


def test_the_lines_are_listed_oldest_first():
    invoices = [invoice(f"INV-000{n}", "10.00", day=10 - n) for n in range(1, 5)]
    split = split_payment(usd("40.00"), invoices)
    assert [line.invoice.number for line in split.lines] == [
        "INV-0004",
        "INV-0003",
        "INV-0002",
        "INV-0001",
    ]


def test_a_payment_smaller_than_the_oldest_balance_leaves_it_partly_paid():
    split = split_payment(
        usd("30.00"), [invoice("INV-0001", "100.00"), invoice("INV-0002", "5.00", day=3)]
    )
    assert applied_by_number(split) == {"INV-0001": "30.00"}
    assert split.credit.is_zero()


def test_the_policy_used_is_named_on_the_split():
    assert split_payment(usd("1"), [invoice("INV-0001", "5")]).policy == "oldest_first"
    explicit = split_payment(usd("1"), [invoice("INV-0001", "5")], {"INV-0001": usd("1")})
    assert explicit.policy == "explicit"


# --- overpayment ----------------------------------------------------------------------


def test_overpayment_becomes_credit_after_every_invoice_is_paid_in_full():
    split = split_payment(
        usd("250.00"), [invoice("INV-0001", "100.00"), invoice("INV-0002", "75.50", day=1)]
    )
    assert applied_by_number(split) == {"INV-0001": "100.00", "INV-0002": "75.50"}
    assert split.credit == usd("74.50")
    assert split.applied == usd("175.50")


def test_a_payment_with_no_open_invoices_is_all_credit():
    split = split_payment(usd("20.00"), [])
    assert split.lines == ()
    assert split.credit == usd("20.00")


def test_overpayment_in_yen_and_dinars_keeps_their_minor_units():
    yen = split_payment(Money.of("1500", "JPY"), [invoice("INV-0001", "1000", currency="JPY")])
    assert yen.credit == Money.of("500", "JPY")
    dinars = split_payment(Money.of("2.001", "BHD"), [invoice("INV-0001", "1.5", currency="BHD")])
    assert applied_by_number(dinars) == {"INV-0001": "1.500"}
    assert str(dinars.credit) == "0.501"


# --- amounts fixed by hand ------------------------------------------------------------


def test_fixed_amounts_are_applied_first_and_the_rest_spreads_oldest_first_over_the_others():
    oldest = invoice("INV-0001", "100.00", day=0)
    middle = invoice("INV-0002", "100.00", day=5)
    newest = invoice("INV-0003", "100.00", day=9)
    split = split_payment(usd("150.00"), [oldest, middle, newest], {"INV-0003": usd("80.00")})
    # 80 to the invoice chosen by hand, then the other 70 to the oldest of the rest
    assert applied_by_number(split) == {"INV-0003": "80.00", "INV-0001": "70.00"}
    assert split.credit.is_zero()


def test_fixed_amounts_that_leave_money_over_make_credit_when_nothing_else_is_named():
    split = split_payment(
        usd("100.00"),
        [invoice("INV-0001", "50.00"), invoice("INV-0002", "50.00", day=1)],
        {"INV-0001": usd("10.00"), "INV-0002": usd("20.00")},
    )
    assert applied_by_number(split) == {"INV-0001": "10.00", "INV-0002": "20.00"}
    assert split.credit == usd("70.00")


def test_a_fixed_amount_over_the_invoice_balance_is_refused():
    with pytest.raises(AllocationRefused, match="INV-0001"):
        split_payment(usd("100.00"), [invoice("INV-0001", "40.00")], {"INV-0001": usd("40.01")})


def test_fixed_amounts_adding_up_to_more_than_the_payment_are_refused():
    with pytest.raises(AllocationRefused, match="more than"):
        split_payment(
            usd("50.00"),
            [invoice("INV-0001", "40.00"), invoice("INV-0002", "40.00")],
            {"INV-0001": usd("30.00"), "INV-0002": usd("30.00")},
        )


def test_fixed_amounts_equal_to_the_payment_are_accepted():
    split = split_payment(
        usd("60.00"),
        [invoice("INV-0001", "40.00"), invoice("INV-0002", "40.00"), invoice("INV-0003", "9")],
        {"INV-0001": usd("30.00"), "INV-0002": usd("30.00")},
    )
    assert applied_by_number(split) == {"INV-0001": "30.00", "INV-0002": "30.00"}
    assert split.credit.is_zero()


@pytest.mark.parametrize("amount", ["0", "-0.01"])
def test_a_fixed_amount_of_zero_or_less_is_refused(amount):
    with pytest.raises(InvalidAmount):
        split_payment(usd("10"), [invoice("INV-0001", "40.00")], {"INV-0001": usd(amount)})


def test_a_fixed_amount_for_an_invoice_not_being_paid_is_refused():
    with pytest.raises(AllocationRefused, match="INV-0009"):
        split_payment(usd("10"), [invoice("INV-0001", "40.00")], {"INV-0009": usd("5")})


def test_a_fixed_amount_in_another_currency_is_refused():
    with pytest.raises(InvalidAmount):
        split_payment(usd("10"), [invoice("INV-0001", "40.00")], {"INV-0001": Money.of("5", "EUR")})


# --- refusals of the payment itself ---------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_payment_of_zero_or_less_is_refused(amount):
    with pytest.raises(InvalidAmount):
        split_payment(usd(amount), [invoice("INV-0001", "40.00")])


def test_a_payment_in_another_currency_than_the_invoices_is_refused():
    with pytest.raises(InvalidAmount):
        split_payment(Money.of("10", "EUR"), [invoice("INV-0001", "40.00")])


# --- properties -----------------------------------------------------------------------


@st.composite
def payments(draw, *, with_fixed: bool = False):
    """A currency, invoices with distinct numbers (dates often tied), a payment, and
    optionally amounts fixed by hand for some of the invoices."""
    currency = draw(st.sampled_from(sorted(DIGITS)))
    count = draw(st.integers(min_value=0, max_value=8))
    numbers = draw(st.lists(st.integers(1, 9999), min_size=count, max_size=count, unique=True))
    invoices = []
    for n in numbers:
        invoice_date = START + timedelta(days=draw(st.integers(0, 5)))
        invoices.append(
            OpenInvoice(
                id=n,
                number=f"INV-{n:04d}",
                invoice_date=invoice_date,
                due_date=invoice_date + timedelta(days=draw(st.integers(0, 3))),
                balance=Money.from_minor(draw(st.integers(1, 10**7)), currency),
            )
        )
    fixed: dict[str, Money] = {}
    if with_fixed and invoices:
        chosen = draw(st.lists(st.sampled_from(invoices), unique_by=lambda i: i.number))
        for chosen_invoice in chosen:
            fixed[chosen_invoice.number] = Money.from_minor(
                draw(st.integers(1, chosen_invoice.balance.minor)), currency
            )
    owed = sum(i.balance.minor for i in invoices)
    floor = sum(m.minor for m in fixed.values())
    payment_minor = draw(
        st.one_of(
            st.integers(max(1, floor), max(1, floor) + 10**6),
            st.integers(max(1, floor), max(max(1, floor), owed)),  # often short of what is owed
            st.just(max(1, owed)),  # exactly what is owed
        )
    )
    return Money.from_minor(payment_minor, currency), invoices, fixed


def age(invoice: OpenInvoice):
    return (invoice.invoice_date, invoice.due_date, invoice.number)


@given(payments(with_fixed=True))
def test_property_lines_plus_credit_add_up_to_the_payment_exactly(case):
    amount, invoices, fixed = case
    split = split_payment(amount, invoices, fixed)
    assert sum(line.amount.minor for line in split.lines) + split.credit.minor == amount.minor
    assert split.credit.minor >= 0
    assert split.credit.currency == amount.currency


@given(payments(with_fixed=True))
def test_property_no_invoice_gets_more_than_its_balance_nor_nothing(case):
    amount, invoices, fixed = case
    split = split_payment(amount, invoices, fixed)
    numbers = [line.invoice.number for line in split.lines]
    assert len(numbers) == len(set(numbers))
    for line in split.lines:
        assert 0 < line.amount.minor <= line.invoice.balance.minor


@given(payments())
def test_property_oldest_invoices_are_paid_in_full_before_a_newer_one_gets_anything(case):
    amount, invoices, _ = case
    split = split_payment(amount, invoices)
    applied = {line.invoice.number: line.amount.minor for line in split.lines}
    ordered = sorted(invoices, key=age)
    for position, later in enumerate(ordered):
        if applied.get(later.number, 0) > 0:
            for older in ordered[:position]:
                assert applied.get(older.number, 0) == older.balance.minor


@given(payments())
def test_property_oldest_first_applies_as_much_as_possible(case):
    amount, invoices, _ = case
    split = split_payment(amount, invoices)
    owed = sum(i.balance.minor for i in invoices)
    assert sum(line.amount.minor for line in split.lines) == min(amount.minor, owed)


@given(payments(with_fixed=True))
def test_property_every_amount_is_quantized_to_the_currency_minor_unit(case):
    amount, invoices, fixed = case
    split = split_payment(amount, invoices, fixed)
    places = DIGITS[amount.currency]
    for money in [split.credit, *(line.amount for line in split.lines)]:
        assert money.currency == amount.currency
        assert money.amount.as_tuple().exponent == -places


@given(payments(with_fixed=True))
def test_property_credit_is_made_only_when_every_invoice_is_paid_in_full(case):
    amount, invoices, fixed = case
    split = split_payment(amount, invoices, fixed)
    if split.credit.is_positive():
        applied = {line.invoice.number: line.amount.minor for line in split.lines}
        for i in invoices:
            if i.number not in fixed:
                assert applied.get(i.number, 0) == i.balance.minor


@given(payments(with_fixed=True))
def test_property_fixed_amounts_are_applied_exactly_as_chosen(case):
    amount, invoices, fixed = case
    split = split_payment(amount, invoices, fixed)
    applied = {line.invoice.number: line.amount for line in split.lines}
    for number, wanted in fixed.items():
        assert applied[number] == wanted
    assert split.policy == ("explicit" if fixed else "oldest_first")


@given(payments(), st.randoms(use_true_random=False))
def test_property_the_order_invoices_are_given_in_does_not_matter(case, random):
    amount, invoices, _ = case
    shuffled = list(invoices)
    random.shuffle(shuffled)
    first, second = split_payment(amount, invoices), split_payment(amount, shuffled)
    assert [(x.invoice.number, x.amount) for x in first.lines] == [
        (x.invoice.number, x.amount) for x in second.lines
    ]
    assert first.credit == second.credit


@given(payments(with_fixed=True))
def test_property_fixed_amounts_over_the_payment_are_always_refused(case):
    amount, invoices, fixed = case
    chosen = sum(m.minor for m in fixed.values())
    assume(chosen > 1)
    short = Money.from_minor(chosen - 1, amount.currency)
    with pytest.raises(AllocationRefused):
        split_payment(short, invoices, fixed)
