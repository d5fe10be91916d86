"""The cash-application rules: what a line pays, and when remit is sure enough to post."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from remit.bank.matching import (
    POSTED,
    REVIEW,
    UNMATCHED,
    CustomerInfo,
    Directory,
    LineFacts,
    OpenDeposit,
    OpenInvoice,
    line_decide,
)
from remit.bank.references import mentions
from remit.bank.subsets import subset_summing
from remit.core.money import Money

DAY = date(2026, 6, 1)
ACME, GLOBEX, INITECH = 1, 2, 3


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def invoice(n: int, customer: int, balance: str, age: int = 0) -> OpenInvoice:
    return OpenInvoice(
        id=n,
        number=f"INV-{n}",
        customer_id=customer,
        currency="USD",
        balance_minor=usd(balance).minor,
        invoice_date=DAY + timedelta(days=age),
        due_date=DAY + timedelta(days=age + 30),
    )


def directory(*invoices: OpenInvoice, **extra) -> Directory:
    return Directory.build(
        customers=[
            CustomerInfo(ACME, "C-0001", "Acme Corporation", "USD"),
            CustomerInfo(GLOBEX, "C-0002", "Globex LLC", "USD"),
            CustomerInfo(INITECH, "C-0003", "Initech Inc.", "USD"),
        ],
        invoices=list(invoices),
        **extra,
    )


BOOK = directory(
    invoice(10045, ACME, "430.00", 1),
    invoice(10046, ACME, "120.00", 2),
    invoice(10047, ACME, "80.00", 3),
    invoice(20001, GLOBEX, "500.00", 1),
    invoice(20002, GLOBEX, "250.00", 2),
    invoice(30001, INITECH, "99.00", 1),
)


def test_invoice_numbers_are_read_however_customers_write_them():
    said = mentions("Invoices inv 10045, INV-0010046/10047 and #10048 paid 2026-11-30 $1,250.00")
    assert "INV10045" in said.full and "INV0010046" in said.full
    assert {"10045", "10046", "10047", "10048"} <= set(said.digits)
    assert "2026" not in said.digits and "250" not in said.digits


def test_referenced_invoices_whose_balances_add_up_are_posted():
    decision = line_decide(LineFacts(usd("630.00"), text="INV 10045/10046 + 10047"), BOOK)
    assert decision.status == POSTED and decision.customer_id == ACME
    assert [(i.number, str(a)) for i, a in decision.allocations] == [
        ("INV-10045", "430.00"),
        ("INV-10046", "120.00"),
        ("INV-10047", "80.00"),
    ]


def test_a_number_with_its_prefix_dropped_and_leading_zeros_is_still_the_invoice():
    decision = line_decide(LineFacts(usd("430.00"), text="payment for 0010045"), BOOK)
    assert decision.status == POSTED and decision.allocations[0][0].number == "INV-10045"


def test_structured_remittance_with_amounts_posts_partial_payments():
    line = LineFacts(
        usd("300.00"), documents=(("INV-20001", usd("200.00")), ("INV-20002", usd("100.00")))
    )
    decision = line_decide(line, BOOK)
    assert decision.status == POSTED and decision.customer_id == GLOBEX
    assert [str(a) for _, a in decision.allocations] == ["200.00", "100.00"]


def test_a_short_payment_is_reviewed_with_the_shortfall_reported():
    decision = line_decide(LineFacts(usd("415.00"), text="INV-10045"), BOOK)
    assert decision.status == REVIEW and "short by $15.00" in decision.reason
    assert str(decision.allocations[0][1]) == "415.00"


def test_references_to_two_customers_are_never_posted():
    decision = line_decide(LineFacts(usd("529.00"), text="INV-10045 INV-30001"), BOOK)
    assert decision.status == REVIEW and "several customers" in decision.reason


def test_payer_name_and_one_invoice_of_that_amount_posts():
    decision = line_decide(LineFacts(usd("250.00"), payer="GLOBEX L.L.C."), BOOK)
    assert decision.status == POSTED and decision.allocations[0][0].number == "INV-20002"


def test_payer_name_and_a_unique_set_of_invoices_posts_that_set():
    decision = line_decide(LineFacts(usd("200.00"), payer="Acme Corp"), BOOK)
    assert decision.status == POSTED
    assert [i.number for i, _ in decision.allocations] == ["INV-10046", "INV-10047"]


def test_a_fuzzy_name_that_is_not_close_enough_only_suggests():
    decision = line_decide(LineFacts(usd("99.00"), payer="Initek Incorporated Ltd"), BOOK)
    assert decision.status in (REVIEW, UNMATCHED)
    assert decision.status != POSTED


def test_a_remembered_bank_account_names_the_customer():
    book = directory(*BOOK.by_full.values(), remembered_accounts={"DE001": INITECH})
    decision = line_decide(
        LineFacts(usd("99.00"), payer="ACCOUNTS PAYABLE", payer_account="DE001"), book
    )
    assert decision.status == POSTED and decision.customer_id == INITECH


def test_a_reference_to_a_paid_invoice_stops_posting_by_amount():
    decision = line_decide(LineFacts(usd("250.00"), payer="Globex LLC", text="INV-20099"), BOOK)
    assert decision.status == REVIEW and "INV20099" in decision.reason


def test_the_payer_naming_another_customer_than_the_invoices_is_reviewed():
    decision = line_decide(LineFacts(usd("430.00"), payer="Globex LLC", text="INV-10045"), BOOK)
    assert decision.status == REVIEW and "looks like C-0002" in decision.reason


def test_no_plausible_customer_is_unmatched():
    decision = line_decide(LineFacts(usd("77.00"), payer="Someone Else", text="thanks"), BOOK)
    assert decision.status == UNMATCHED and decision.customer_id is None


def test_several_invoices_of_the_amount_suggest_the_oldest():
    book = directory(invoice(1, ACME, "50.00", 5), invoice(2, ACME, "50.00", 1))
    decision = line_decide(LineFacts(usd("50.00"), payer="Acme Corporation"), book)
    assert decision.status == REVIEW and decision.allocations[0][0].number == "INV-2"


def test_a_deposit_line_matches_the_deposit_slip_of_its_total():
    book = directory(deposits=[OpenDeposit(7, "DEP-000007", "USD", 123456)])
    decision = line_decide(LineFacts(usd("1234.56"), text="DEPOSIT", deposit=True), book)
    assert decision.status == POSTED and decision.deposit_id == 7


# --- properties ----------------------------------------------------------------------

balances = st.lists(st.integers(min_value=1, max_value=2000), min_size=0, max_size=9)


@settings(max_examples=300, deadline=None)
@given(balances, st.integers(min_value=1, max_value=6000))
def test_the_subset_search_agrees_with_brute_force(values, target):
    result = subset_summing(values, target)
    sets = [
        c
        for r in range(1, len(values) + 1)
        for c in combinations(range(len(values)), r)
        if sum(values[i] for i in c) == target
    ]
    assert result.complete
    if not sets:
        assert result.first is None
        return
    oldest_first = max(sets, key=lambda c: [i in c for i in range(len(values))])
    assert result.first == oldest_first
    assert result.unique == (len(sets) == 1)


@st.composite
def books_and_lines(draw):
    invoices = []
    for n in range(draw(st.integers(1, 8))):
        customer = draw(st.sampled_from([ACME, GLOBEX, INITECH]))
        invoices.append(invoice(100 + n, customer, f"{draw(st.integers(1, 500))}.00", n))
    amount = draw(st.integers(1, 1500))
    words = draw(
        st.lists(
            st.sampled_from(
                [f"INV-{i.number[4:]}" for i in invoices] + ["C-0001", "thanks", "10999", "payment"]
            ),
            max_size=4,
        )
    )
    payer = draw(st.sampled_from(["", "Acme Corp", "Globex", "Initech Inc", "Unknown Ltd"]))
    return directory(*invoices), LineFacts(usd(f"{amount}.00"), text=" ".join(words), payer=payer)


@settings(max_examples=400, deadline=None)
@given(books_and_lines())
def test_a_posted_decision_is_exact_within_balances_and_one_customer(case):
    book, line = case
    decision = line_decide(line, book)
    for invoice_, amount in decision.allocations:
        assert 0 < amount.minor <= invoice_.balance_minor
        assert invoice_.customer_id == decision.customer_id
    assert decision.applied <= line.amount.minor
    if decision.status == POSTED:
        assert decision.applied == line.amount.minor
        assert decision.customer_id is not None
