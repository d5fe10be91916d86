"""Importing bank files: stored once, matched, the certain lines posted through the payment
services, the rest queued; a bad file writes nothing; the books stay right."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.bank.errors import StatementRejected
from remit.bank.models import BankLine, LineStatus, PayerMemory, Statement
from remit.bank.services import bank_line_accept, bank_line_ignore, bank_statement_import
from remit.books.audit import books_audit
from remit.core.errors import RemitError
from remit.core.models import AuditEvent
from remit.customers.services import customer_create
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from tests.factories import ACTOR, make_invoice

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent.parent / "bank_files"
HEADER = "date,amount,currency,bank_reference,payer,text\n"


@pytest.fixture
def book():
    acme = customer_create(number="C-0001", name="Acme Corporation", actor=ACTOR)
    globex = customer_create(number="C-0002", name="Globex LLC", actor=ACTOR)
    make_invoice(acme, "430.00", number="INV-10045", days_ago=60)
    make_invoice(acme, "120.00", number="INV-10046", days_ago=50)
    make_invoice(acme, "80.00", number="INV-10047", days_ago=40)
    make_invoice(globex, "250.00", number="INV-20001", days_ago=30)
    make_invoice(globex, "99.00", number="INV-20002", days_ago=20)
    return acme, globex


def csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def statuses() -> dict[str, str]:
    return dict(BankLine.objects.values_list("bank_reference", "status"))


def test_a_csv_is_matched_posted_and_queued_and_the_books_stay_right(book, actor):
    data = csv(
        "2026-11-30,430.00,USD,R1,ACME CORP,Payment INV-10045",
        "2026-11-30,200.00,USD,R2,Acme Corporation,thanks",
        "2026-11-30,99.00,USD,R3,Globex,see attached",
        "2026-11-30,57.00,USD,R4,Nobody Known,hello",
        "2026-11-30,-12.00,USD,R5,,Wire fee",
        "2026-11-30,240.00,USD,R6,Globex LLC,INV-20001",
    )
    result = bank_statement_import(data=data, filename="nov.csv", actor=actor)
    assert result.counts == {"posted": 3, "review": 1, "unmatched": 1, "ignored": 1}
    assert result.duplicate_of is None and result.lines == 6
    assert statuses() == {
        "R1": "posted",
        "R2": "posted",
        "R3": "posted",
        "R4": "unmatched",
        "R5": "ignored",
        "R6": "review",
    }
    payment = Payment.objects.get(reference="R2")
    assert (payment.type, payment.status) == ("bank_transfer", "settled")
    assert sorted(a.invoice.number for a in payment.allocations.all()) == ["INV-10046", "INV-10047"]
    assert Invoice.objects.get(number="INV-10045").balance_due_minor == 0
    review = BankLine.objects.get(bank_reference="R6")
    assert "short by $10.00" in review.reason and review.allocations == [
        {"invoice": "INV-20001", "amount": "240.00"}
    ]
    bank = sum(
        JournalLine.objects.filter(account=Account.BANK).values_list("amount_minor", flat=True)
    )
    assert bank == 72900
    assert books_audit().ok, books_audit().problems


def test_the_same_file_again_posts_nothing_and_says_so(book, actor):
    data = csv("2026-11-30,430.00,USD,R1,ACME CORP,INV-10045")
    first = bank_statement_import(data=data, actor=actor)
    again = bank_statement_import(data=data, actor=actor)
    assert again.duplicate_of == first.statement.pk
    assert again.counts == {"posted": 0, "review": 0, "unmatched": 0, "ignored": 0}
    assert Payment.objects.count() == 1 and Statement.objects.count() == 1


def test_a_line_seen_in_an_overlapping_statement_is_a_duplicate(book, actor):
    bank_statement_import(data=csv("2026-11-29,430.00,USD,R1,ACME CORP,INV-10045"), actor=actor)
    second = bank_statement_import(
        data=csv(
            "2026-11-29,430.00,USD,R1,ACME CORP,INV-10045",
            "2026-11-30,99.00,USD,R7,Globex LLC,INV-20002",
        ),
        actor=actor,
    )
    assert second.counts == {"posted": 1, "review": 0, "unmatched": 0, "ignored": 1}
    duplicate = BankLine.objects.get(statement=second.statement, bank_reference="R1")
    assert duplicate.duplicate_of.statement_id != second.statement.pk
    assert "Already imported" in duplicate.reason
    assert Payment.objects.count() == 2
    assert books_audit().ok


def test_a_bad_file_is_refused_and_nothing_is_written(book, actor):
    events = AuditEvent.objects.count()
    with pytest.raises(StatementRejected) as refused:
        bank_statement_import(
            data=csv("2026-11-30,430.00,USD,R1,ACME,INV-10045", "2026-11-30,1.005,USD,R2,X,y"),
            actor=actor,
        )
    assert "line 3: amount" in refused.value.message
    assert not Statement.objects.exists() and not BankLine.objects.exists()
    assert not Payment.objects.exists() and AuditEvent.objects.count() == events


def test_bai2_and_camt_files_import(book, actor):
    bai2 = bank_statement_import(data=(FILES / "lockbox.bai2").read_bytes(), actor=actor)
    assert bai2.statement.format == "bai2"
    assert bai2.counts["posted"] == 1 and bai2.counts["ignored"] == 2
    check = Payment.objects.get(reference="LBX0001")
    assert check.type == "check"
    camt = bank_statement_import(data=(FILES / "statement.camt053.xml").read_bytes(), actor=actor)
    assert camt.statement.format == "camt053" and camt.lines == 5
    assert books_audit().ok


def test_accepting_a_review_line_posts_the_suggestion_and_learns_the_payer(book, actor):
    bank_statement_import(data=csv("2026-11-30,240.00,USD,R6,GLBX HOLDINGS,INV-20001"), actor=actor)
    line = BankLine.objects.get(bank_reference="R6")
    assert line.status == LineStatus.REVIEW
    accepted = bank_line_accept(line_id=line.pk, actor=actor)
    assert accepted.status == LineStatus.POSTED and accepted.payment.amount_minor == 24000
    assert PayerMemory.objects.get(key="GLBX HOLDINGS").customer.number == "C-0002"
    # the next statement knows the payer
    bank_statement_import(data=csv("2026-12-01,99.00,USD,R8,Glbx Holdings,"), actor=actor)
    assert BankLine.objects.get(bank_reference="R8").status == LineStatus.POSTED
    assert books_audit().ok


def test_a_clerk_may_choose_another_customer_and_invoices(book, actor):
    acme, _ = book
    bank_statement_import(data=csv("2026-11-30,500.00,USD,R9,Mystery Co,hello"), actor=actor)
    line = BankLine.objects.get(bank_reference="R9")
    assert line.status == LineStatus.UNMATCHED
    accepted = bank_line_accept(
        line_id=line.pk,
        customer=acme,
        invoices=[InvoiceRequest("INV-10045"), InvoiceRequest("INV-10046")],
        actor=actor,
    )
    payment = accepted.payment
    assert [(a["invoice"], a["amount"]) for a in accepted.allocations] == [
        ("INV-10045", "430.00"),
        ("INV-10046", "70.00"),
    ]
    assert payment.amount_minor == 50000
    with pytest.raises(RemitError):
        bank_line_accept(line_id=line.pk, actor=actor)
    assert books_audit().ok


def test_ignoring_needs_a_reason_and_posts_nothing(book, actor):
    bank_statement_import(data=csv("2026-11-30,57.00,USD,R4,Nobody,hello"), actor=actor)
    line = BankLine.objects.get(bank_reference="R4")
    with pytest.raises(RemitError):
        bank_line_ignore(line_id=line.pk, reason="  ", actor=actor)
    ignored = bank_line_ignore(line_id=line.pk, reason="Owner's own transfer", actor=actor)
    assert ignored.status == LineStatus.IGNORED and "Owner's own transfer" in ignored.reason
    assert not Payment.objects.exists()


def test_the_audit_names_a_deposit_whose_slip_does_not_add_up(book, actor):
    from remit.bank.deposits import deposit_create
    from remit.bank.models import Deposit
    from remit.payments.services.offline import payment_post
    from tests.conftest import usd

    acme, _ = book
    check = payment_post(
        customer=acme,
        amount=usd("430.00"),
        payment_type="check",
        idempotency_key="chk-1",
        actor=actor,
        source="backoffice",
    )
    with pytest.raises(RemitError):
        deposit_create(payment_numbers=[], deposited_on=check.post_date, actor=actor)
    deposit = deposit_create(
        payment_numbers=[check.number], deposited_on=check.post_date, actor=actor
    )
    assert books_audit().ok
    with pytest.raises(RemitError) as twice:
        deposit_create(payment_numbers=[check.number], deposited_on=check.post_date, actor=actor)
    assert "cannot be deposited" in twice.value.message
    Deposit.objects.filter(pk=deposit.pk).update(total_minor=43001)
    problems = books_audit().problems
    assert any(f"{deposit.number}: the slip says $430.01" in p for p in problems)


def balance_of(account: str) -> int:
    return sum(JournalLine.objects.filter(account=account).values_list("amount_minor", flat=True))


def test_a_deposited_check_voided_as_returned_leaves_the_bank_not_undeposited_funds(book, actor):
    from remit.bank.deposits import deposit_create
    from remit.payments.services.offline import payment_post
    from remit.payments.services.voids import payment_void
    from tests.conftest import usd

    acme, _ = book
    check = payment_post(
        customer=acme,
        amount=usd("430.00"),
        payment_type="check",
        idempotency_key="chk-returned",
        actor=actor,
        source="backoffice",
        reference="5521",
    )
    deposit_create(payment_numbers=[check.number], deposited_on=check.post_date, actor=actor)
    assert (balance_of(Account.UNDEPOSITED_FUNDS), balance_of(Account.BANK)) == (0, 43000)

    payment_void(payment=check, reason="Returned by the bank: insufficient funds", actor=actor)

    # The money had gone to the bank; the returned check takes it out of the bank.
    assert (balance_of(Account.UNDEPOSITED_FUNDS), balance_of(Account.BANK)) == (0, 0)
    assert Invoice.objects.get(number="INV-10045").balance_due_minor == 43000
    report = books_audit()
    assert report.ok, report.problems


def test_a_payment_received_on_a_statement_line_voided_leaves_the_bank(book, actor):
    from remit.payments.services.voids import payment_void

    bank_statement_import(data=csv("2026-11-30,430.00,USD,R1,ACME CORP,INV-10045"), actor=actor)
    payment = Payment.objects.get(reference="R1")
    assert payment.banked_on is not None

    payment_void(payment=payment, reason="ACH returned", actor=actor)

    assert (balance_of(Account.UNDEPOSITED_FUNDS), balance_of(Account.BANK)) == (0, 0)
    report = books_audit()
    assert report.ok, report.problems
