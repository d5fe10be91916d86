"""parse_invoice_csv: good rows, and every bad line reported with its number and reason."""

from __future__ import annotations

from datetime import date

import pytest

from remit.core.money import Money
from remit.invoices.csv_import import parse_invoice_csv

HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,description"
)


def csv_of(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def good(number: str = "INV-1", total: str = "150.00", currency: str = "USD") -> str:
    return f"{number},C-1,Acme Ltd,2024-03-01,2024-03-31,{currency},{total},Consulting"


def only_problem(text: str) -> tuple[int, str]:
    rows, problems = parse_invoice_csv(text)
    assert rows == []
    assert len(problems) == 1, problems
    return problems[0]


# --- good files -----------------------------------------------------------------------


def test_a_good_file_gives_one_row_per_invoice_with_its_line_number():
    rows, problems = parse_invoice_csv(
        csv_of(good("INV-1", "150.00"), "INV-2,C-2,Beta GmbH,2024-03-05,2024-04-04,JPY,12000,")
    )
    assert problems == []
    assert [(r.line, r.number, r.customer_number) for r in rows] == [
        (2, "INV-1", "C-1"),
        (3, "INV-2", "C-2"),
    ]
    first, second = rows
    assert first.customer_name == "Acme Ltd"
    assert first.invoice_date == date(2024, 3, 1) and first.due_date == date(2024, 3, 31)
    assert first.total == Money.of("150", "USD")
    assert first.description == "Consulting"
    assert second.total == Money.of("12000", "JPY") and second.description == ""


def test_spaces_around_values_and_header_names_are_ignored():
    text = (
        " invoice_number , customer_number ,customer_name,invoice_date,due_date,currency,total,"
        "description\n INV-7 , C-1 ,Acme, 2024-03-01 ,2024-03-01, usd , 9.5 ,x\n"
    )
    rows, problems = parse_invoice_csv(text)
    assert problems == []
    assert rows[0].number == "INV-7" and rows[0].customer_number == "C-1"
    assert rows[0].total == Money.of("9.50", "USD")


def test_the_columns_may_come_in_any_order():
    text = (
        "total,currency,description,due_date,invoice_date,customer_name,customer_number,"
        "invoice_number\n20.00,USD,x,2024-01-31,2024-01-01,Acme,C-1,INV-9\n"
    )
    rows, problems = parse_invoice_csv(text)
    assert problems == []
    assert (rows[0].number, rows[0].total) == ("INV-9", Money.of("20", "USD"))


def test_blank_lines_are_skipped_not_reported():
    rows, problems = parse_invoice_csv(csv_of(good("INV-1"), "", ",,,,,,,", "   ", good("INV-2")))
    assert problems == []
    assert [r.number for r in rows] == ["INV-1", "INV-2"]


def test_an_empty_customer_name_or_description_is_allowed():
    rows, problems = parse_invoice_csv(csv_of("INV-1,C-1,,2024-03-01,2024-03-31,USD,1.00,"))
    assert problems == []
    assert rows[0].customer_name == "" and rows[0].description == ""


def test_an_invoice_due_on_its_invoice_date_is_accepted():
    rows, problems = parse_invoice_csv(csv_of("INV-1,C-1,A,2024-03-01,2024-03-01,USD,1.00,"))
    assert problems == [] and len(rows) == 1


# --- bad files and lines --------------------------------------------------------------


def test_a_header_missing_columns_is_reported_on_line_1_naming_them():
    rows, problems = parse_invoice_csv(
        "invoice_number,customer_number,invoice_date,due_date,currency\nINV-1,C-1,2024-01-01,"
        "2024-01-31,USD\n"
    )
    assert rows == []
    assert len(problems) == 1
    line, reason = problems[0]
    assert line == 1
    for column in ("customer_name", "total", "description"):
        assert column in reason
    assert "invoice_number" not in reason


def test_an_empty_file_is_reported_as_lacking_the_header():
    rows, problems = parse_invoice_csv("")
    assert rows == []
    assert problems and problems[0][0] == 1


@pytest.mark.parametrize(
    ("line", "column"),
    [
        (",C-1,Acme,2024-03-01,2024-03-31,USD,1.00,x", "invoice_number"),
        ("INV-1,,Acme,2024-03-01,2024-03-31,USD,1.00,x", "customer_number"),
        ("INV-1,C-1,Acme,,2024-03-31,USD,1.00,x", "invoice_date"),
        ("INV-1,C-1,Acme,2024-03-01,,USD,1.00,x", "due_date"),
        ("INV-1,C-1,Acme,2024-03-01,2024-03-31,,1.00,x", "currency"),
        ("INV-1,C-1,Acme,2024-03-01,2024-03-31,USD,,x", "total"),
        ("INV-1,C-1,Acme,2024-03-01,2024-03-31,USD", "total"),  # a short line
    ],
)
def test_an_empty_required_field_is_reported_by_column(line, column):
    number, reason = only_problem(csv_of(line))
    assert number == 2
    assert column in reason and "empty" in reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("invoice_date", "2024-02-30"),
        ("invoice_date", "03/01/2024"),
        ("due_date", "soon"),
        ("due_date", "2024-13-01"),
    ],
)
def test_a_bad_date_is_reported_with_the_column_and_value(field, value):
    invoice_date = value if field == "invoice_date" else "2024-03-01"
    due_date = value if field == "due_date" else "2024-03-31"
    number, reason = only_problem(csv_of(f"INV-1,C-1,A,{invoice_date},{due_date},USD,1.00,x"))
    assert number == 2
    assert field in reason and value in reason


def test_a_due_date_before_the_invoice_date_is_reported():
    number, reason = only_problem(csv_of("INV-1,C-1,A,2024-03-10,2024-03-09,USD,1.00,x"))
    assert number == 2
    assert "due_date" in reason and "before" in reason


@pytest.mark.parametrize(
    ("total", "currency", "words"),
    [
        ("abc", "USD", "not an amount"),
        ("1.005", "USD", "decimal places"),
        ("150.5", "JPY", "decimal places"),
        ("1.0005", "BHD", "decimal places"),
        ("-5.00", "USD", "without a sign"),
        ("0", "USD", "more than zero"),
        ("0.00", "USD", "more than zero"),
        ("NaN", "USD", "not an amount"),
        ("Infinity", "USD", "not an amount"),
    ],
)
def test_a_bad_total_is_reported_with_the_reason(total, currency, words):
    number, reason = only_problem(csv_of(f"INV-1,C-1,A,2024-03-01,2024-03-31,{currency},{total},x"))
    assert number == 2
    assert words in reason


def test_an_unknown_currency_is_reported():
    number, reason = only_problem(csv_of(good(currency="ZZZ")))
    assert number == 2
    assert "ZZZ" in reason


def test_an_invoice_number_twice_in_the_file_is_reported_on_the_second_line_naming_the_first():
    rows, problems = parse_invoice_csv(csv_of(good("INV-1"), good("INV-2"), good("INV-1")))
    assert [r.number for r in rows] == ["INV-1", "INV-2"]
    assert len(problems) == 1
    line, reason = problems[0]
    assert line == 4
    assert "INV-1" in reason and "2" in reason


def test_every_bad_line_is_reported_not_only_the_first():
    rows, problems = parse_invoice_csv(
        csv_of(
            good("INV-1"),
            "INV-2,C-1,A,2024-03-01,2024-03-31,USD,-1,x",
            good("INV-3"),
            "INV-4,C-1,A,someday,2024-03-31,USD,1.00,x",
            "INV-5,C-1,A,2024-03-01,2024-03-31,XYZQ,1.00,x",
        )
    )
    assert [r.number for r in rows] == ["INV-1", "INV-3"]
    assert [line for line, _ in problems] == [3, 5, 6]
    assert all(reason and not reason.endswith(".") for _, reason in problems)


def test_a_bad_line_after_a_blank_line_is_reported_with_its_real_line_number():
    text = csv_of(good("INV-1"), "", "INV-2,C-1,A,2024-03-01,2024-03-31,USD,abc,x")
    rows, problems = parse_invoice_csv(text)
    assert [r.number for r in rows] == ["INV-1"]
    assert [line for line, _ in problems] == [4]  # header 1, INV-1 2, blank 3, INV-2 4


def test_a_bad_line_after_a_multi_line_description_is_reported_with_its_real_line_number():
    text = csv_of(
        'INV-1,C-1,A,2024-03-01,2024-03-31,USD,1.00,"first\nsecond"',
        "INV-2,C-1,A,2024-03-01,2024-03-31,USD,abc,x",
    )
    rows, problems = parse_invoice_csv(text)
    assert rows[0].description == "first\nsecond"
    assert [line for line, _ in problems] == [4]  # header 1, INV-1 on 2 and 3, INV-2 on 4


def test_a_good_row_after_a_blank_line_keeps_its_real_line_number():
    rows, _ = parse_invoice_csv(csv_of(good("INV-1"), "", "", good("INV-2")))
    assert [(r.number, r.line) for r in rows] == [("INV-1", 2), ("INV-2", 5)]


def test_a_bad_row_spanning_two_lines_is_reported_on_the_line_it_starts():
    text = csv_of('INV-1,C-1,A,2024-03-01,2024-03-31,USD,abc,"first\nsecond"')
    _, problems = parse_invoice_csv(text)
    assert [line for line, _ in problems] == [2]


# --- what once ended in a 500 or a traceback: now a line error --------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            good("I" * 65),
            "invoice_number: '" + "I" * 39,  # echoed, cut short
        ),
        (
            "INV-1," + "C" * 33 + ",A,2024-03-01,2024-03-31,USD,1.00,x",
            "customer_number: ",
        ),
        (
            "INV-1,C-1,A,2024-03-01,2024-03-31,USD,1.00," + "d" * 501,
            "description: It has 501 characters; at most 500",
        ),
        (
            "INV-1,C-1," + "N" * 201 + ",2024-03-01,2024-03-31,USD,1.00,x",
            "customer_name: It has 201 characters; at most 200",
        ),
        ("INV-1,C-1,A,2024-03-01,2024-03-31,USD,1.00,a\x00b", "description: The NUL character"),
        ("INV\x00-1,C-1,A,2024-03-01,2024-03-31,USD,1.00,x", "invoice_number: The NUL character"),
        ("a b796,C-1,A,2024-03-01,2024-03-31,USD,1.00,x", "a space is not allowed"),
        ("INV-1,a/b,A,2024-03-01,2024-03-31,USD,1.00,x", "'/' is not allowed"),
    ],
)
def test_a_field_the_database_cannot_take_is_a_line_error(line, words):
    number, reason = only_problem(csv_of(line))
    assert number == 2
    assert words in reason


def test_a_field_over_the_csv_modules_limit_is_a_line_error_not_a_crash():
    rows, problems = parse_invoice_csv(csv_of(good("INV-1"), good("INV-2") + "x" * 200_000))
    assert [r.number for r in rows] == ["INV-1"]
    assert problems[0][0] == 3 and "cannot be read" in problems[0][1]


@pytest.mark.parametrize(
    ("total", "words"),
    [
        ("1e10", "total: '1e10' is not an amount: write the digits out, without an exponent"),
        ("1_000.00", "without underscores"),
        ("\uff11\uff10.00", "with the digits 0 to 9"),
        ("\u0663.\u0665\u0660", "with the digits 0 to 9"),
        ('"$1,000.00"', "without a currency symbol"),
        ('"1,25"', "a comma may only separate thousands"),
    ],
)
def test_a_total_is_read_as_the_api_reads_an_amount(total, words):
    _, reason = only_problem(csv_of(f"INV-1,C-1,A,2024-03-01,2024-03-31,USD,{total},x"))
    assert words in reason


def test_a_total_with_thousands_separators_in_quotes_is_read():
    rows, problems = parse_invoice_csv(csv_of('INV-1,C-1,A,2024-03-01,2024-03-31,USD,"1,250.00",x'))
    assert problems == [] and rows[0].total == Money.of("1250", "USD")


@pytest.mark.parametrize(
    ("dates", "words"),
    [
        ("0001-01-01,2024-03-31", "invoice_date: The invoice date 0001-01-01 is out of range"),
        ("2024-03-01,9999-12-31", "due_date: The due date 9999-12-31 is out of range"),
        ("20240301,2024-03-31", "invoice_date: '20240301' is not a date: write it as YYYY-MM-DD"),
    ],
)
def test_dates_are_read_as_every_face_reads_them_and_bounded(dates, words):
    _, reason = only_problem(csv_of(f"INV-1,C-1,A,{dates},USD,1.00,x"))
    assert words in reason
