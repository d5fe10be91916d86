"""What payments does when a gateway webhook says a charge changed: ask the gateway and
bring the payment up to date, exactly as the reconciler would (it is safe to repeat).

Registered by `PaymentsConfig.ready()` with `remit.gateways.hooks.set_charge_listener`.
"""

from __future__ import annotations

import logging

from remit.core.audit import Actor
from remit.payments.models import GatewayAttempt, GatewayOperation
from remit.payments.services.reconcile import payment_sync

log = logging.getLogger("remit.payments")


def charge_changed(charge_key: str, *, source: str) -> None:
    known = GatewayAttempt.objects.filter(
        idempotency_key=charge_key, operation=GatewayOperation.CHARGE
    ).exists()
    if not known:
        # Not a charge this installation made (another one sharing the gateway account,
        # or a charge made by hand in the gateway's dashboard): nothing here to update.
        log.warning("%s: no charge with key %r here; ignored", source, charge_key)
        return
    payment_sync(charge_key=charge_key, actor=Actor.system(source))
