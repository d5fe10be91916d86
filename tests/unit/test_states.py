"""The payment state table (DESIGN rule 4): what is declared, and that nothing else is."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from remit.core.errors import TransitionRefused
from remit.payments.states import TRANSITIONS, Action, Outcome, PaymentStatus, next_status

# The state machine as DESIGN rule 4 describes it, written out independently of the code:
# (state, action, outcome) -> state.
EXPECTED = {
    # check, money order, cash and credit posted by staff are settled at once
    (None, "record", "approved"): "settled",
    # card and bank: recorded as pending before the gateway is asked (so a crash mid-call
    # leaves a row to reconcile), then the gateway's answer: approved or in flight stays
    # pending, a lost answer stays pending until the reconciler asks, a decline is failed
    (None, "submit", "pending"): "pending",
    ("pending", "charge", "approved"): "pending",
    ("pending", "charge", "pending"): "pending",
    ("pending", "charge", "unknown"): "pending",
    ("pending", "charge", "declined"): "failed",
    # refused before sending (nothing left remit), or never reached the gateway and now
    # cannot: the payment fails with the refusal's sentence
    ("pending", "charge", "refused"): "failed",
    # the gateway settles it, or the bank debit comes back
    ("pending", "settle", "approved"): "settled",
    ("pending", "settle", "declined"): "failed",
    # the reconciler resolves a pending payment with what the gateway says
    ("pending", "reconcile", "approved"): "pending",
    ("pending", "reconcile", "pending"): "pending",
    ("pending", "reconcile", "unknown"): "pending",  # the gateway cannot tell yet
    # a pending payment is voided at the gateway
    ("pending", "void", "approved"): "voided",
    # a settled offline payment is voided in the books (the check is handed back)
    ("settled", "void", "approved"): "voided",
    # a card payment the gateway can no longer void is refunded instead (remit may still
    # hold it as pending when the gateway has already settled it)
    ("settled", "refund", "approved"): "refunded",
    ("pending", "refund", "approved"): "refunded",
    # corrections of settled money (issue 14): one allocation moved to customer credit
    # (unapply) or to another invoice (reallocate); the payment stays settled
    ("settled", "unapply", "approved"): "settled",
    ("settled", "reallocate", "approved"): "settled",
    # part of a settled card or bank payment refunded at the gateway: still settled
    ("settled", "partial_refund", "approved"): "settled",
    # chargebacks: a settled card payment disputed by the cardholder (the money leaves);
    # won, settled again; lost, charged back for good
    ("settled", "dispute_open", "approved"): "disputed",
    ("disputed", "dispute_won", "approved"): "settled",
    ("disputed", "dispute_lost", "approved"): "charged_back",
}

STATES = [None, *PaymentStatus]  # None: before the payment exists
ALL = list(itertools.product(STATES, Action, Outcome))
UNDECLARED = [key for key in ALL if (key[0], key[1].value, key[2].value) not in EXPECTED]


def _id(key) -> str:
    return "-".join(str(part) for part in key)


@pytest.mark.parametrize(("transition", "to"), EXPECTED.items(), ids=list(map(_id, EXPECTED)))
def test_each_declared_transition_moves_the_payment_to_its_state(transition, to):
    state, action, outcome = transition
    assert next_status(state, action, outcome) == to


@pytest.mark.parametrize("key", UNDECLARED, ids=list(map(_id, UNDECLARED)))
def test_every_undeclared_combination_is_refused(key):
    state, action, outcome = key
    with pytest.raises(TransitionRefused):
        next_status(state, action, outcome)


def test_the_enumeration_covers_every_combination_of_the_enums():
    assert len(UNDECLARED) + len(EXPECTED) == len(STATES) * len(Action) * len(Outcome)


def test_the_code_declares_exactly_the_table_written_here():
    declared = {(s, a.value, o.value): to.value for (s, a, o), to in TRANSITIONS.items()}
    assert declared == EXPECTED


@pytest.mark.parametrize("final", ["failed", "voided", "refunded", "charged_back"])
def test_a_failed_voided_or_refunded_payment_can_never_change_again(final):
    for action, outcome in itertools.product(Action, Outcome):
        with pytest.raises(TransitionRefused):
            next_status(final, action, outcome)


def test_every_move_leads_to_a_status():
    for state, action, outcome in ALL:
        with contextlib.suppress(TransitionRefused):
            assert next_status(state, action, outcome) in PaymentStatus


def test_a_settled_payment_cannot_be_settled_or_charged_twice():
    for action in (Action.SETTLE, Action.CHARGE, Action.RECORD):
        with pytest.raises(TransitionRefused):
            next_status("settled", action, "approved")


def test_a_refund_is_possible_only_for_money_taken_and_not_given_back():
    assert next_status("settled", "refund", "approved") == "refunded"
    for state in (None, "failed", "voided", "refunded"):
        with pytest.raises(TransitionRefused):
            next_status(state, "refund", "approved")
    for outcome in ("declined", "pending", "unknown"):  # only a refund done moves it
        with pytest.raises(TransitionRefused):
            next_status("settled", "refund", outcome)


def test_a_card_payment_cannot_be_charged_before_it_is_submitted_nor_submitted_twice():
    for outcome in Outcome:
        with pytest.raises(TransitionRefused):
            next_status(None, "charge", outcome)
        with pytest.raises(TransitionRefused):
            next_status("pending", "submit", outcome)


def test_a_refused_void_is_not_a_state_change():
    with pytest.raises(TransitionRefused):
        next_status("pending", "void", "declined")
    with pytest.raises(TransitionRefused):
        next_status("settled", "void", "declined")


def test_the_refusal_names_the_payment_and_says_what_it_is():
    with pytest.raises(TransitionRefused) as refused:
        next_status("voided", "void", "approved", payment="PMT-000042")
    assert "PMT-000042" in refused.value.message
    assert "void" in refused.value.message
    assert refused.value.code == "transition_refused"

    with pytest.raises(TransitionRefused) as refused:
        next_status("refunded", "refund", "approved", payment="PMT-000043")
    assert "PMT-000043" in refused.value.message
    assert "refunded" in refused.value.message


def test_a_disputed_payment_moves_only_by_its_dispute_being_decided():
    allowed = {("dispute_won", "approved"), ("dispute_lost", "approved")}
    for action, outcome in itertools.product(Action, Outcome):
        if (action.value, outcome.value) in allowed:
            continue
        with pytest.raises(TransitionRefused):
            next_status("disputed", action, outcome)
    with pytest.raises(TransitionRefused, match="is already disputed"):
        next_status("disputed", "dispute_open", "approved", payment="PMT-000044")
    with pytest.raises(TransitionRefused, match="is disputed; it cannot be refunded"):
        next_status("disputed", "refund", "approved", payment="PMT-000044")


def test_only_a_settled_payment_is_disputed():
    for state in (None, "pending", "failed", "voided", "refunded", "charged_back"):
        with pytest.raises(TransitionRefused):
            next_status(state, "dispute_open", "approved")
