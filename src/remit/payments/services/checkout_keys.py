"""The keys of a portal checkout's two payments, derived from the one key the Pay dialog
made: the card (or bank) payment's and the credit application's. Shared by the checkout
and by the refund that gives a checkout's credit back (`voids`)."""

from __future__ import annotations

PREFIX = "portal:"
CREDIT_SUFFIX = ":credit"


def card_key(key: str) -> str:
    return f"{PREFIX}{key}"


def credit_key(key: str) -> str:
    return f"{PREFIX}{key}{CREDIT_SUFFIX}"


def credit_key_of_card(card_payment_key: str) -> str | None:
    """The credit application's key of the checkout a card payment's key belongs to."""
    if not card_payment_key.startswith(PREFIX) or card_payment_key.endswith(CREDIT_SUFFIX):
        return None
    return card_payment_key + CREDIT_SUFFIX
