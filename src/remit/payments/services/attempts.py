"""The gateway attempt: one operation at the gateway (charge, void, refund), written down
before its request leaves and completed from its answer (DESIGN rules 4 and 9).

Every send is stamped on the attempt row, committed before the request goes out: when it
was sent and its deadline, after which the gateway may no longer act on it (the sandbox
refuses a request that arrives later; Stripe's adapter waits `call_timeout` at most).
The key the gateway sees is the attempt's and never changes, so the gateway acts on an
operation once however often it is sent.

From those stamps follow the three rules that keep remit and the gateway in agreement:

- **In flight** is an attempt sent and not answered, before its deadline (plus a margin
  for clocks and commits). Nobody judges it: the process that sent it may still record its
  answer. Another user's request for the same operation is refused with the seconds to
  wait (`AttemptInProgress`), and the reconciler leaves it alone.
- **Unfinished** is an attempt with no answer once it is no longer in flight, or whose
  answer was lost (unknown). It is resumed, by the reconciler or by a user repeating the
  action: looked up at the gateway and finished from what the gateway says, or sent again
  with the same key.
- **"Not found" is final** only once the gateway can no longer create the operation: the
  last send's deadline, plus the margin, plus the gateway's own `lookup_final_after` (none
  for the sandbox, whose lookups see everything; Stripe's search lags and Stripe keeps an
  idempotency key for 24 hours). Before that, "not found" means "not yet".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from remit.core import metrics
from remit.core.errors import AttemptInProgress
from remit.core.money import Money
from remit.gateways.protocol import (
    ActionRequest,
    ChargeStatus,
    Gateway,
    GatewayRefused,
    GatewayResult,
    RefundRequest,
)
from remit.payments.models import GatewayAttempt, GatewayOperation, Payment
from remit.payments.states import Outcome

log = logging.getLogger("remit.payments")

CLOCK_MARGIN = timedelta(seconds=60)  # remit's clock against the gateway's, and commit slack
DEFAULT_TIMEOUT = timedelta(seconds=30)  # for a gateway that does not say (a test double)
DEFAULT_FINAL_AFTER = timedelta(hours=24)  # likewise: the cautious answer
UNFINISHED = ("", Outcome.UNKNOWN)  # no answer yet, or the answer was lost
NEVER_REACHED = "The payment never reached the payment gateway, and now cannot; no money was taken."


def attempt_of(payment: Payment, operation: str, sequence: int = 0) -> GatewayAttempt | None:
    """The payment's attempt of `operation`: its one charge, void or full refund (0), or
    its partial refund number `sequence`."""
    return payment.attempts.filter(operation=operation, sequence=sequence).first()


def attempt_start(
    payment: Payment,
    operation: str,
    *,
    gateway: Gateway,
    amount: Money | None = None,
    sequence: int = 0,
    plan: dict[str, int] | None = None,
) -> GatewayAttempt:
    """Inside the caller's transaction, with the payment locked: the attempt to send now.

    A new one is created; an existing one (its answer lost, refused, or left unfinished by
    a process that died) is sent again with its key; one in flight is refused. A partial
    refund (`sequence` 1, 2…) has a key of its own (`remit-PMT-000123-refund-2`)."""
    now = timezone.now()
    attempt = attempt_of(payment, operation, sequence)
    if attempt is None:
        suffix = f"-{sequence}" if sequence else ""
        attempt = GatewayAttempt(
            payment=payment,
            operation=operation,
            idempotency_key=f"remit-{payment.number}-{operation}{suffix}",
            amount_minor=(amount or payment.amount).minor,
            currency=payment.currency,
            sequence=sequence,
            plan=plan or {},
        )
    elif attempt_in_flight(attempt, now):
        wait = attempt_seconds_left(attempt, now)
        raise AttemptInProgress(
            f"A {operation} of {payment.number} is already under way at the payment gateway; "
            f"try again in {wait} seconds.",
            retry_after=wait,
        )
    _stamp(attempt, gateway, now)
    attempt.save()
    return attempt


def attempt_resumable(attempt: GatewayAttempt, now: datetime) -> bool:
    """Unfinished and no longer in flight: the reconciler may pick it up."""
    return attempt.outcome in UNFINISHED and not attempt_in_flight(attempt, now)


def attempt_resume(attempt: GatewayAttempt, *, gateway: Gateway) -> None:
    """Inside the caller's transaction, with the payment locked: stamp a resumed attempt as
    sent again (the caller has checked that it is resumable, under the lock)."""
    _stamp(attempt, gateway, timezone.now())
    attempt.save(update_fields=["outcome", "sent_at", "deadline", "sends"])


def attempt_in_flight(attempt: GatewayAttempt, now: datetime) -> bool:
    return attempt.outcome == "" and now < _deadline(attempt) + CLOCK_MARGIN


def attempt_seconds_left(attempt: GatewayAttempt, now: datetime) -> int:
    return max(1, int((_deadline(attempt) + CLOCK_MARGIN - now).total_seconds()) + 1)


def attempt_never_reached(attempt: GatewayAttempt, result: GatewayResult, gateway: Gateway) -> bool:
    """The gateway has no such operation and can no longer create it."""
    if result.charge_status != ChargeStatus.NOT_FOUND:
        return False
    final_after = getattr(gateway, "lookup_final_after", DEFAULT_FINAL_AFTER)
    return timezone.now() > _deadline(attempt) + CLOCK_MARGIN + final_after


def attempt_record(attempt: GatewayAttempt, result: GatewayResult) -> None:
    """Write the gateway's answer on the attempt. A lost answer never overwrites a known
    one: what the gateway said stays said."""
    if result.outcome == Outcome.UNKNOWN:
        if attempt.outcome == "":
            attempt.outcome = Outcome.UNKNOWN
            attempt.save(update_fields=["outcome"])
        return
    if attempt.outcome == result.outcome and attempt.decline_reason == result.decline_reason:
        return
    attempt.outcome = result.outcome
    attempt.gateway_reference = result.gateway_reference or attempt.gateway_reference
    attempt.decline_reason = result.decline_reason[:300]
    attempt.completed_at = timezone.now()
    attempt.save(update_fields=["outcome", "gateway_reference", "decline_reason", "completed_at"])


def gateway_send(send: Callable[[], GatewayResult], *, operation: str) -> GatewayResult:
    """Send one request (`operation`: charge, void, refund, lookup). A refusal before
    sending is `refused` (nothing left remit); any other failure is `unknown`: the request
    may have been acted on, so it is resumed, never retried blindly. Every call is counted
    by operation and outcome for `/metrics`."""
    started = time.perf_counter()
    try:
        result = send()
    except GatewayRefused as refusal:
        log.warning("gateway refused before sending: %s", refusal.message)
        result = GatewayResult(outcome=Outcome.REFUSED, decline_reason=refusal.message)
    except Exception:
        log.exception("gateway call failed; the outcome is unknown and will be reconciled")
        result = GatewayResult(outcome=Outcome.UNKNOWN)
    metrics.gateway_call(operation, str(result.outcome), time.perf_counter() - started)
    return result


def action_send(gateway: Gateway, attempt: GatewayAttempt, charge_key: str) -> GatewayResult:
    """Send a void or refund attempt (outside any transaction), with its key, amount and
    the deadline of its last stamp."""
    if attempt.operation == GatewayOperation.VOID:
        request = ActionRequest(
            idempotency_key=attempt.idempotency_key,
            charge_key=charge_key,
            deadline=attempt.deadline,
        )
        return gateway_send(lambda: gateway.void(request), operation="void")
    refund = RefundRequest(
        idempotency_key=attempt.idempotency_key,
        charge_key=charge_key,
        amount=Money.from_minor(attempt.amount_minor, attempt.currency),
        deadline=attempt.deadline,
    )
    return gateway_send(lambda: gateway.refund(refund), operation="refund")


def gateway_lookup(gateway: Gateway, charge_key: str) -> GatewayResult:
    """Ask the gateway about a charge. A lookup that fails, or is refused, tells nothing."""
    result = gateway_send(lambda: gateway.lookup(charge_key), operation="lookup")
    return GatewayResult(outcome=Outcome.UNKNOWN) if result.outcome == Outcome.REFUSED else result


def charge_attempt(payment: Payment) -> GatewayAttempt:
    return payment.attempts.get(operation=GatewayOperation.CHARGE)


def _stamp(attempt: GatewayAttempt, gateway: Gateway, now: datetime) -> None:
    attempt.outcome = ""
    attempt.sent_at = now
    attempt.deadline = now + getattr(gateway, "call_timeout", DEFAULT_TIMEOUT)
    attempt.sends += 1


def _deadline(attempt: GatewayAttempt) -> datetime:
    # Attempts written before deadlines were kept: their creation, plus the default.
    return attempt.deadline or attempt.created_at + DEFAULT_TIMEOUT
