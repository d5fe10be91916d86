"""Where a card typed into one of remit's pages goes: the configured gateway's own entry.

No page of remit ever posts a card number to remit. The card entry (the template
`gateways/card_entry.html` and its script `gateways/card_entry.js`, one for the portal
and the back office alike) sends the card to the gateway, and hands remit's view the
token only; remit then asks the gateway what the token is (`describe_token`).

- `sandbox`: inputs without a `name` (no form can submit them), posted by the script to
  the sandbox's tokenising endpoint with no cookies. That endpoint is mounted only when
  `sandbox_tokenizer_mounted()` (REMIT_DEBUG or REMIT_SANDBOX=1 says so); without it the
  card entry says cards cannot be added;
- `stripe`: Stripe.js Elements mounted with the publishable key
  (`REMIT_STRIPE_PUBLISHABLE_KEY`); `stripe.createPaymentMethod` makes a PaymentMethod
  and the script hands remit its id. Stripe.js is loaded from Stripe, as Stripe requires.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from remit.gateways.registry import gateway_name

SANDBOX_TOKENIZE_URL = "/sandbox-gateway/v1/tokens"
"""The sandbox gateway's hosted tokenising endpoint (a real gateway hosts its own)."""
STRIPE_JS_URL = "https://js.stripe.com/v3/"


@dataclass(frozen=True)
class CardEntry:
    gateway: str
    tokenize_url: str = ""
    publishable_key: str = ""
    script_url: str = ""
    banks: bool = False
    """Bank accounts can be added too (the Stripe adapter does not drive bank debits)."""

    @property
    def ready(self) -> bool:
        """False when the gateway is not configured for browsers (no publishable key)."""
        return bool(self.tokenize_url or self.publishable_key)


def sandbox_tokenizer_mounted() -> bool:
    """Whether the sandbox's tokenising endpoint is served: the sandbox is the gateway, and
    REMIT_DEBUG or REMIT_SANDBOX=1 says this is a demo or a development machine."""
    enabled = settings.DEBUG or getattr(settings, "REMIT_SANDBOX", False)
    return gateway_name() == "sandbox" and bool(enabled)


def card_entry() -> CardEntry:
    """The card entry of the configured gateway (`REMIT_GATEWAY`)."""
    name = gateway_name()
    if name == "stripe":
        return CardEntry(
            gateway="stripe",
            publishable_key=getattr(settings, "REMIT_STRIPE_PUBLISHABLE_KEY", ""),
            script_url=STRIPE_JS_URL,
        )
    if name == "sandbox":
        url = SANDBOX_TOKENIZE_URL if sandbox_tokenizer_mounted() else ""
        return CardEntry(gateway="sandbox", tokenize_url=url, banks=True)
    return CardEntry(gateway=name)
