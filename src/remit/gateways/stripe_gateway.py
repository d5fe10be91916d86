"""The `stripe` gateway: remit's gateway protocol over the official `stripe` SDK. No Django.

How remit's calls become Stripe's (read before changing any of it):

- **Tokens.** In production a card is tokenised in the browser by Stripe.js (Elements),
  so the number never reaches remit; remit receives the PaymentMethod id (`pm_…`) and
  charges that. `tokenize_card` posts the raw card to `POST /v1/payment_methods`: for
  test mode only, so it refuses a live key (Stripe itself accepts raw numbers only from
  accounts with raw card data access turned on, in test mode too; otherwise use Stripe's
  test PaymentMethods, such as `pm_card_visa`, as tokens). Bank debits need Stripe's
  mandate and account verification flow, which this adapter does not drive:
  `tokenize_bank` refuses with a sentence. `describe_token` retrieves the PaymentMethod,
  so what remit keeps of a card (brand, last four, expiry, and `card.fingerprint`, which
  is the same for every PaymentMethod of one card number) comes from Stripe, never from
  the browser.
- **Charges.** A charge is one PaymentIntent, created and confirmed in one request
  (`confirm=true`, cards only, `error_on_requires_action=true` so a card that asks for
  3-D Secure is declined at once rather than left waiting for a customer who is not
  there). remit's key is sent as Stripe's `Idempotency-Key`, so a repeat replays the
  first answer and never makes a second intent, and is stored in the intent's
  `metadata['remit_key']`, so `lookup` can find the intent from the key alone.
- **Capture.** `capture="automatic"` (the default) captures at once: `succeeded` means
  the money is taken and can no longer be voided, only refunded, which is what remit
  calls settled, so it is reported `approved` with `settled=True` (a payout only moves
  the merchant's Stripe balance to their bank; it changes nothing for the customer).
  `capture="manual"` authorises only (`requires_capture`: approved, not settled,
  voidable) and `capture()` takes the money later; Stripe cancels an authorisation left
  uncaptured for 7 days, so manual capture needs a job that captures.
- **States.** `succeeded` -> approved and settled (refunded once the charge is fully
  refunded); `requires_capture` -> approved, authorised; `processing` -> pending;
  `requires_payment_method` after a decline -> declined, with a sentence chosen here
  from the decline code (never the issuer's reason for lost or stolen cards);
  `canceled` -> voided (declined if it was a decline). A timeout, a dropped connection,
  a 5xx or a 409 (the same key still in flight) -> unknown: the answer was lost and
  `lookup` tells what happened. The SDK's own retries are off for the same reason.
- **Lookup.** By Stripe's search API on `metadata['remit_key']`. Stripe documents search
  as eventually consistent (usually under a minute behind, rarely up to an hour), so
  "nothing found" is reported as `NOT_FOUND` with an unknown outcome, and
  `lookup_final_after` is 24 hours: Stripe keeps idempotency keys that long, and no
  request remit gave up on can still create a charge after it. Only then does remit
  conclude that a charge never happened (`remit.payments.services.attempts`). Stripe has no
  request deadlines; the adapter's timeout (`call_timeout`) is the longest remit waits.
- **Refusals.** What the adapter refuses before sending (an amount Stripe cannot express),
  and Stripe's idempotency error (the key was used for another request, so nothing was
  done), raise `GatewayRefused`: the payment fails with the sentence, nothing is pending.
- **Records.** `records()` lists the PaymentIntents carrying a `remit_key`, and their
  refunds, for `remit audit --gateway`.
- **Amounts.** Stripe's minor units are not always ISO 4217's: zero-decimal currencies
  as listed by Stripe, ISK sent with two decimals, and the three-decimal currencies
  only in steps of 0.010 (refused here otherwise, before anything is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import stripe

from remit.core.errors import RemitError
from remit.core.money import Money
from remit.gateways.protocol import (
    UNKNOWN_DETAILS,
    ActionRequest,
    BankDetails,
    CardDetails,
    ChargeRecord,
    ChargeRequest,
    ChargeStatus,
    GatewayRefused,
    GatewayResult,
    GatewayTimeout,
    Outcome,
    PaymentDetailsInvalid,
    RefundRecord,
    RefundRequest,
    Tokenized,
)
from remit.gateways.stripe_webhooks import DEFAULT_TOLERANCE, verify_event
from remit.gateways.validation import check_card

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds for one request; then the answer is taken as lost

# --- sentences a customer or clerk may see -----------------------------------------------
DECLINED = "Your card was declined."
DECLINE_REASONS: dict[str, str] = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "The card's security code (CVC) is incorrect; check it and try again.",
    "invalid_cvc": "The card's security code (CVC) is incorrect; check it and try again.",
    "incorrect_number": "The card number is not valid; check it and try again.",
    "invalid_number": "The card number is not valid; check it and try again.",
    "processing_error": (
        "An error occurred while processing your card; no money was taken. Try again."
    ),
    "authentication_required": (
        "Your bank asks to confirm this payment, which cannot be done here; use another card."
    ),
    "currency_not_supported": "Your card cannot pay in this currency; use another card.",
    "card_not_supported": "Your card does not support this kind of payment; use another card.",
}
UNKNOWN_METHOD = "This payment method is not recognised; add it again."
AMOUNT_TOO_SMALL = "The amount is below the smallest card payment the processor accepts."
AMOUNT_TOO_LARGE = "The amount is above the largest card payment the processor accepts."
NOT_SENT = "The card processor refused the request; no money was taken."
BUSY = "The card processor is busy; no money was moved. Try again in a minute."
NOT_FOUND_YET = (
    "The card processor has no record of this charge yet; nothing was changed. "
    "Try again in a few minutes."
)
VOID_REFUSED = "This charge can no longer be voided; refund it instead."
ALREADY_VOIDED = "This charge has already been voided."
NOTHING_TO_VOID = "This charge was declined; there is nothing to void."
NOTHING_TO_REFUND = "This charge was declined; there is nothing to refund."
NOTHING_TO_CAPTURE = "This charge was declined; there is nothing to capture."
VOIDED_NO_CAPTURE = "This charge was voided; there is nothing to capture."
VOIDED_NO_REFUND = "This charge was voided; there is nothing to refund."
NOT_SETTLED = "This charge has not settled yet; void it instead."
FULLY_REFUNDED = "This charge has already been refunded in full."
REFUND_FAILED = "The refund was refused by the card network; no money was returned."
KEY_REUSED = "This idempotency key was already used for a different request."
BANK_UNSUPPORTED = "Bank debits cannot be set up with this payment processor; pay by card."
LIVE_TOKENIZE = (
    "Raw card numbers are only sent to Stripe in test mode; in production the card is "
    "tokenised in the browser by Stripe.js and remit receives the PaymentMethod id."
)

# Stripe's names for card brands, as remit's validation names them.
_BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}

# Card errors from tokenising: the field to point at and what to say.
_CARD_FIELDS: dict[str, tuple[str, str]] = {
    "incorrect_number": ("number", "The card number is not valid; check it and try again."),
    "invalid_number": ("number", "The card number is not valid; check it and try again."),
    "invalid_expiry_month": ("exp_month", "The expiry month is not valid; check it."),
    "invalid_expiry_year": ("exp_year", "The expiry year is not valid; check it."),
    "expired_card": ("exp_year", "The card has expired; use another card."),
    "incorrect_cvc": ("cvc", "The security code (CVC) is not valid; check it."),
    "invalid_cvc": ("cvc", "The security code (CVC) is not valid; check it."),
}

# https://docs.stripe.com/currencies: Stripe's zero- and three-decimal currencies.
_ZERO_DECIMAL = frozenset(
    {
        *("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"),
        *("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"),
    }
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


class GatewayUnavailable(RemitError):
    """The processor did not answer a call that moves no money (tokenising): try again."""

    code = "gateway_unavailable"


class StripeGateway:
    """Implements `remit.gateways.protocol.Gateway` with Stripe PaymentIntents."""

    name = "stripe"
    lookup_final_after = timedelta(hours=24)  # Stripe's idempotency window; see the notes

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str = "",
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        capture: Literal["automatic", "manual"] = "automatic",
        webhook_tolerance: int = DEFAULT_TOLERANCE,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        if not api_key:
            raise ValueError("A Stripe API key is needed (REMIT_STRIPE_API_KEY).")
        if capture not in ("automatic", "manual"):
            raise ValueError(f"capture must be 'automatic' or 'manual', not {capture!r}.")
        self._live = api_key.startswith(("sk_live_", "rk_live_"))
        self._capture = capture
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance
        self._today = today
        self.call_timeout = timedelta(seconds=timeout)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=0,  # a lost answer is looked up, never retried here
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    # --- tokens -----------------------------------------------------------------------
    def tokenize_card(self, card: CardDetails) -> Tokenized:
        """Test mode only: see the module's notes (production tokenises with Stripe.js)."""
        number, year = check_card(card, today=self._today())  # the same sentences as ever
        if self._live:
            raise RuntimeError(LIVE_TOKENIZE)
        params: dict[str, Any] = {
            "type": "card",
            "card": {
                "number": number,
                "exp_month": card.exp_month,
                "exp_year": year,
                "cvc": card.cvc,
            },
        }
        if card.holder_name:
            params["billing_details"] = {"name": card.holder_name}
        try:
            method = _data(self._call(self._client.v1.payment_methods.create, params))
        except stripe.CardError as refusal:
            field, sentence = _CARD_FIELDS.get(refusal.code or "", ("number", DECLINED))
            raise PaymentDetailsInvalid(sentence, fields={field: "invalid"}) from None
        except (GatewayTimeout, stripe.RateLimitError):
            raise GatewayUnavailable(
                "The card processor did not answer; nothing was charged. Try again in a minute."
            ) from None
        return _card_tokenized(method)

    def tokenize_bank(self, bank: BankDetails) -> Tokenized:
        raise PaymentDetailsInvalid(BANK_UNSUPPORTED, fields={"account_number": "unsupported"})

    def describe_token(self, token: str) -> Tokenized:
        """The card of a PaymentMethod made by Stripe.js (`pm_…`), as Stripe holds it."""
        try:
            method = _data(self._call(self._client.v1.payment_methods.retrieve, token))
        except stripe.InvalidRequestError:  # no such PaymentMethod (or not this account's)
            raise PaymentDetailsInvalid(UNKNOWN_DETAILS, fields={"token": "unknown"}) from None
        except (GatewayTimeout, stripe.RateLimitError):
            raise GatewayUnavailable(
                "The card processor did not answer; nothing was saved. Try again in a minute."
            ) from None
        if method.get("type") != "card":
            raise PaymentDetailsInvalid(BANK_UNSUPPORTED, fields={"token": "unsupported"})
        return _card_tokenized(method)

    # --- money ------------------------------------------------------------------------
    def charge(self, request: ChargeRequest) -> GatewayResult:
        params: dict[str, Any] = {
            "amount": to_stripe_amount(request.amount),  # GatewayRefused: nothing is sent
            "currency": request.amount.currency.lower(),
            "payment_method": request.token,
            "payment_method_types": ["card"],
            "confirm": True,
            "capture_method": self._capture,
            "error_on_requires_action": True,
            "metadata": {"remit_key": request.idempotency_key},
        }
        if request.description:
            params["description"] = request.description[:1000]
        try:
            intent = _data(
                self._call(
                    self._client.v1.payment_intents.create,
                    params,
                    {"idempotency_key": request.idempotency_key},
                )
            )
        except GatewayTimeout:  # the intent may exist: only `lookup` can tell
            return GatewayResult(outcome=Outcome.UNKNOWN)
        except stripe.CardError as decline:  # the intent exists, declined
            error = _error(decline)
            intent = error.get("payment_intent") or {}
            return GatewayResult(
                outcome=Outcome.DECLINED,
                gateway_reference=intent.get("id", ""),
                decline_reason=decline_reason(error),
                charge_status=ChargeStatus.DECLINED,
            )
        except stripe.InvalidRequestError as refusal:  # refused before anything was done
            return _declined(_request_refusal(refusal))
        except stripe.RateLimitError:
            return _declined(BUSY)
        return intent_result(intent)

    def capture(self, request: ActionRequest) -> GatewayResult:
        """Take the money of a manual-capture authorisation (not part of the protocol)."""
        try:
            intent = self._find(request.charge_key)
            if intent is None:
                return _declined(NOT_FOUND_YET)
            if _was_declined(intent):
                return _declined(NOTHING_TO_CAPTURE, ChargeStatus.DECLINED)
            if intent.get("status") == "canceled":
                return _declined(VOIDED_NO_CAPTURE, ChargeStatus.VOIDED)
            if intent.get("status") != "requires_capture":
                return intent_result(intent)  # captured already, or still in flight
            captured = _data(
                self._call(
                    self._client.v1.payment_intents.capture,
                    intent["id"],
                    {},
                    {"idempotency_key": request.idempotency_key},
                )
            )
        except GatewayTimeout:
            return GatewayResult(outcome=Outcome.UNKNOWN)
        except stripe.InvalidRequestError as refusal:
            return _declined(_request_refusal(refusal))
        except stripe.RateLimitError:
            return _declined(BUSY)
        return intent_result(captured)

    def void(self, request: ActionRequest) -> GatewayResult:
        try:
            intent = self._find(request.charge_key)
            if intent is None:
                return _declined(NOT_FOUND_YET)
            if _was_declined(intent):
                return _declined(NOTHING_TO_VOID, ChargeStatus.DECLINED)
            # No check of the status first: a repeat of the key must replay the first answer.
            canceled = _data(
                self._call(
                    self._client.v1.payment_intents.cancel,
                    intent["id"],
                    {},
                    {"idempotency_key": request.idempotency_key},
                )
            )
        except GatewayTimeout:
            return GatewayResult(outcome=Outcome.UNKNOWN)
        except stripe.InvalidRequestError as refusal:
            error = _error(refusal)
            if error.get("code") != "payment_intent_unexpected_state":
                return _declined(_request_refusal(refusal))
            now = error.get("payment_intent") or intent
            if now.get("status") == intent.get("status"):
                now = intent  # the one found has its charge expanded: refunded or not
            status = intent_result(now).charge_status
            reason = ALREADY_VOIDED if status == ChargeStatus.VOIDED else VOID_REFUSED
            return _declined(reason, status)
        except stripe.RateLimitError:
            return _declined(BUSY)
        return GatewayResult(
            outcome=Outcome.APPROVED,
            gateway_reference=canceled["id"],
            charge_status=ChargeStatus.VOIDED,
        )

    def refund(self, request: RefundRequest) -> GatewayResult:
        amount = to_stripe_amount(request.amount)
        try:
            intent = self._find(request.charge_key)
            if intent is None:
                return _declined(NOT_FOUND_YET)
            refusal = _refund_refusal(intent, request.amount)  # only states a refund can't change
            if refusal:
                return _declined(refusal, intent_result(intent).charge_status)
            made = _data(
                self._call(
                    self._client.v1.refunds.create,
                    {
                        "payment_intent": intent["id"],
                        "amount": amount,
                        "metadata": {
                            "remit_key": request.idempotency_key,
                            "remit_charge_key": request.charge_key,
                        },
                    },
                    {"idempotency_key": request.idempotency_key},
                )
            )
        except GatewayTimeout:
            return GatewayResult(outcome=Outcome.UNKNOWN)
        except stripe.InvalidRequestError as refused:
            code = _error(refused).get("code")
            if code == "charge_already_refunded":
                return _declined(FULLY_REFUNDED, ChargeStatus.REFUNDED)
            if code == "amount_too_large" or _error(refused).get("param") == "amount":
                return _declined(_over_refund(intent), ChargeStatus.SETTLED)
            return _declined(_request_refusal(refused))
        except stripe.RateLimitError:
            return _declined(BUSY)
        return self._refund_result(made, request.charge_key)

    def lookup(self, charge_key: str) -> GatewayResult:
        try:
            intent = self._find(charge_key)
        except GatewayTimeout:
            return GatewayResult(outcome=Outcome.UNKNOWN)
        if intent is None:  # not yet searchable, or never made: final only after a day
            return GatewayResult(outcome=Outcome.UNKNOWN, charge_status=ChargeStatus.NOT_FOUND)
        return intent_result(intent)

    def records(self) -> Iterator[ChargeRecord]:
        """Every PaymentIntent that carries a remit key, with its refunds."""
        refunds: dict[str, list[RefundRecord]] = {}
        listed = self._call(self._client.v1.refunds.list, {"limit": 100})
        for refund in listed.auto_paging_iter():
            refund = _data(refund)
            if refund.get("status") not in ("succeeded", "pending"):
                continue
            currency = str(refund.get("currency", "")).upper()
            refunds.setdefault(str(refund.get("payment_intent")), []).append(
                RefundRecord(
                    key=(refund.get("metadata") or {}).get("remit_key", ""),
                    amount=from_stripe_amount(int(refund.get("amount", 0)), currency),
                )
            )
        params = {"limit": 100, "expand": ["data.latest_charge"]}
        for intent in self._call(self._client.v1.payment_intents.list, params).auto_paging_iter():
            intent = _data(intent)
            key = (intent.get("metadata") or {}).get("remit_key")
            status = intent_result(intent).charge_status
            if not key or status is None:
                continue
            currency = str(intent.get("currency", "")).upper()
            yield ChargeRecord(
                key=key,
                reference=intent.get("id", ""),
                amount=from_stripe_amount(int(intent.get("amount", 0)), currency),
                status=status,
                refunds=tuple(refunds.get(intent.get("id", ""), ())),
            )

    # --- webhooks ---------------------------------------------------------------------
    def parse_webhook(self, payload: bytes | str, signature_header: str | None) -> stripe.Event:
        """The verified event, or WebhookRefused (see `stripe_webhooks.verify_event`)."""
        return verify_event(
            payload, signature_header, self._webhook_secret, tolerance=self._webhook_tolerance
        )

    # --- inside -----------------------------------------------------------------------
    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        """One SDK call; a lost answer becomes GatewayTimeout, a reused key a conflict.

        Card, request and rate-limit refusals are raised for the caller to read;
        authentication and permission errors are configuration faults and pass through.
        """
        try:
            return method(*args)
        except stripe.APIConnectionError as lost:  # timeout, refused or dropped connection
            log.warning("stripe: no answer: %s", lost.user_message)
            raise GatewayTimeout from None
        except stripe.IdempotencyError:  # the key was used for another request: nothing done
            raise GatewayRefused(KEY_REUSED) from None
        except stripe.StripeError as failure:
            status = failure.http_status
            if status is None or status >= 500 or status == 409:
                log.warning("stripe: answer lost (%s): %s", status, failure.user_message)
                raise GatewayTimeout from None
            raise

    def _find(self, charge_key: str) -> dict[str, Any] | None:
        """The intent made with `charge_key` (its latest charge expanded), if Stripe shows it."""
        query = f"metadata['remit_key']:'{_quote(charge_key)}'"
        found = _data(
            self._call(
                self._client.v1.payment_intents.search,
                {"query": query, "expand": ["data.latest_charge"], "limit": 10},
            )
        )
        intents = [
            intent
            for intent in found.get("data") or []
            if (intent.get("metadata") or {}).get("remit_key") == charge_key
        ]
        if not intents:
            return None
        if len(intents) > 1:  # only if a key was reused after Stripe forgot it (24 hours)
            log.error("stripe: %d intents carry remit_key %r", len(intents), charge_key)
        # Prefer one that took (or may take) money, then the newest.
        return max(intents, key=lambda i: (not _was_declined(i), i.get("created", 0)))

    def _refund_result(self, made: dict[str, Any], charge_key: str) -> GatewayResult:
        status = made.get("status")
        if status in ("failed", "canceled"):
            return _declined(REFUND_FAILED)
        try:  # how much of the charge is left decides refunded or still settled
            intent = self._find(charge_key)
        except GatewayTimeout:
            intent = None
        return GatewayResult(
            outcome=Outcome.PENDING if status == "requires_action" else Outcome.APPROVED,
            gateway_reference=made["id"],
            settled=status == "succeeded",
            charge_status=intent_result(intent).charge_status if intent else None,
        )


# --- pure mapping, Stripe objects (as dicts) to remit's results -----------------------------
def intent_result(intent: dict[str, Any]) -> GatewayResult:
    """What a PaymentIntent (latest charge expanded or not) means for remit."""
    status = intent.get("status")
    reference = intent.get("id", "")
    if _was_declined(intent):
        return GatewayResult(
            outcome=Outcome.DECLINED,
            gateway_reference=reference,
            decline_reason=decline_reason(intent.get("last_payment_error") or {}),
            charge_status=ChargeStatus.DECLINED,
        )
    if status == "succeeded":
        charge = intent.get("latest_charge")
        refunded = isinstance(charge, dict) and bool(charge.get("refunded"))
        return GatewayResult(
            outcome=Outcome.APPROVED,
            gateway_reference=reference,
            settled=True,
            charge_status=ChargeStatus.REFUNDED if refunded else ChargeStatus.SETTLED,
        )
    if status == "requires_capture":
        return GatewayResult(
            outcome=Outcome.APPROVED,
            gateway_reference=reference,
            charge_status=ChargeStatus.AUTHORIZED,
        )
    if status == "processing":
        return GatewayResult(
            outcome=Outcome.PENDING,
            gateway_reference=reference,
            charge_status=ChargeStatus.AUTHORIZED,
        )
    if status == "canceled":
        return GatewayResult(
            outcome=Outcome.APPROVED,  # as the sandbox: a voided charge was approved first
            gateway_reference=reference,
            charge_status=ChargeStatus.VOIDED,
        )
    if status in ("requires_action", "requires_confirmation"):
        return GatewayResult(outcome=Outcome.PENDING, gateway_reference=reference)
    log.error("stripe: PaymentIntent %s has an unexpected status %r", reference, status)
    return GatewayResult(outcome=Outcome.UNKNOWN, gateway_reference=reference)


def decline_reason(error: dict[str, Any]) -> str:
    """A sentence for a card error, chosen here: Stripe's own text is never passed on."""
    for code in (error.get("decline_code"), error.get("code")):
        if code in DECLINE_REASONS:
            return DECLINE_REASONS[code]
    return DECLINED  # lost, stolen, fraudulent, do_not_honor…: the customer sees no more


def stripe_exponent(currency: str) -> int:
    """Digits after the point in Stripe's `amount` for `currency` (not always ISO 4217's)."""
    currency = currency.upper()
    if currency in _ZERO_DECIMAL:
        return 0
    return 3 if currency in _THREE_DECIMAL else 2


def to_stripe_amount(amount: Money) -> int:
    """`amount` in Stripe's minor units, or GatewayRefused when Stripe cannot take it."""
    exponent = stripe_exponent(amount.currency)
    value = amount.amount.scaleb(exponent)
    if value != value.to_integral_value():
        raise GatewayRefused(
            f"The card processor takes {amount.currency} in whole units; "
            f"{amount.currency} {amount} is not a whole amount."
        )
    minor = int(value)
    if exponent == 3 and minor % 10:
        raise GatewayRefused(
            f"The card processor takes {amount.currency} amounts in steps of 0.010; "
            f"{amount.currency} {amount} is not one."
        )
    return minor


def from_stripe_amount(minor: int, currency: str) -> Money:
    """For messages: Stripe's minor units as Money (rounded to the currency's places)."""
    currency = currency.upper()
    return Money.rounded(Decimal(minor).scaleb(-stripe_exponent(currency)), currency)


def _was_declined(intent: dict[str, Any]) -> bool:
    status = intent.get("status")
    if status == "requires_payment_method":
        return True  # confirmed at creation: this is only ever a decline
    return status == "canceled" and bool(intent.get("last_payment_error"))


def _refund_refusal(intent: dict[str, Any], amount: Money) -> str:
    if _was_declined(intent):
        return NOTHING_TO_REFUND
    status = intent.get("status")
    if status == "canceled":
        return VOIDED_NO_REFUND
    if status != "succeeded":
        return NOT_SETTLED
    currency = str(intent.get("currency", "")).upper()
    if amount.currency != currency:
        return f"The refund must be in {currency}, the currency of the charge."
    return ""


def _over_refund(intent: dict[str, Any]) -> str:
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return "A refund cannot be more than is left on this charge."
    left = int(charge.get("amount_captured") or charge.get("amount", 0))
    left -= int(charge.get("amount_refunded", 0))
    if left <= 0:
        return FULLY_REFUNDED
    remaining = from_stripe_amount(left, str(intent.get("currency", ""))).format()
    return f"A refund cannot be more than the {remaining} left on this charge."


def _request_refusal(refusal: stripe.InvalidRequestError) -> str:
    error = _error(refusal)
    code = error.get("code")
    log.warning("stripe: request refused (%s): %s", code, error.get("message"))
    if code == "resource_missing" and error.get("param") in ("payment_method", "source"):
        return UNKNOWN_METHOD
    if code == "amount_too_small":
        return AMOUNT_TOO_SMALL
    if code == "amount_too_large":
        return AMOUNT_TOO_LARGE
    return NOT_SENT


def _declined(reason: str, status: ChargeStatus | None = None) -> GatewayResult:
    return GatewayResult(outcome=Outcome.DECLINED, decline_reason=reason, charge_status=status)


def _card_tokenized(method: dict[str, Any]) -> Tokenized:
    """What remit keeps of a card PaymentMethod: never its number (Stripe never shows it)."""
    card = method.get("card") or {}
    return Tokenized(
        token=method["id"],
        brand=_BRANDS.get(card.get("brand", ""), "Card"),
        last4=card.get("last4", ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        fingerprint=card.get("fingerprint") or "",
        kind="card",
    )


def _data(obj: Any) -> dict[str, Any]:
    """An SDK object as plain dicts (nested objects too), so mapping is about data only."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _error(failure: stripe.StripeError) -> dict[str, Any]:
    """The `error` object of a Stripe error response, as a dict (empty if there was none)."""
    body = failure.json_body
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _quote(value: str) -> str:
    """A value inside single quotes in Stripe's search query language."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
