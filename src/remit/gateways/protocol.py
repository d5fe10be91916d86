"""The gateway protocol (DESIGN "Gateways"). No Django import.

Only frozen dataclasses cross the boundary, so a gateway can never change what the
caller holds. Every money call carries an idempotency key; `charge_key` names a charge
by the idempotency key of the charge request, because after a lost answer that key is
all the caller has.

Every money request also carries a deadline: the gateway may not act on it after that
instant (the sandbox refuses it; a provider's own request timeout serves the same end).
With it, and `lookup_final_after`, the caller can tell "no such charge yet" from "no
such charge, ever" (see `remit.payments.services.attempts`).

A gateway method answers with a `GatewayResult`, or raises `GatewayRefused` when it sent
nothing and did nothing (an amount the provider cannot express, a key already used for
another request). Anything else that escapes a method is taken as a lost answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from remit.core.errors import InvalidAmount, RemitError
from remit.core.money import Money


class Outcome(StrEnum):
    """The same values as `remit.payments.states.Outcome` (this app may not import it)."""

    APPROVED = "approved"  # the gateway did it
    DECLINED = "declined"  # the gateway refused; no money moved
    PENDING = "pending"  # accepted, the answer comes later (a bank debit in flight)
    REFUSED = "refused"  # refused before sending: nothing left remit, nothing moved
    UNKNOWN = "unknown"  # the answer was lost: look it up, never retry blindly


class ChargeStatus(StrEnum):
    """Where a charge stands at the gateway (what `lookup` reports)."""

    AUTHORIZED = "authorized"  # approved (or a bank debit in flight), not settled yet
    SETTLED = "settled"  # the money is final; a void is no longer possible
    VOIDED = "voided"  # cancelled before settlement
    REFUNDED = "refunded"  # settled, then fully refunded
    DECLINED = "declined"  # refused, or a bank debit returned at settlement
    NOT_FOUND = "not_found"  # no charge with that key, yet (`lookup` only; see the module)


class PaymentDetailsInvalid(RemitError):
    """Card or bank details the gateway will not tokenise; the message says what to fix."""

    code = "payment_details_invalid"


class GatewayRefused(RemitError):
    """Raised by a gateway method that sent nothing and did nothing: the request can never
    succeed as it is. The message is a sentence safe to show; the payment fails with it."""

    code = "gateway_refused"


class GatewayTimeout(Exception):
    """The request went out and no answer came back.

    Adapters raise it inside and turn it into `Outcome.UNKNOWN` before returning: it
    never escapes a `Gateway` method, so no caller is tempted to retry blindly.
    """


@dataclass(frozen=True, slots=True)
class CardDetails:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str = ""

    def __repr__(self) -> str:  # keep the number and CVC out of logs and tracebacks
        return f"CardDetails(number='…{self.number[-4:]}', exp={self.exp_month}/{self.exp_year})"


@dataclass(frozen=True, slots=True)
class BankDetails:
    routing_number: str
    account_number: str
    holder_name: str = ""

    def __repr__(self) -> str:
        return f"BankDetails(routing={self.routing_number}, account='…{self.account_number[-4:]}')"


UNKNOWN_DETAILS = "The payment gateway does not know that token; enter the card or account again."


@dataclass(frozen=True, slots=True)
class Tokenized:
    """What remit may keep: never the number or the CVC. Banks have no expiry.

    `fingerprint` names the card (or bank account) itself, whatever the token: the same
    number tokenised twice gets two tokens and one fingerprint, so remit can tell that a
    card is already saved without ever seeing its number. It is the gateway's keyed hash
    (Stripe's `card.fingerprint`), empty when the gateway gives none.
    """

    token: str
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None
    fingerprint: str = ""
    kind: str = "card"  # "card" or "bank"


def _positive(amount: Money) -> None:
    if not amount.is_positive():
        raise InvalidAmount("A gateway amount must be more than zero.")


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    idempotency_key: str
    token: str
    amount: Money
    description: str = ""
    deadline: datetime | None = None  # not to be acted on after this (None: no limit)

    def __post_init__(self) -> None:
        _positive(self.amount)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A void of the charge made with `charge_key`."""

    idempotency_key: str
    charge_key: str
    deadline: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    idempotency_key: str
    charge_key: str
    amount: Money
    deadline: datetime | None = None

    def __post_init__(self) -> None:
        _positive(self.amount)


@dataclass(frozen=True, slots=True)
class GatewayResult:
    outcome: Outcome
    gateway_reference: str = ""
    decline_reason: str = ""  # a sentence safe to show the customer; empty unless declined
    settled: bool = False  # the money is final
    charge_status: ChargeStatus | None = None  # the charge's state after the call, if known


@dataclass(frozen=True, slots=True)
class RefundRecord:
    key: str  # the refund request's idempotency key
    amount: Money


class DisputeState(StrEnum):
    """Where a cardholder's dispute stands, in remit's words (a gateway's own statuses,
    such as Stripe's needs_response or under_review, are all `open`)."""

    OPEN = "open"  # the money was taken back; the dispute is not decided
    WON = "won"  # decided for the business: the money came back
    LOST = "lost"  # decided for the cardholder: final


@dataclass(frozen=True, slots=True)
class DisputeNotice:
    """What a gateway says about one dispute of a charge (a webhook, or the sandbox's
    `remit dispute`). `event_id` is the delivery's own id: a delivery seen before is
    answered and ignored."""

    event_id: str
    dispute_id: str
    charge_key: str  # remit's key of the charge disputed
    amount: Money
    fee: Money
    state: DisputeState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    dispute_id: str
    amount: Money
    state: DisputeState


@dataclass(frozen=True, slots=True)
class ChargeRecord:
    """One charge as the gateway's own records hold it, for `remit audit --gateway`."""

    key: str  # the charge request's idempotency key
    reference: str
    amount: Money
    status: ChargeStatus
    refunds: tuple[RefundRecord, ...] = ()
    disputes: tuple[DisputeRecord, ...] | None = None  # None: the gateway does not list them


@dataclass(frozen=True, slots=True)
class Settlement:
    """One charge moved at a settlement run: settled (approved) or returned (declined)."""

    charge_key: str
    result: GatewayResult


class Gateway(Protocol):
    call_timeout: timedelta
    """How long a call may take; each money request's deadline is this far after sending."""

    lookup_final_after: timedelta
    """How long after a request's deadline a `lookup` that finds nothing is final: none
    when lookups see every charge at once, longer when they lag or a late request could
    still be acted on."""

    def tokenize_card(self, card: CardDetails) -> Tokenized:
        """A token for the card, or PaymentDetailsInvalid with a sentence to show."""
        ...

    def tokenize_bank(self, bank: BankDetails) -> Tokenized:
        """A token for the bank account (brand is the bank's name), or PaymentDetailsInvalid."""
        ...

    def describe_token(self, token: str) -> Tokenized:
        """What the gateway holds of a token made in the browser (kind, brand, last four,
        expiry, fingerprint), or PaymentDetailsInvalid(UNKNOWN_DETAILS). remit asks this
        rather than trust what a browser says of the card it tokenised."""
        ...

    def charge(self, request: ChargeRequest) -> GatewayResult:
        """Authorise (card) or start a debit (bank). UNKNOWN when the answer was lost."""
        ...

    def void(self, request: ActionRequest) -> GatewayResult:
        """Cancel an unsettled charge; declined once it has settled (refund it instead)."""
        ...

    def refund(self, request: RefundRequest) -> GatewayResult:
        """Return some or all of a settled charge; never more than was charged."""
        ...

    def lookup(self, charge_key: str) -> GatewayResult:
        """The true state of the charge made with `charge_key` (for the reconciler); when
        there is none (yet), outcome UNKNOWN with charge_status NOT_FOUND."""
        ...

    def records(self) -> Iterable[ChargeRecord]:
        """Every charge the gateway holds for remit, with its refunds (for the audit)."""
        ...
