"""What every format is read into: one `RawLine` per credit or debit the bank reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from remit.core.money import Money


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class Kind(StrEnum):
    """What the bank says a credit is: it picks the payment's type when it is posted."""

    BANK_TRANSFER = "bank_transfer"
    ACH = "ach"
    CHECK = "check"
    DEPOSIT = "deposit"
    """A deposit the business made at the bank (checks, cash): matched to a deposit slip."""
    OTHER = "other"
    """Not a customer's money: interest, a transfer between own accounts, a fee."""


class StatementRefused(Exception):
    """The file is refused whole; the message names the line or element that is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RawLine:
    position: int
    """Its place in the file: the line number (BAI2, CSV) or the entry's number (camt)."""
    booked_on: date
    amount: Money
    direction: Direction
    kind: Kind
    bank_reference: str
    payer: str = ""
    payer_account: str = ""
    text: str = ""
    customer_reference: str = ""
    documents: tuple[tuple[str, Money | None], ...] = ()
    """Structured remittance: the documents named, with the amount paid on each if given."""
    code: str = ""
    """The bank's transaction code (BAI2 type code, camt domain/family/sub-family)."""
    ignore_reason: str = ""
    """Why a credit is not a customer's money (interest, own transfer), if it is not."""


@dataclass(frozen=True)
class ParsedStatement:
    format: str
    account: str
    lines: list[RawLine] = field(default_factory=list)
