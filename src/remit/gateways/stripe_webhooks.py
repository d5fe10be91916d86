"""Stripe webhooks: is this request really from Stripe, and recent? No Django import.

Stripe signs each webhook with the endpoint's secret (`whsec_…`): the `Stripe-Signature`
header carries a timestamp and an HMAC-SHA256 of "timestamp.payload". The official SDK
checks both; this module tells the two refusals apart, because they mean different
things to whoever reads the log: a forged (or tampered, or wrongly configured) request,
or an authentic one replayed after `tolerance` seconds.

Pass the body exactly as received (bytes, before any JSON parsing): re-serialised JSON
never matches the signature.
"""

from __future__ import annotations

import json

import stripe

from remit.core.errors import RemitError
from remit.core.money import Money
from remit.gateways.protocol import DisputeNotice, DisputeState

DEFAULT_TOLERANCE = 300  # seconds; Stripe's own default

FORGED = "The webhook signature does not match; the request was not accepted."
TOO_OLD = (
    "The webhook was signed more than {tolerance} seconds ago; it may be a replay and "
    "was not accepted."
)
MALFORMED = "The webhook body is not a Stripe event; the request was not accepted."


class WebhookRefused(RemitError):
    """A webhook that is forged, tampered with, replayed too late, or not an event."""

    code = "webhook_refused"


def verify_event(
    payload: bytes | str,
    header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
) -> stripe.Event:
    """The event in `payload` once its `Stripe-Signature` `header` checks out, or WebhookRefused.

    An empty `secret` or a `tolerance` that is not positive is a configuration mistake
    (the SDK would take a tolerance of 0 to mean "accept any age"), so it raises
    ValueError rather than refusing the request.
    """
    if not secret or not secret.strip():
        raise ValueError("No Stripe webhook secret is configured (REMIT_STRIPE_WEBHOOK_SECRET).")
    if tolerance <= 0:
        raise ValueError("The webhook tolerance must be a positive number of seconds.")
    if not header or not header.isascii():
        # Unsigned; or a byte no signature has (the SDK's comparison would raise on it).
        raise WebhookRefused(FORGED)
    try:
        # Who signed it, whatever its age (a tolerance of None skips the timestamp check).
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        raise WebhookRefused(FORGED) from None
    except UnicodeDecodeError:
        raise WebhookRefused(MALFORMED) from None
    try:
        data = json.loads(payload)
    except ValueError:
        raise WebhookRefused(MALFORMED) from None
    if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id"):
        raise WebhookRefused(MALFORMED)
    try:
        # Authentic: now the SDK's full check, which adds the age.
        return stripe.Webhook.construct_event(payload, header, secret, tolerance)
    except stripe.SignatureVerificationError:
        raise WebhookRefused(TOO_OLD.format(tolerance=tolerance)) from None


# Stripe's dispute statuses: an inquiry (warning_*) moves no money; any other open
# status means the money was withdrawn; won and lost are the decisions.
_INQUIRY = {"warning_needs_response", "warning_under_review", "warning_closed"}
DISPUTE_EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
}


def dispute_notice(event: dict) -> DisputeNotice | None:
    """What a `charge.dispute.*` event says, or None when it moves no money (an inquiry,
    an update of an open dispute's evidence). The charge is named by remit's key when the
    dispute carries it in its metadata, otherwise by its PaymentIntent (the reference
    remit kept of the charge). The fee is the dispute's balance transactions' fees."""
    kind = str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    if kind not in DISPUTE_EVENTS or not isinstance(obj, dict) or obj.get("object") != "dispute":
        return None
    status = str(obj.get("status", ""))
    if status in _INQUIRY:
        return None
    if kind == "charge.dispute.funds_reinstated" or status == "won":
        state = DisputeState.WON
    elif status == "lost":
        state = DisputeState.LOST
    elif kind == "charge.dispute.closed":
        return None  # closed in any other way: nothing Stripe moved
    else:
        state = DisputeState.OPEN
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    charge = metadata.get("remit_key") or obj.get("payment_intent") or obj.get("charge") or ""
    currency = str(obj.get("currency", "")).upper()
    fee = sum(
        int(bt.get("fee", 0))
        for bt in obj.get("balance_transactions") or ()
        if isinstance(bt, dict) and int(bt.get("fee", 0)) > 0
    )
    return DisputeNotice(
        event_id=str(event["id"]),
        dispute_id=str(obj.get("id", "")),
        charge_key=str(charge),
        amount=Money.from_minor(int(obj.get("amount", 0)), currency),
        fee=Money.from_minor(fee, currency),
        state=state,
        reason=str(obj.get("reason", "")),
    )
