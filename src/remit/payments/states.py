"""The payment state machine (DESIGN rule 4), declared as one table. No Django import.

Every change of a payment's status goes through `next_status`, which refuses anything
the table does not declare. `NEW` is the state before a payment exists.
"""

from __future__ import annotations

from enum import StrEnum

from remit.core.errors import TransitionRefused


class State(StrEnum):
    NEW = "new"
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"
    VOIDED = "voided"
    REFUNDED = "refunded"


class Action(StrEnum):
    RECORD = "record"  # staff record money already in hand: check, money order, cash, credit
    SUBMIT = "submit"  # a card or bank payment is recorded, before the gateway is asked
    CHARGE = "charge"  # the gateway's answer to the charge
    SETTLE = "settle"  # the gateway reports the money final (or returned)
    RECONCILE = "reconcile"  # an unknown outcome, looked up at the gateway
    VOID = "void"
    REFUND = "refund"


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    PENDING = "pending"
    REFUSED = "refused"  # nothing was sent, or it never reached the gateway and now cannot
    UNKNOWN = "unknown"


S, A, R = State, Action, Outcome  # short names keep the table one row per line

TRANSITIONS: dict[tuple[State, Action, Outcome], State] = {
    # Offline money (check, money order, cash, PayPal, other) and applied credit are final.
    (S.NEW, A.RECORD, R.APPROVED): S.SETTLED,
    # Card and bank: recorded as pending first (the attempt row before the call), then the
    # gateway's answer: approved or in flight stays pending, a lost answer stays pending
    # until the reconciler asks the gateway, a decline is failed (and moves no money).
    (S.NEW, A.SUBMIT, R.PENDING): S.PENDING,
    (S.PENDING, A.CHARGE, R.APPROVED): S.PENDING,
    (S.PENDING, A.CHARGE, R.PENDING): S.PENDING,
    (S.PENDING, A.CHARGE, R.UNKNOWN): S.PENDING,
    (S.PENDING, A.CHARGE, R.DECLINED): S.FAILED,
    (S.PENDING, A.CHARGE, R.REFUSED): S.FAILED,  # nothing left remit, or never arrived
    (S.PENDING, A.SETTLE, R.APPROVED): S.SETTLED,
    (S.PENDING, A.SETTLE, R.DECLINED): S.FAILED,  # a returned bank debit
    (S.PENDING, A.RECONCILE, R.APPROVED): S.PENDING,
    (S.PENDING, A.RECONCILE, R.PENDING): S.PENDING,
    (S.PENDING, A.RECONCILE, R.UNKNOWN): S.PENDING,  # the gateway cannot tell yet: ask later
    (S.PENDING, A.RECONCILE, R.DECLINED): S.FAILED,
    (S.PENDING, A.VOID, R.APPROVED): S.VOIDED,
    # A settled offline payment is voided in the books only (the check is handed back).
    (S.SETTLED, A.VOID, R.APPROVED): S.VOIDED,
    # A card payment the gateway can no longer void is refunded instead.
    (S.SETTLED, A.REFUND, R.APPROVED): S.REFUNDED,
    (S.PENDING, A.REFUND, R.APPROVED): S.REFUNDED,
}

_WORDS = {
    S.SETTLED: "settled",
    S.PENDING: "pending",
    S.FAILED: "failed",
    S.VOIDED: "void",
    S.REFUNDED: "refunded",
}


def next_status(state: str, action: str, outcome: str, *, payment: str = "The payment") -> State:
    """The state after `action` with `outcome`, or TransitionRefused if undeclared."""
    key = (State(state), Action(action), Outcome(outcome))
    try:
        return TRANSITIONS[key]
    except KeyError:
        word = _WORDS.get(key[0], key[0].value)
        verb = _verb(key[1])
        if verb.startswith(word):  # "void; it cannot be voided" reads better as "already"
            raise TransitionRefused(f"{payment} is already {word}.") from None
        raise TransitionRefused(f"{payment} is {word}; it cannot be {verb}.") from None


def _verb(action: Action) -> str:
    return {
        A.VOID: "voided",
        A.REFUND: "refunded",
        A.SETTLE: "settled",
        A.CHARGE: "charged",
        A.SUBMIT: "submitted",
        A.RECORD: "recorded",
        A.RECONCILE: "reconciled",
    }[action]
