"""BAI2, the US banks' cash-management format, read with the `bai2` package.

Before the package reads the file, one pass over its physical lines checks the structure
and every trailer's totals (49 account, 98 group, 99 file: control total and record
count), so a refusal names the line that is wrong; the package then reads the fields
(continuations, funds availability) with its own integrity check on too.

Credits are customer payments only for the type codes below (lockbox, ACH, wires, deposits);
any other credit (interest, ZBA and sweep transfers, investments) is kept with the reason it
is not a customer's money, and debits are kept as debits, so the statement still adds up.
"""

from __future__ import annotations

import re
from datetime import date

from bai2 import bai2 as bai2_reader
from bai2.constants import TypeCodeTransaction
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException

from remit.bank.formats.lines import Direction, Kind, ParsedStatement, RawLine, StatementRefused
from remit.core.errors import InvalidAmount
from remit.core.money import Money

CUSTOMER_CREDITS: dict[str, Kind] = {
    **dict.fromkeys(["115", "116", "118"], Kind.CHECK),  # lockbox
    **dict.fromkeys(["142", "143", "145", "155", "164", "165", "166", "169"], Kind.ACH),
    **dict.fromkeys(["108", "158", "195", "196", "206", "208", "216"], Kind.BANK_TRANSFER),
    **dict.fromkeys(["173", "174", "175", "187", "301"], Kind.DEPOSIT),
}
"""Credit type codes that carry a customer's money, and what kind of payment each is."""

_PAYER = [
    re.compile(r"ORIG CO NAME[:=]\s*(?P<name>.+?)(?:\s+(?:ORIG ID|CO ENTRY|DESC|SEC|IND ID)\b|$)"),
    re.compile(r"\bB/O[:=]?\s*(?P<name>.+?)(?:\s+(?:REF|OBI|ACCT|ORG|BNF)\b|$)"),
    re.compile(r"\bORG=\s*(?P<name>.+?)(?:\s+[A-Z]{3}=|$)"),
    re.compile(r"\b(?:REMITTER|PAYER|FROM)[:=]\s*(?P<name>.+?)(?:\s+(?:REF|INV|ACCT)\b|[,;/]|$)"),
]
_PAYER_ACCOUNT = re.compile(r"\b(?:ORIG ACCT|DEBTOR ACCT|ACCT)[:=#]?\s*(?P<acct>[0-9A-Z]{4,34})\b")


def parse(text: str) -> ParsedStatement:
    physical = [(n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1)]
    records = [(n, line) for n, line in physical if line]
    details = _check_structure(records)
    try:
        parsed = bai2_reader.parse_from_lines([line for _, line in records], check_integrity=True)
    except NotSupportedYetException as error:
        raise StatementRefused(f"BAI2: {error}.") from None
    except (ParsingException, IntegrityException, ValueError, IndexError, KeyError) as error:
        raise StatementRefused(f"BAI2: the file cannot be read ({error}).") from None
    lines: list[RawLine] = []
    accounts: list[str] = []
    numbers = iter(details)
    for group in parsed.children:
        booked_on = group.header.as_of_date or date.today()
        for account in group.children:
            currency = (account.header.currency or group.header.currency or "USD").upper()
            accounts.append(account.header.customer_account_number or "")
            for detail in account.children:
                lines.append(_line(next(numbers), detail, currency, booked_on))
    return ParsedStatement(format="bai2", account=",".join(dict.fromkeys(accounts)), lines=lines)


def _line(line_no: int, detail, currency: str, booked_on: date) -> RawLine:
    code = detail.type_code
    try:
        amount = Money.from_minor(int(detail.amount), currency)
    except InvalidAmount as error:
        raise StatementRefused(f"line {line_no}: {error.message}") from None
    text = " ".join((detail.text or "").split())
    bank_ref = (detail.bank_reference or "").strip()
    customer_ref = (detail.customer_reference or "").strip()
    debit = code.transaction == TypeCodeTransaction.debit
    kind = CUSTOMER_CREDITS.get(code.code, Kind.OTHER)
    ignore = ""
    if debit:
        ignore = f"A debit ({code.description}, type {code.code})."
    elif kind == Kind.OTHER:
        ignore = f"Not a customer payment: {code.description} (type {code.code})."
    payer = ""
    upper = text.upper()
    for pattern in _PAYER:
        found = pattern.search(upper)
        if found:
            payer = found.group("name").strip(" ,;")
            break
    account = _PAYER_ACCOUNT.search(upper)
    return RawLine(
        position=line_no,
        booked_on=booked_on,
        amount=amount,
        direction=Direction.DEBIT if debit else Direction.CREDIT,
        kind=kind,
        bank_reference=bank_ref or customer_ref,
        customer_reference=customer_ref,
        payer=payer,
        payer_account=account.group("acct") if account else "",
        text=text,
        code=code.code,
        ignore_reason=ignore,
    )


def _amount(field: str, line_no: int, what: str) -> int:
    field = field.strip().rstrip("/")
    if not re.fullmatch(r"[+-]?[0-9]+", field or "0"):
        raise StatementRefused(f"line {line_no}: the {what} '{field}' is not a whole number.")
    return int(field or "0")


def _fields(line: str) -> list[str]:
    return line.rstrip("/").split(",")


def _check_structure(records: list[tuple[int, str]]) -> list[int]:
    """Walk the records: headers and trailers in order, each trailer's totals right.
    Returns the line numbers of the transaction details (16), in order."""
    if not records or not records[0][1].startswith("01,"):
        raise StatementRefused("line 1: a BAI2 file begins with its 01 file header.")
    last_no, last = records[-1]
    if not last.startswith("99,"):
        raise StatementRefused(
            f"The BAI2 file is truncated: it ends at line {last_no} without its 99 file trailer."
        )
    details: list[int] = []
    file_total = group_total = account_total = 0
    file_records = group_records = account_records = 0
    groups = accounts = 0
    state = "file"
    for line_no, line in records:
        code = line[:2]
        file_records += 1
        group_records += 1
        account_records += 1
        fields = _fields(line)
        if code == "01":
            if line_no != records[0][0]:
                raise StatementRefused(f"line {line_no}: a second 01 file header.")
            file_records = 1
        elif code == "02":
            if state != "file":
                raise StatementRefused(f"line {line_no}: a 02 group header inside a group.")
            state, groups, group_total, group_records, accounts = "group", groups + 1, 0, 1, 0
        elif code == "03":
            if state != "group":
                raise StatementRefused(f"line {line_no}: a 03 account header outside a group.")
            state, accounts, account_total, account_records = "account", accounts + 1, 0, 1
            summaries = fields[3:]
            for i in range(0, len(summaries) - 1, 4):
                account_total += _amount(summaries[i + 1], line_no, "summary amount")
        elif code == "16":
            if state != "account":
                raise StatementRefused(f"line {line_no}: a 16 transaction outside an account.")
            details.append(line_no)
            account_total += _amount(fields[2] if len(fields) > 2 else "", line_no, "amount")
        elif code == "88":
            continue
        elif code == "49":
            if state != "account":
                raise StatementRefused(f"line {line_no}: a 49 account trailer outside an account.")
            _trailer(line_no, fields, account_total, account_records, "account")
            group_total += account_total
            state = "group"
        elif code == "98":
            if state != "group":
                raise StatementRefused(f"line {line_no}: a 98 group trailer outside a group.")
            _trailer(line_no, fields, group_total, group_records, "group", count=accounts)
            file_total += group_total
            state = "file"
        elif code == "99":
            if state != "file":
                raise StatementRefused(
                    f"The BAI2 file is truncated: line {line_no}, its 99 trailer, comes before "
                    "the last account or group was closed."
                )
            _trailer(line_no, fields, file_total, file_records, "file", count=groups)
        else:
            raise StatementRefused(f"line {line_no}: '{code}' is not a BAI2 record code.")
    return details


def _trailer(
    line_no: int, fields: list[str], total: int, records: int, what: str, count: int | None = None
) -> None:
    if len(fields) < 3:
        raise StatementRefused(f"line {line_no}: the {what} trailer is incomplete.")
    said = _amount(fields[1], line_no, f"{what} control total")
    if said != total:
        raise StatementRefused(
            f"line {line_no}: the {what} trailer's control total is {said}, but the {what}'s "
            f"amounts add up to {total}."
        )
    if count is not None:
        items = "groups" if what == "file" else "accounts"
        said_count = _amount(fields[2], line_no, f"number of {items}")
        if said_count != count:
            raise StatementRefused(
                f"line {line_no}: the {what} trailer counts {said_count} {items}, "
                f"but there are {count}."
            )
        record_field = fields[3] if len(fields) > 3 else ""
    else:
        record_field = fields[2]
    said_records = _amount(record_field, line_no, "number of records")
    if said_records != records:
        raise StatementRefused(
            f"line {line_no}: the {what} trailer counts {said_records} records, but the {what} "
            f"has {records}."
        )
