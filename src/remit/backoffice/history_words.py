"""A payment's status history and audit trail in words, as a billing clerk reads them:
"Pending → Settled: Settled by the gateway", "Charge approved", "Money Order"; amounts as
money, and a credit created of nothing left out."""

from __future__ import annotations

from remit.core.money import Money
from remit.payments.models import PaymentType
from remit.payments.states import PaymentStatus

EVENTS = {
    ("record", "approved"): "Recorded",
    ("submit", "pending"): "Sent to the gateway",
    ("charge", "approved"): "Charge approved",
    ("charge", "declined"): "Charge declined",
    ("charge", "pending"): "Charge accepted, the answer comes later",
    ("charge", "refused"): "Refused before it was sent",
    ("charge", "unknown"): "No answer from the gateway",
    ("reconcile", "approved"): "Checked with the gateway: charge approved",
    ("reconcile", "declined"): "Checked with the gateway: charge declined",
    ("reconcile", "refused"): "Checked with the gateway: never reached it",
    ("settle", "approved"): "Settled by the gateway",
    ("settle", "declined"): "Returned by the bank",
    ("void", "approved"): "Voided",
    ("void", "declined"): "The gateway refused the void",
    ("refund", "approved"): "Refunded",
    ("refund", "declined"): "The gateway refused the refund",
    ("dispute_open", "approved"): "Disputed by the cardholder: the money was taken back",
    ("dispute_won", "approved"): "Dispute won: the money came back",
    ("dispute_lost", "approved"): "Dispute lost: charged back",
}

AUDIT_ACTIONS = {
    "payment.posted": "Payment posted",
    "payment.charge": "Card charged",
    "payment.settled": "Settled",
    "payment.failed": "Payment failed",
    "payment.voided": "Payment voided",
    "payment.refunded": "Refunded",
    "payment.disputed": "Disputed by the cardholder",
    "payment.dispute_won": "Dispute won",
    "payment.dispute_lost": "Dispute lost",
}


def status_word(status: str) -> str:
    """'settled' → 'Settled'; no status yet → 'New'."""
    if not status:
        return "New"
    try:
        return PaymentStatus(status).name.replace("_", " ").capitalize()
    except ValueError:
        return status.replace("_", " ").capitalize()


def event_words(action: str, outcome: str) -> str:
    return EVENTS.get((action, outcome)) or f"{action.capitalize()}: {outcome}".rstrip(": ")


def audit_action(action: str) -> str:
    if action in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[action]
    return action.replace(".", " ").replace("_", " ").capitalize()


def audit_changes(values: dict | None) -> list[tuple[str, str]]:
    """An audit event's before/after as (what, value) pairs in words: money as money, a
    payment type by its name, and nothing for an empty value or a credit created of zero."""
    if not isinstance(values, dict):
        return []
    currency = values.get("currency") if isinstance(values.get("currency"), str) else None
    pairs = []
    for key, value in values.items():
        if value in ("", None):
            continue  # nothing to say
        if key == "currency" and currency:
            continue  # shown with each amount
        if key in ("amount", "credit_created", "refunded", "fee") and currency:
            money = _money(value, currency)
            if key == "credit_created" and money is not None and money.is_zero():
                continue
            pairs.append((_label(key), money.format() if money is not None else _plain(value)))
        elif key == "type":
            pairs.append(("Payment type", _type_label(str(value))))
        elif key == "status":
            pairs.append(("Status", status_word(str(value))))
        elif key == "allocations" and isinstance(value, dict) and currency:
            applied = [f"{number} {_shown(amount, currency)}" for number, amount in value.items()]
            pairs.append(("Applied to", ", ".join(applied) or "no invoice"))
        else:
            pairs.append((_label(key), _plain(value)))
    return pairs


def _label(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def _type_label(value: str) -> str:
    try:
        return PaymentType(value).label
    except ValueError:
        return value


def _money(value: object, currency: str) -> Money | None:
    try:
        return Money.of(str(value), currency)
    except Exception:  # not an amount after all: shown as it is
        return None


def _shown(value: object, currency: str) -> str:
    money = _money(value, currency)
    return money.format() if money is not None else _plain(value)


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    return "—" if value in ("", None) else str(value)
