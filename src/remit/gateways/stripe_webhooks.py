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
