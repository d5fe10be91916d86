"""CSV with the columns `date,amount,currency,bank_reference,payer,text`: what a lockbox
service or a bank's export gives after a little mapping. A debit is a negative amount.

Amounts and dates are read by the parsers every face uses (`core.inputs`); a cell the
parser refuses refuses the file, naming its line and column.
"""

from __future__ import annotations

import csv
import io
import re

from remit.bank.formats.lines import Direction, Kind, ParsedStatement, RawLine, StatementRefused
from remit.core.errors import InvalidAmount, InvalidDate
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse

COLUMNS = ["date", "amount", "currency", "bank_reference", "payer", "text"]
HEADER_TEXT = ",".join(COLUMNS)
_CHECK = re.compile(r"\b(?:CHECK|CHEQUE|CHK|LOCKBOX)\b", re.IGNORECASE)
_ACH = re.compile(r"\b(?:ACH|CCD|CTX|PPD)\b", re.IGNORECASE)
_NOT_CUSTOMER = re.compile(
    r"\b(?:INTEREST|INTERNAL TRANSFER|TRANSFER FROM (?:ACCOUNT|ACCT|SAVINGS)|SWEEP|ZBA)\b",
    re.IGNORECASE,
)


def is_csv_header(line: str) -> bool:
    return [c.strip().lower() for c in line.split(",")] == COLUMNS


def parse(text: str) -> ParsedStatement:
    reader = csv.reader(io.StringIO(text, newline=""))
    lines: list[RawLine] = []
    try:
        next(reader)
        for row in reader:
            line_no = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(COLUMNS):
                raise StatementRefused(
                    f"line {line_no}: {len(row)} columns, not {len(COLUMNS)} "
                    f"({HEADER_TEXT}); the file may be truncated."
                )
            lines.append(_line(line_no, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise StatementRefused(f"line {reader.line_num}: {error}.") from None
    return ParsedStatement(format="csv", account="", lines=lines)


def _line(line_no: int, row: list[str]) -> RawLine:
    day, amount_text, currency, reference, payer, text = row
    try:
        booked_on = date_parse(day, field="date")
    except InvalidDate as error:
        raise StatementRefused(f"line {line_no}: date: {error.message}") from None
    debit = amount_text.startswith("-")
    try:
        amount = amount_parse(amount_text[1:] if debit else amount_text, currency.upper())
    except InvalidAmount as error:
        raise StatementRefused(f"line {line_no}: amount: {error.message}") from None
    kind = Kind.BANK_TRANSFER
    if _CHECK.search(text):
        kind = Kind.CHECK
    elif _ACH.search(text):
        kind = Kind.ACH
    elif re.search(r"\bDEPOSIT\b", text, re.IGNORECASE) and not payer:
        kind = Kind.DEPOSIT
    ignore = ""
    if debit:
        ignore = "A debit (a negative amount)."
    elif _NOT_CUSTOMER.search(text):
        kind = Kind.OTHER
        ignore = f"Not a customer payment: '{text[:60]}'."
    return RawLine(
        position=line_no,
        booked_on=booked_on,
        amount=amount,
        direction=Direction.DEBIT if debit else Direction.CREDIT,
        kind=kind,
        bank_reference=reference,
        payer=payer,
        text=" ".join(text.split())[:1000],
        ignore_reason=ignore,
    )
