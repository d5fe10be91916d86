"""Parsing an invoice CSV into rows or line-numbered problems. Pure: no database.

Columns: invoice_number, customer_number, customer_name, invoice_date, due_date, currency,
total, description.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from remit.core.errors import RemitError
from remit.core.money import Money

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


def parse_invoice_csv(text: str) -> tuple[list[InvoiceRow], list[tuple[int, str]]]:
    """Every good row, and every bad line with its number (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip() for name in (reader.fieldnames or ()))
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [(1, f"the header lacks {', '.join(missing)}")]
    rows: list[InvoiceRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for raw in reader:
        # The line where the row starts, as a spreadsheet shows it: the reader skips blank
        # lines silently, and a quoted field may span lines, so count back from its end.
        inside = sum(str(v).count("\n") for v in raw.values() if v)
        index = reader.line_num - inside
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(record.values()):
            continue  # a blank line is not an invoice
        try:
            row = _parse_row(index, record)
        except (RemitError, ValueError) as error:
            problems.append((index, _sentence(error)))
            continue
        if row.number in seen:
            problems.append((index, f"invoice {row.number} is also on line {seen[row.number]}"))
            continue
        seen[row.number] = index
        rows.append(row)
    return rows, problems


def _parse_row(line: int, record: dict[str, str]) -> InvoiceRow:
    for column in ("invoice_number", "customer_number", "invoice_date", "due_date", "currency"):
        if not record.get(column):
            raise ValueError(f"{column} is empty")
    if not record.get("total"):
        raise ValueError("total is empty")
    invoice_date = _date(record["invoice_date"], "invoice_date")
    due_date = _date(record["due_date"], "due_date")
    if due_date < invoice_date:
        raise ValueError("due_date is before invoice_date")
    total = Money.of(record["total"], record["currency"])
    if not total.is_positive():
        raise ValueError(f"total {record['total']} is not positive")
    return InvoiceRow(
        line=line,
        number=record["invoice_number"],
        customer_number=record["customer_number"],
        customer_name=record.get("customer_name", ""),
        invoice_date=invoice_date,
        due_date=due_date,
        total=total,
        description=record.get("description", ""),
    )


def _date(text: str, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} '{text}' is not a date (YYYY-MM-DD)") from None


def _sentence(error: Exception) -> str:
    message = error.message if isinstance(error, RemitError) else str(error)
    return message.rstrip(".")
