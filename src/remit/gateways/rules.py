"""How the sandbox answers, given what it has stored. Pure: reads rows, writes nothing.

Kept apart from `sandbox.py` so the answers can be read (and tested) as a table of cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from remit.core.money import Money
from remit.gateways.behaviours import DECLINE_REASONS, VOID_REFUSED, Behaviour, is_bank
from remit.gateways.protocol import ChargeStatus, GatewayResult, Outcome

if TYPE_CHECKING:  # annotations only: the rules never touch the database
    from remit.gateways.models import SandboxAction, SandboxCharge, SandboxToken

UNKNOWN_METHOD = "This payment method is not recognised; add it again."
EXPIRED = "Your card has expired."
NO_CHARGE = "There is no charge with that key; no money was taken."


def charge_decision(token: SandboxToken | None, *, now: datetime) -> tuple[Outcome, str]:
    """The first answer to a charge on `token` (None when no such token): outcome and reason."""
    if token is None:
        return Outcome.DECLINED, UNKNOWN_METHOD
    behaviour = Behaviour(token.behaviour)
    if is_bank(behaviour):  # a debit is in flight until settlement says otherwise
        return Outcome.PENDING, ""
    expiry = (token.exp_year or 0, token.exp_month or 0)
    if expiry < (now.year, now.month):
        return Outcome.DECLINED, EXPIRED
    if behaviour in DECLINE_REASONS:
        return Outcome.DECLINED, DECLINE_REASONS[behaviour]
    return Outcome.APPROVED, ""


def first_answer(charge: SandboxCharge) -> GatewayResult:
    """What the gateway said when the charge was made: a repeat of the key replays it."""
    outcome = Outcome(charge.outcome)
    declined = outcome == Outcome.DECLINED
    return GatewayResult(
        outcome=outcome,
        gateway_reference=charge.reference,
        decline_reason=charge.decline_reason if declined else "",
        settled=False,
        charge_status=ChargeStatus.DECLINED if declined else ChargeStatus.AUTHORIZED,
    )


def current_state(charge: SandboxCharge) -> GatewayResult:
    """The truth about a charge now: what `lookup` and a settlement run report."""
    status = ChargeStatus(charge.status)
    if status == ChargeStatus.DECLINED:
        outcome = Outcome.DECLINED
    elif status == ChargeStatus.AUTHORIZED and is_bank(charge.behaviour):
        outcome = Outcome.PENDING
    else:  # authorised card, settled, and the voided or refunded (which were approved first)
        outcome = Outcome.APPROVED
    return GatewayResult(
        outcome=outcome,
        gateway_reference=charge.reference,
        decline_reason=charge.decline_reason if outcome == Outcome.DECLINED else "",
        settled=status in (ChargeStatus.SETTLED, ChargeStatus.REFUNDED),
        charge_status=status,
    )


def action_answer(action: SandboxAction) -> GatewayResult:
    """The answer to a void or refund; a repeat of its key replays it."""
    approved = action.outcome == Outcome.APPROVED
    return GatewayResult(
        outcome=Outcome(action.outcome),
        gateway_reference=action.reference,
        decline_reason=action.decline_reason,
        settled=approved and action.operation == "refund",  # sandbox refunds are final at once
    )


def void_refusal(charge: SandboxCharge | None) -> str:
    """Why `charge` (None when no such charge) cannot be voided, or "" when it can."""
    if charge is None:
        return NO_CHARGE
    status = ChargeStatus(charge.status)
    if status == ChargeStatus.DECLINED:
        return "This charge was declined; there is nothing to void."
    if status == ChargeStatus.VOIDED:
        return "This charge has already been voided."
    if status != ChargeStatus.AUTHORIZED or charge.behaviour == Behaviour.REFUSE_VOID:
        return VOID_REFUSED
    return ""


def refund_refusal(charge: SandboxCharge | None, amount: Money) -> str:
    """Why `amount` cannot be refunded on `charge`, or "" when it can."""
    if charge is None:
        return NO_CHARGE
    status = ChargeStatus(charge.status)
    if status == ChargeStatus.DECLINED:
        return "This charge was declined; there is nothing to refund."
    if status == ChargeStatus.VOIDED:
        return "This charge was voided; there is nothing to refund."
    if status == ChargeStatus.AUTHORIZED and is_bank(charge.behaviour):
        return "This debit has not settled yet; void it instead."
    # A card charge is authorised and captured together, so it can be refunded before
    # the settlement run (the refund-instead path for a card that refuses voids).
    if amount.currency != charge.currency:
        return f"The refund must be in {charge.currency}, the currency of the charge."
    left = charge.amount_minor - charge.refunded_minor
    if amount.minor > left:
        if left == 0:
            return "This charge has already been refunded in full."
        remaining = Money.from_minor(left, charge.currency).format()
        return f"A refund cannot be more than the {remaining} left on this charge."
    return ""
