"""Bank files read by content, and the bad-file table: each refused whole, naming the line
or element that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.bank.formats import Direction, Kind, StatementRefused, statement_parse

FILES = Path(__file__).parent.parent / "bank_files"


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_bai2_credits_debits_and_interest_are_read_with_their_kind():
    statement = statement_parse(read("lockbox.bai2"))
    assert statement.format == "bai2"
    check, wire, debit, interest = statement.lines
    assert (str(check.amount), check.kind, check.bank_reference) == (
        "430.00",
        Kind.CHECK,
        "LBX0001",
    )
    assert "INV-10045" in check.text
    assert (wire.kind, wire.payer) == (Kind.BANK_TRANSFER, "GLOBEX LLC")
    assert debit.direction == Direction.DEBIT and "Check Paid" in debit.ignore_reason
    assert interest.ignore_reason.startswith("Not a customer payment: Interest Credit")


def test_camt053_batch_booking_is_one_line_per_transaction_with_structured_remittance():
    statement = statement_parse(read("statement.camt053.xml"))
    assert statement.format == "camt053"
    first, batch_a, batch_b, interest, fee = statement.lines
    assert first.documents[0][0] == "INV-2001" and str(first.documents[0][1]) == "1250.00"
    assert (first.payer, first.payer_account) == ("Globex GmbH", "FR7630006000011234567890189")
    assert [str(batch_a.amount), str(batch_b.amount)] == ["100.00", "200.00"]
    assert (batch_a.bank_reference, batch_b.text) == ("BATCH-7-1", "Invoices 2003 and 2004")
    assert "interest" in interest.ignore_reason
    assert fee.direction == Direction.DEBIT


def test_camt054_is_read_like_camt053():
    text = read("statement.camt053.xml").decode()
    text = text.replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn").replace("<Stmt>", "<Ntfctn>")
    text = text.replace("</Stmt>", "</Ntfctn>")
    statement = statement_parse(text.encode())
    assert statement.format == "camt054" and len(statement.lines) == 5


def test_csv_debits_are_negative_and_interest_is_not_a_customer_payment():
    statement = statement_parse(read("lockbox.csv"))
    assert statement.format == "csv"
    acme, globex, fee, interest = statement.lines
    assert (acme.payer, str(acme.amount), acme.position) == ("Acme Corp", "430.00", 2)
    assert globex.text == "inv 10046 10047"
    assert fee.direction == Direction.DEBIT
    assert interest.kind == Kind.OTHER and interest.ignore_reason


def _bai2_with(old: str, new: str) -> bytes:
    return read("lockbox.bai2").decode().replace(old, new).encode()


BAD_FILES = [
    ("truncated BAI2", lambda: read("lockbox.bai2").rsplit(b"98,", 1)[0], "truncated"),
    ("wrong account total", lambda: _bai2_with("49,555623,7/", "49,555633,7/"), "line 9"),
    ("wrong record count", lambda: _bai2_with("49,555623,7/", "49,555623,8/"), "line 9"),
    ("wrong file total", lambda: _bai2_with("99,555623,1,11/", "99,1,1,11/"), "line 11"),
    (
        "invalid XML",
        lambda: read("statement.camt053.xml").replace(b"</Amt>", b"</Amount>", 1),
        "at line 9, column",
    ),
    (
        "truncated XML",
        lambda: read("statement.camt053.xml")[:900],
        "not valid",
    ),
    (
        "XML entities",
        lambda: b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>',
        "entities",
    ),
    ("unknown format", lambda: b"hello,world\n1,2\n", "not BAI2, camt.053, camt.054 or CSV"),
    (
        "too many places (camt)",
        lambda: read("statement.camt053.xml").replace(b">300.00<", b">300.005<", 1),
        "Ntry 2 (BATCH-7)/Amt: EUR amounts have 2 decimal places",
    ),
    (
        "too many places (CSV)",
        lambda: read("lockbox.csv").replace(b"250.00", b"250.001"),
        "line 3: amount: USD amounts have 2 decimal places",
    ),
    (
        "batch not adding up",
        lambda: read("statement.camt053.xml").replace(b">200.00<", b">210.00<"),
        "transactions add up",
    ),
    ("truncated CSV", lambda: read("lockbox.csv")[:-20], "columns"),
    ("empty", lambda: b"  \n", "empty"),
]


@pytest.mark.parametrize(("case", "make", "says"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_refused_whole_naming_what_is_wrong(case, make, says):
    with pytest.raises(StatementRefused) as refused:
        statement_parse(make())
    assert says in refused.value.message
