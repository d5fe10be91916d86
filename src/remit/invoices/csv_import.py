"""Parsing an invoice CSV into rows or line-numbered problems. Pure: no database.

Columns: invoice_number, customer_number, customer_name, invoice_date, due_date, currency,
total, description, and optionally discount_percent and discount_days (early-payment
terms, both or neither) and credit_note_for. A row with an invoice number in
credit_note_for is a credit note of that invoice (issue 14): its invoice_number is the
credit note's own number in the billing system, its total is negative (the amount
credited), invoice_date is its date, due_date may be empty and description says why.
Each cell is trimmed, then read with the parsers every face uses
(`core.inputs`): a total as the API reads an amount, numbers by the number rule, dates as
YYYY-MM-DD within the invoice's bounds. Anything wrong with a line, however odd (a NUL
byte, a number longer than its column, a field the csv module itself cannot read), is a
problem of that line, worded "column: sentence"; nothing reaches the database until the
whole file is good.

`row_refusal` is the same check for a row built by hand (the API, the back office's
invoice form): `invoices_create` runs it on every row it writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.free_text import card_number_sentence, has_card_number
from remit.core.inputs.identifiers import NumberKind, number_problem
from remit.core.inputs.terms import days_parse, percent_parse
from remit.core.money import Money
from remit.invoices import rules

COLUMNS = (
    "invoice_number",
    "customer_number",
    "customer_name",
    "invoice_date",
    "due_date",
    "currency",
    "total",
    "description",
)
REQUIRED = tuple(c for c in COLUMNS if c not in ("customer_name", "description"))
TERMS = ("discount_percent", "discount_days")
"""Optional columns: early-payment terms (2 and 10 for "2/10 net 30"), both or neither."""
CREDIT_NOTE_FOR = "credit_note_for"
"""The optional column that makes a row a credit note of the invoice it names."""
NAME_MAX = 200
"""The longest customer name, the width of its column."""

T = TypeVar("T")


@dataclass(frozen=True)
class InvoiceRow:
    line: int
    number: str
    customer_number: str
    customer_name: str
    invoice_date: date
    due_date: date
    total: Money
    description: str
    terms: rules.Terms | None = None


@dataclass(frozen=True)
class CreditNoteRow:
    """A credit note of `invoice_number`, for `amount` (positive: what is credited)."""

    line: int
    number: str
    customer_number: str
    invoice_number: str
    issued_on: date
    amount: Money
    reason: str


def parse_invoice_csv(
    text: str,
) -> tuple[list[InvoiceRow | CreditNoteRow], list[tuple[int, str]]]:
    """Every good row (invoices, and credit notes where credit_note_for names an invoice),
    and every bad line with its number (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = tuple(name.strip() for name in (reader.fieldnames or ()))
    except csv.Error as error:
        return [], [(1, f"the header cannot be read: {error}")]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [(1, f"the header lacks {', '.join(missing)}")]
    rows: list[InvoiceRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # a field over the csv module's limit, say
            # DictReader counts only the rows it returned; its reader counts the lines.
            problems.append((reader.reader.line_num, f"the line cannot be read: {error}"))
            break
        # The line where the row starts, as a spreadsheet shows it: the reader skips blank
        # lines silently, and a quoted field may span lines, so count back from its end.
        inside = sum(str(v).count("\n") for v in raw.values() if v)
        index = reader.line_num - inside
        record = {k.strip(): _cell(v) for k, v in raw.items() if k}
        if not any(record.values()):
            continue  # a blank line is not an invoice
        try:
            row = _parse_row(index, record)
        except RemitError as error:
            problems.append((index, error.message.rstrip(".")))
            continue
        if row.number in seen:
            problems.append((index, f"invoice {row.number} is also on line {seen[row.number]}"))
            continue
        seen[row.number] = index
        rows.append(row)
    return rows, problems


def _cell(value: object) -> str:
    # A short line leaves None; a long one puts its extra cells in a list under None.
    return value.strip() if isinstance(value, str) else ""


def _parse_row(line: int, record: dict[str, str]) -> InvoiceRow | CreditNoteRow:
    for column in (*COLUMNS, *TERMS, CREDIT_NOTE_FOR):
        if "\x00" in record.get(column, ""):
            raise _refusal(column, "The NUL character cannot be stored.")
    if record.get(CREDIT_NOTE_FOR):
        return _parse_credit_note(line, record)
    for column in REQUIRED:
        if not record.get(column):
            raise RemitError(f"{column} is empty.")
    if record["total"].startswith("-"):  # the amount parser's sentence, and the way out
        try:
            amount_parse(record["total"], record["currency"].upper())
        except RemitError as error:
            hint = f"A credit note row names the invoice it credits in {CREDIT_NOTE_FOR}."
            raise _refusal("total", f"{error.message} {hint}") from None
    for column, kind in NUMBERS:
        problem = number_problem(record[column], kind)
        if problem:
            raise _refusal(column, problem)
    row = InvoiceRow(
        line=line,
        number=record["invoice_number"],
        customer_number=record["customer_number"],
        customer_name=record.get("customer_name", ""),
        invoice_date=_column("invoice_date", lambda: date_parse(record["invoice_date"])),
        due_date=_column("due_date", lambda: date_parse(record["due_date"])),
        total=_column("total", lambda: amount_parse(record["total"], record["currency"].upper())),
        description=record.get("description", ""),
        terms=_terms(record),
    )
    refusal = row_refusal(row)
    if refusal:
        raise refusal
    return row


NUMBERS = (("invoice_number", NumberKind.INVOICE), ("customer_number", NumberKind.CUSTOMER))


def _parse_credit_note(line: int, record: dict[str, str]) -> CreditNoteRow:
    """A credit note row: its own number, the invoice it credits, a negative total."""
    for column in ("invoice_number", "customer_number", "invoice_date", "currency", "total"):
        if not record.get(column):
            raise RemitError(f"{column} is empty.")
    for column, kind in (*NUMBERS, (CREDIT_NOTE_FOR, NumberKind.INVOICE)):
        problem = number_problem(record[column], kind)
        if problem:
            raise _refusal(column, problem)
    total = record["total"]
    if not total.startswith("-"):
        raise _refusal(
            "total",
            f"A credit note's total is the amount credited, negative (-{total}); {total} is not.",
        )
    issued_on = _column("invoice_date", lambda: date_parse(record["invoice_date"]))
    try:
        rules.invoice_day_check(issued_on, field="invoice_date")
    except RemitError as error:
        raise _refusal("invoice_date", error.message) from None
    reason = record.get("description", "")
    if len(reason) > rules.DESCRIPTION_MAX:
        raise _refusal(
            "description", f"It has {len(reason)} characters; at most {rules.DESCRIPTION_MAX}."
        )
    if has_card_number(reason):
        raise _refusal("description", card_number_sentence("description"))
    return CreditNoteRow(
        line=line,
        number=record["invoice_number"],
        customer_number=record["customer_number"],
        invoice_number=record[CREDIT_NOTE_FOR],
        issued_on=issued_on,
        amount=_column("total", lambda: amount_parse(total[1:], record["currency"].upper())),
        reason=reason or f"Credit note {record['invoice_number']}",
    )


def _terms(record: dict[str, str]) -> rules.Terms | None:
    """The row's early-payment terms from the optional columns (empty: none)."""
    percent_text, days_text = (record.get(column, "") for column in TERMS)
    percent = _column(TERMS[0], lambda: percent_parse(percent_text)) if percent_text else None
    days = _column(TERMS[1], lambda: days_parse(days_text)) if days_text else None
    try:
        return rules.terms_check(percent, days)
    except RemitError as error:
        raise _refusal(next(iter(error.fields)), error.message) from None


def _column(column: str, parse: Callable[[], T]) -> T:
    """What `parse` returns, or its refusal as a refusal of `column`."""
    try:
        return parse()
    except RemitError as error:
        raise _refusal(column, error.message) from None


def _refusal(column: str, sentence: str) -> RemitError:
    """A refusal of one column: "column: sentence", the sentence kept in `fields`."""
    return RemitError(f"{column}: {sentence}", fields={column: sentence})


def row_refusal(row: InvoiceRow) -> RemitError | None:
    """What is wrong with a row, or None: the number rule for the invoice and the
    customer, the dates' bounds, the lengths of the texts, no card number in the
    description, a total more than zero. The
    refusal's message is "column: sentence" and its `fields` hold {column: sentence}.
    The same check for a CSV line, an API invoice and the back office's invoice form."""
    for column, kind in NUMBERS:
        problem = number_problem(getattr(row, _ATTRIBUTES[column]), kind)
        if problem:
            return _refusal(column, problem)
    try:
        rules.invoice_dates_check(row.invoice_date, row.due_date)
    except RemitError as error:
        return _refusal(next(iter(error.fields)), error.message)
    for column, text, longest in (
        ("customer_name", row.customer_name, NAME_MAX),
        ("description", row.description, rules.DESCRIPTION_MAX),
    ):
        if len(text) > longest:
            return _refusal(column, f"It has {len(text)} characters; at most {longest}.")
        if "\x00" in text:
            return _refusal(column, "The NUL character cannot be stored.")
    if has_card_number(row.description):
        return _refusal("description", card_number_sentence("description"))
    if not row.total.is_positive():
        return _refusal("total", f"An invoice total must be more than zero; {row.total} is not.")
    return None


_ATTRIBUTES = {"invoice_number": "number", "customer_number": "customer_number"}
