"""Which gateway remit talks to: `settings.REMIT_GATEWAY`, the sandbox unless told otherwise."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from remit.gateways.protocol import Gateway

GATEWAYS = ("sandbox", "stripe")


def gateway_name() -> str:
    """The configured gateway's name ("sandbox", "stripe"), as stored on saved methods; a
    gateway object installed by a test goes by the name it gives."""
    name = getattr(settings, "REMIT_GATEWAY", "sandbox")
    return name if isinstance(name, str) else str(getattr(name, "name", "sandbox"))


def get_gateway() -> Gateway:
    name = getattr(settings, "REMIT_GATEWAY", "sandbox")
    if not isinstance(name, str):
        return name  # a gateway object itself: how tests install a double (override_settings)
    if name == "sandbox":
        # Imported here: the sandbox brings its models, which need the app registry ready.
        from remit.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "stripe":
        from remit.gateways.stripe_gateway import StripeGateway

        api_key = getattr(settings, "REMIT_STRIPE_API_KEY", "")
        if not api_key:
            raise ImproperlyConfigured(
                "REMIT_GATEWAY is 'stripe'; set REMIT_STRIPE_API_KEY to the secret API key."
            )
        return StripeGateway(
            api_key=api_key,
            webhook_secret=getattr(settings, "REMIT_STRIPE_WEBHOOK_SECRET", ""),
            api_base=getattr(settings, "REMIT_STRIPE_API_BASE", None) or None,
        )
    raise ImproperlyConfigured(
        f"REMIT_GATEWAY is '{name}'; it must be one of: {', '.join(GATEWAYS)}."
    )
