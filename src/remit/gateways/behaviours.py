"""The sandbox's test cards and bank accounts, in the big providers' style. Pure: no Django.

The behaviour is decided once, when the details are tokenised, and stored on the token,
so the sandbox never needs the card or account number again.
"""

from __future__ import annotations

from enum import StrEnum


class Behaviour(StrEnum):
    APPROVE = "approve"  # any other valid card
    DECLINE = "decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PROCESSING_ERROR = "processing_error"
    TIMEOUT_AFTER_CHARGE = "timeout_after_charge"  # charged, then the answer is lost
    REFUSE_VOID = "refuse_void"  # approves, but will not void even before settlement
    DISPUTED = "disputed"  # approves and settles, then the cardholder disputes it in full
    BANK_SETTLES = "bank_settles"
    BANK_RETURNED = "bank_returned"  # the debit comes back at settlement (R01)


TEST_CARDS: dict[str, Behaviour] = {
    "4242424242424242": Behaviour.APPROVE,
    "4000000000000002": Behaviour.DECLINE,
    "4000000000009995": Behaviour.INSUFFICIENT_FUNDS,
    "4000000000000119": Behaviour.PROCESSING_ERROR,
    "4000000000000259": Behaviour.TIMEOUT_AFTER_CHARGE,
    "4000000000000341": Behaviour.REFUSE_VOID,
    "4000000000002685": Behaviour.DISPUTED,  # Stripe's "product not received" dispute card
}

TEST_ROUTING = "110000000"
TEST_BANK_NAME = "Sandbox Test Bank"
RETURNED_ACCOUNT = "000111111113"

# Sentences a customer may see. Declines say what to do next, never why the bank thinks so.
DECLINE_REASONS: dict[Behaviour, str] = {
    Behaviour.DECLINE: "Your card was declined.",
    Behaviour.INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
    Behaviour.PROCESSING_ERROR: (
        "An error occurred while processing your card; no money was taken. Try again."
    ),
    Behaviour.BANK_RETURNED: "The bank returned the debit (R01 insufficient funds).",
}

VOID_REFUSED = "This charge can no longer be voided; refund it instead."


def card_behaviour(number: str) -> Behaviour:
    """What the sandbox does with a (Luhn-valid, digits-only) card number."""
    return TEST_CARDS.get(number, Behaviour.APPROVE)


def bank_behaviour(routing: str, account: str) -> Behaviour:
    if routing == TEST_ROUTING and account == RETURNED_ACCOUNT:
        return Behaviour.BANK_RETURNED
    return Behaviour.BANK_SETTLES


def bank_name(routing: str) -> str:
    """The brand of a bank token: the bank's name (the sandbox knows only its own bank)."""
    return TEST_BANK_NAME if routing == TEST_ROUTING else f"Bank (routing {routing})"


def is_bank(behaviour: str) -> bool:
    """Bank debits stay pending until settlement; cards are authorised at once."""
    return behaviour in (Behaviour.BANK_SETTLES, Behaviour.BANK_RETURNED)
