"""What must hold after a history has recovered: remit and the gateway agree, and the books
are right (DESIGN rules 4, 8, 9, 10).

Read straight from both sides' tables, written out here rather than taken from remit's
own checks, so that the simulator judges remit instead of agreeing with it. remit's
`books_audit` is run as well, as one more witness.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from remit.books.audit import books_audit
from remit.core.models import AuditEvent
from remit.gateways.models import SandboxAction, SandboxCharge
from remit.payments.models import GatewayAttempt, Payment, ScheduledPayment

LIVE = {"authorized", "settled"}  # the gateway holds the customer's money
RECEIVED = {"pending", "settled"}  # remit counts the money as received
UNFINISHED = {"", "unknown"}  # an attempt in flight, or whose answer was lost
# What a charge at the gateway must be in remit, once everything has settled.
EXPECTED = {
    "authorized": RECEIVED,
    "settled": RECEIVED,
    "voided": {"voided"},
    "refunded": {"refunded"},
    "declined": {"failed"},
}


def problems_after_recovery() -> list[str]:
    found: list[str] = []
    found += books_audit().problems
    found += _charges_agree()
    found += _refunds_agree()
    found += _nothing_left_in_flight()
    found += _schedules_finished_once()
    return found


def _charges_agree() -> list[str]:
    found = []
    charges = {c.idempotency_key: c for c in SandboxCharge.objects.order_by("id")}
    keys = dict(
        GatewayAttempt.objects.filter(operation="charge").values_list(
            "idempotency_key", "payment_id"
        )
    )
    payments = {p.pk: p for p in Payment.objects.filter(type__in=["card", "bank"])}
    for key, charge in charges.items():
        payment = payments.get(keys.get(key))
        if payment is None:
            found.append(f"the gateway holds charge {key} ({charge.status}) of no payment")
            continue
        if payment.status not in EXPECTED[charge.status]:
            found.append(
                f"{payment.number} is {payment.status} in remit, its charge {key} is "
                f"{charge.status} at the gateway"
            )
        if charge.amount_minor != payment.amount_minor:
            found.append(
                f"{payment.number}: charge {charge.amount_minor} != {payment.amount_minor}"
            )
    by_payment = {pid: key for key, pid in keys.items()}
    for payment in payments.values():
        charge = charges.get(by_payment.get(payment.pk, ""))
        at_gateway = charge.status if charge else "no charge"
        if payment.status in RECEIVED and at_gateway not in LIVE:
            found.append(f"{payment.number} is {payment.status} but the gateway has {at_gateway}")
        if payment.status == "pending":
            found.append(f"{payment.number} is still pending after settlement")
    return found


def _refunds_agree() -> list[str]:
    found = []
    refunded = Counter(
        SandboxAction.objects.filter(operation="refund", outcome="approved").values_list(
            "charge_key", flat=True
        )
    )
    for key, times in refunded.items():
        if times > 1:
            found.append(f"the gateway refunded charge {key} {times} times")
    keys = dict(
        GatewayAttempt.objects.filter(operation="charge").values_list(
            "payment_id", "idempotency_key"
        )
    )
    for payment in Payment.objects.filter(type__in=["card", "bank"]):
        key = keys.get(payment.pk)
        if (payment.status == "refunded") != (refunded.get(key, 0) > 0):
            found.append(
                f"{payment.number} is {payment.status} in remit; the gateway refunded it "
                f"{refunded.get(key, 0)} times"
            )
    return found


def _nothing_left_in_flight() -> list[str]:
    return [
        f"{attempt.operation} of {attempt.payment.number} is stuck "
        f"({attempt.outcome or 'in flight'})"
        for attempt in GatewayAttempt.objects.select_related("payment").order_by("id")
        if attempt.outcome in UNFINISHED
    ]


def _schedules_finished_once() -> list[str]:
    found = []
    endings: dict[str, list[str]] = defaultdict(list)
    for number, action in AuditEvent.objects.filter(
        object_type="ScheduledPayment", action__in=["schedule.ran", "schedule.failed"]
    ).values_list("object_id", "action"):
        endings[number].append(action)
    for schedule in ScheduledPayment.objects.select_related("payment").order_by("id"):
        ends = endings.get(schedule.number, [])
        if len(ends) > 1:
            found.append(f"{schedule.number} ended {len(ends)} times: {', '.join(ends)}")
        if schedule.status in ("scheduled", "running"):
            found.append(f"{schedule.number} is still {schedule.status} after its day")
        payment = schedule.payment
        # "ran" means the charge went through; a bank debit returned at settlement later
        # is the payment's own story (action settle), a declined charge is not.
        declined = payment and payment.events.filter(to_status="failed", action="charge")
        if schedule.status == "ran" and declined and declined.exists():
            found.append(f"{schedule.number} ran, yet the charge of {payment.number} was declined")
    return found
