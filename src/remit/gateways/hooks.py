"""How the gateways app tells the layer above that a charge changed, without importing it.

Imports run downward (payments -> gateways), yet a gateway webhook must reach the payment
it is about. So the payments app registers one listener at start-up, in
`PaymentsConfig.ready()`, and the webhook view calls `charge_changed`. The listener is
given remit's charge key (the `remit_key` the gateway carries in the charge's metadata)
and where the news came from; it asks the gateway itself, so the webhook's own content is
never trusted beyond naming the charge.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

ChargeListener = Callable[..., None]  # (charge_key: str, *, source: str) -> None

_listener: ChargeListener | None = None


def set_charge_listener(listener: ChargeListener | None) -> None:
    """Register what is called when a charge changes at the gateway (None removes it)."""
    global _listener
    _listener = listener


def charge_changed(charge_key: str, *, source: str) -> None:
    """Tell the registered listener that the charge made with `charge_key` changed."""
    if _listener is None:
        raise ImproperlyConfigured(
            "No charge listener is registered: PaymentsConfig.ready() must call "
            "remit.gateways.hooks.set_charge_listener."
        )
    _listener(charge_key, source=source)
