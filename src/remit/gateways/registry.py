"""Which gateway remit talks to: `settings.REMIT_GATEWAY`, the sandbox unless told otherwise."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from remit.gateways.protocol import Gateway

GATEWAYS = ("sandbox", "stripe")


def get_gateway() -> Gateway:
    name = getattr(settings, "REMIT_GATEWAY", "sandbox")
    if name == "sandbox":
        # Imported here: the sandbox brings its models, which need the app registry ready.
        from remit.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "stripe":
        raise NotImplementedError(
            "The stripe gateway is not built yet; set REMIT_GATEWAY to 'sandbox'."
        )
    raise ImproperlyConfigured(
        f"REMIT_GATEWAY is '{name}'; it must be one of: {', '.join(GATEWAYS)}."
    )
