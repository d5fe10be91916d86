"""The payment state machine (DESIGN rule 4), declared as one table. No Django import.

`PaymentStatus` is the one set of statuses (the model's field takes its choices from it);
`Outcome` is the gateway protocol's, so remit and its gateways name answers the same way.
A payment's status moves only through `remit.payments.services.transitions
.payment_transition`, which looks the move up here and refuses anything undeclared.
`None` is the state before a payment exists.
"""

from __future__ import annotations

from enum import StrEnum

from remit.core.errors import TransitionRefused
from remit.gateways.protocol import Outcome


class PaymentStatus(StrEnum):
    PENDING = "pending"
    """Submitted: card authorised or bank debit in flight; voidable at the gateway."""
    SETTLED = "settled"
    """The money is final."""
    FAILED = "failed"
    """Declined, refused, returned or never reached the gateway; moved no money."""
    VOIDED = "voided"
    """Cancelled; kept on record with its allocations reversed."""
    REFUNDED = "refunded"
    """Returned through the gateway."""
    DISPUTED = "disputed"
    """The cardholder disputed it: the disputed amount left with the dispute, which is open."""
    CHARGED_BACK = "charged_back"
    """The dispute was lost: the disputed amount is gone for good. Final."""

    @property
    def label(self) -> str:
        if self is PaymentStatus.VOIDED:
            return "Void"
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(status.value, status.label) for status in cls]


class Action(StrEnum):
    RECORD = "record"  # staff record money already in hand: check, money order, cash, credit
    SUBMIT = "submit"  # a card or bank payment is recorded, before the gateway is asked
    CHARGE = "charge"  # the gateway's first answer to the charge
    RECONCILE = "reconcile"  # a later answer about the charge, looked up at the gateway
    SETTLE = "settle"  # the gateway reports the money final (or returned)
    VOID = "void"
    REFUND = "refund"
    UNAPPLY = "unapply"  # staff move one allocation's money to customer credit
    REALLOCATE = "reallocate"  # staff move one allocation's money to another invoice
    PARTIAL_REFUND = "partial_refund"  # the gateway refunded part of a settled payment
    DISPUTE_OPEN = "dispute_open"  # the cardholder's bank took the money back, disputing it
    DISPUTE_WON = "dispute_won"  # the dispute was decided for the business: the money is back
    DISPUTE_LOST = "dispute_lost"  # the dispute was decided for the cardholder


S, A, R = PaymentStatus, Action, Outcome  # short names keep the table one row per line

TRANSITIONS: dict[tuple[PaymentStatus | None, Action, Outcome], PaymentStatus] = {
    # Offline money (check, money order, cash, PayPal, other) and applied credit are final.
    (None, A.RECORD, R.APPROVED): S.SETTLED,
    # Card and bank: recorded as pending first (the attempt row before the call), then the
    # gateway's first answer: approved or in flight stays pending, a lost answer stays
    # pending until the reconciler asks; a decline, or a refusal before sending (or a
    # charge that never reached the gateway and now cannot), fails it and moves no money.
    (None, A.SUBMIT, R.PENDING): S.PENDING,
    (S.PENDING, A.CHARGE, R.APPROVED): S.PENDING,
    (S.PENDING, A.CHARGE, R.PENDING): S.PENDING,
    (S.PENDING, A.CHARGE, R.UNKNOWN): S.PENDING,
    (S.PENDING, A.CHARGE, R.DECLINED): S.FAILED,
    (S.PENDING, A.CHARGE, R.REFUSED): S.FAILED,
    # Later answers: a bank debit in flight is approved, or the gateway cannot tell yet.
    (S.PENDING, A.RECONCILE, R.APPROVED): S.PENDING,
    (S.PENDING, A.RECONCILE, R.PENDING): S.PENDING,
    (S.PENDING, A.RECONCILE, R.UNKNOWN): S.PENDING,
    # The settlement: the money is final, or a bank debit comes back.
    (S.PENDING, A.SETTLE, R.APPROVED): S.SETTLED,
    (S.PENDING, A.SETTLE, R.DECLINED): S.FAILED,
    (S.PENDING, A.VOID, R.APPROVED): S.VOIDED,
    # A settled offline payment is voided in the books only (the check is handed back).
    (S.SETTLED, A.VOID, R.APPROVED): S.VOIDED,
    # A card payment the gateway can no longer void is refunded instead: once settled, or
    # while pending for a card that refuses voids.
    (S.SETTLED, A.REFUND, R.APPROVED): S.REFUNDED,
    (S.PENDING, A.REFUND, R.APPROVED): S.REFUNDED,
    # Corrections of settled money: one allocation moved to customer credit, or to another
    # open invoice of the customer. The payment stays settled; its history records the move.
    (S.SETTLED, A.UNAPPLY, R.APPROVED): S.SETTLED,
    (S.SETTLED, A.REALLOCATE, R.APPROVED): S.SETTLED,
    # Part of a settled card or bank payment refunded through the gateway: it stays settled
    # (its last refund, of what is left, is the full refund above).
    (S.SETTLED, A.PARTIAL_REFUND, R.APPROVED): S.SETTLED,
    # Chargebacks: a settled card payment disputed by the cardholder (the money leaves at
    # once); won, it is settled again; lost, it is charged back for good. While disputed,
    # nothing else moves it (no void, refund or move of its allocations).
    (S.SETTLED, A.DISPUTE_OPEN, R.APPROVED): S.DISPUTED,
    (S.DISPUTED, A.DISPUTE_WON, R.APPROVED): S.SETTLED,
    (S.DISPUTED, A.DISPUTE_LOST, R.APPROVED): S.CHARGED_BACK,
}

_WORDS = {
    S.SETTLED: "settled",
    S.PENDING: "pending",
    S.FAILED: "failed",
    S.VOIDED: "void",
    S.REFUNDED: "refunded",
    S.DISPUTED: "disputed",
    S.CHARGED_BACK: "charged back",
}
_VERBS = {
    A.VOID: "voided",
    A.REFUND: "refunded",
    A.SETTLE: "settled",
    A.CHARGE: "charged",
    A.SUBMIT: "submitted",
    A.RECORD: "recorded",
    A.RECONCILE: "reconciled",
    A.UNAPPLY: "unapplied",
    A.REALLOCATE: "reallocated",
    A.PARTIAL_REFUND: "partly refunded",
    A.DISPUTE_OPEN: "disputed",
    A.DISPUTE_WON: "won back from a dispute",
    A.DISPUTE_LOST: "charged back",
}


def next_status(
    state: str | None, action: str, outcome: str, *, payment: str = "The payment"
) -> PaymentStatus:
    """The state after `action` with `outcome`, or TransitionRefused if undeclared."""
    key = (None if state is None else S(state), A(action), R(outcome))
    try:
        return TRANSITIONS[key]
    except KeyError:
        if key[0] is None:
            raise TransitionRefused(f"A payment cannot begin by being {_VERBS[key[1]]}.") from None
        word = _WORDS[key[0]]
        verb = _VERBS[key[1]]
        if verb.startswith(word):  # "void; it cannot be voided" reads better as "already"
            raise TransitionRefused(f"{payment} is already {word}.") from None
        raise TransitionRefused(f"{payment} is {word}; it cannot be {verb}.") from None


def past_tense(action: str) -> str:
    """How the audit trail names an action done: 'charged', 'settled'..."""
    return _VERBS[A(action)]
