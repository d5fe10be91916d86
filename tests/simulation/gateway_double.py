"""The gateway of a simulated history: the real sandbox, with a seeded script of what goes
wrong around each call.

Every money call (charge, void, refund) may meet one of these, drawn from the history's
dice:

- `crash_before`: the process dies after remit committed the attempt, before sending;
- `refuse`: the adapter refuses before anything is sent (an amount it cannot express);
- `slow_commit`: the request reaches the gateway, remit's client gives up (unknown), and
  the gateway acts later, at a step of the history still to come, if it still may;
- `lost_answer`: the gateway acts, the answer is lost (unknown);
- `raise_after`: the gateway acts, then the connection breaks (an exception, not a result);
- `crash_after`: the gateway acts, then the process dies before recording the answer.

While a request is on the wire, other processes may run (`World.interleave`): that is how
a reconcile meets a charge in flight, or two workers meet one schedule. Lookups may be
lost too. A history plays one of two gateway styles: `sandbox` (lookups see everything at
once) or `stripe` (lookups lag by a minute, like Stripe's search, and a charge that is not
found is only ever "not found yet").

The double also checks a rule of the boundary: remit never calls the gateway inside a
transaction of its own (a rollback would otherwise undo the gateway's side too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from remit.core.errors import InvalidAmount
from remit.gateways import protocol
from remit.gateways.models import SandboxCharge
from remit.gateways.protocol import ChargeStatus, GatewayResult, Outcome
from remit.gateways.sandbox import SandboxGateway
from tests.simulation.faults import Killed

if TYPE_CHECKING:
    from tests.simulation.world import World

MONEY_FAULTS = {
    "crash_before": 2,
    "refuse": 1,
    "slow_commit": 2,
    "lost_answer": 2,
    "raise_after": 1,
    "crash_after": 2,
}
LOOKUP_FAULTS = {"lost_answer": 2, "raise": 1}
SEARCH_LAG = timedelta(seconds=60)  # the stripe style: how long a new charge stays unseen

# The refusal an adapter raises before sending. Until remit knew the difference, adapters
# raised their own user-facing errors (the Stripe adapter's InvalidAmount).
Refused = getattr(protocol, "GatewayRefused", InvalidAmount)


@dataclass
class Deferred:
    """A request the gateway has received and not yet acted on (the slow_commit fault)."""

    operation: str
    key: str
    act: Callable[[], Any]


class SimGateway:
    """Implements the gateway protocol over the sandbox, with the history's faults."""

    def __init__(self, world: World, *, style: str) -> None:
        self.world = world
        self.style = style
        self.real = SandboxGateway()  # its clock is the history's (time-machine)
        self.deferred: list[Deferred] = []
        if style == "stripe" and hasattr(SandboxGateway, "lookup_final_after"):
            self.lookup_final_after = timedelta(hours=24)  # Stripe's idempotency window

    def __getattr__(self, name: str) -> Any:  # tokenising, call counts, timeouts: as the sandbox
        if name.startswith("_") or name == "real":  # copies and pickles: no recursion
            raise AttributeError(name)
        return getattr(self.real, name)

    # --- money calls --------------------------------------------------------------------
    def charge(self, request) -> GatewayResult:
        return self._money("charge", request.idempotency_key, lambda: self.real.charge(request))

    def void(self, request) -> GatewayResult:
        return self._money("void", request.idempotency_key, lambda: self.real.void(request))

    def refund(self, request) -> GatewayResult:
        return self._money("refund", request.idempotency_key, lambda: self.real.refund(request))

    def _money(self, operation: str, key: str, act: Callable[[], GatewayResult]) -> GatewayResult:
        world = self.world
        self._outside_transactions(operation)
        fault = world.dice.fault(MONEY_FAULTS)
        world.note(f"gateway {operation} {key}: {fault}")
        if fault == "crash_before":
            raise Killed(f"before sending the {operation}")
        if fault == "refuse":
            raise Refused("The card processor cannot take this amount; nothing was sent.")
        world.interleave(f"while the {operation} is on the wire")
        if fault == "slow_commit":
            self.deferred.append(Deferred(operation, key, act))
            return GatewayResult(outcome=Outcome.UNKNOWN)  # remit's client timed out
        with world.statements.suspended():
            result = act()
        world.interleave(f"after the gateway's {operation}, before its answer arrives")
        if fault == "lost_answer":
            return GatewayResult(outcome=Outcome.UNKNOWN)
        if fault == "raise_after":
            raise ConnectionResetError("connection reset by peer")
        if fault == "crash_after":
            raise Killed(f"after the gateway's {operation}, before remit recorded it")
        return result

    # --- lookups ------------------------------------------------------------------------
    def lookup(self, charge_key: str) -> GatewayResult:
        world = self.world
        self._outside_transactions("lookup")
        fault = world.dice.fault(LOOKUP_FAULTS)
        if fault == "lost_answer":
            world.note(f"gateway lookup {charge_key}: lost")
            return GatewayResult(outcome=Outcome.UNKNOWN)
        if fault == "raise":
            world.note(f"gateway lookup {charge_key}: raised")
            raise TimeoutError("the lookup timed out")
        if self.style == "stripe" and not self._searchable(charge_key):
            return _not_found()
        with world.statements.suspended():
            return self.real.lookup(charge_key)

    def _searchable(self, charge_key: str) -> bool:
        """Stripe's search lags: a charge made in the last minute is not found yet."""
        with self.world.statements.suspended():
            charge = SandboxCharge.objects.filter(idempotency_key=charge_key).first()
        return charge is not None and charge.created_at <= timezone.now() - SEARCH_LAG

    # --- the gateway's own time -----------------------------------------------------------
    def settle_all(self):
        with self.world.statements.suspended():
            return self.real.settle_all()

    def land_deferred(self, *, everything: bool) -> None:
        """Requests received earlier are acted on now (some, or all of them)."""
        rng = self.world.dice.rng
        waiting, self.deferred = self.deferred, []
        for item in waiting:
            if not everything and rng.random() < 0.5:
                self.deferred.append(item)
                continue
            with self.world.statements.suspended():
                try:
                    result = item.act()
                    self.world.note(f"gateway acts late on {item.key}: {result.outcome}")
                except Exception as refused:  # the gateway refused the late request
                    self.world.note(f"gateway refuses late {item.key}: {refused}")

    def _outside_transactions(self, what: str) -> None:
        depth = len(connection.savepoint_ids)
        assert depth == self.world.base_depth, (
            f"remit called the gateway's {what} inside one of its transactions"
        )


def _not_found() -> GatewayResult:
    status = getattr(ChargeStatus, "NOT_FOUND", None)
    return GatewayResult(outcome=Outcome.UNKNOWN, charge_status=status)
