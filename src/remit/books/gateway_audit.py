"""`remit audit --gateway`: remit's card and bank payments against the gateway's own
records (DESIGN rule 9: every charge the gateway holds is exactly one payment remit
counts, every refund there is one here).

It reads the gateway's list of charges with their refunds (`Gateway.records`: the
sandbox's store, or Stripe's PaymentIntents and refunds) and remit's payments with their
charge attempts, and names every difference in a sentence. A payment whose charge has no
answer yet (in flight, or lost and not yet reconciled) is not judged: the reconciler
resolves it first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Sum

from remit.books.audit import AuditReport
from remit.core.money import Money
from remit.gateways.protocol import ChargeRecord, ChargeStatus, Gateway
from remit.gateways.registry import get_gateway
from remit.payments.models import Dispute, GatewayAttempt, GatewayOperation
from remit.payments.services.attempts import UNFINISHED
from remit.payments.states import PaymentStatus

HELD = {ChargeStatus.AUTHORIZED, ChargeStatus.SETTLED}  # the gateway has the money
# remit counts it received (a dispute then took some of it, compared on its own)
RECEIVED = {
    PaymentStatus.PENDING,
    PaymentStatus.SETTLED,
    PaymentStatus.DISPUTED,
    PaymentStatus.CHARGED_BACK,
}


@dataclass(frozen=True)
class _Charge:
    """What remit holds of one charge: its payment and how far it got."""

    key: str
    payment: str
    status: str
    amount: Money
    answered: bool  # the gateway's answer to the charge is in (or the payment is over)
    partly_refunded: Money = None  # type: ignore[assignment]  # approved partial refunds
    disputes: dict[str, tuple[Money, str]] | None = None  # gateway id: (amount, status)


def gateway_audit(*, gateway: Gateway | None = None) -> AuditReport:
    gateway = gateway or get_gateway()
    report = AuditReport()
    ours = {charge.key: charge for charge in _remit_charges()}
    seen: set[str] = set()
    for record in gateway.records():
        seen.add(record.key)
        charge = ours.get(record.key)
        if charge is None:
            report.problems.append(
                f"The gateway holds a charge that no remit payment made: {record.key} "
                f"({record.amount.format()}, {record.status})."
            )
            continue
        report.problems.extend(_compare(charge, record))
    for key, charge in ours.items():
        if key not in seen and charge.answered and charge.status in RECEIVED:
            report.problems.append(
                f"{charge.payment} is {charge.status} in remit, but the gateway has no charge "
                f"for it ({key})."
            )
    return report


def _remit_charges() -> Iterable[_Charge]:
    attempts = GatewayAttempt.objects.filter(operation=GatewayOperation.CHARGE).values_list(
        "idempotency_key",
        "outcome",
        "payment__number",
        "payment__status",
        "payment__amount_minor",
        "payment__currency",
    )
    partly = dict(
        GatewayAttempt.objects.filter(
            operation=GatewayOperation.REFUND, sequence__gt=0, outcome="approved"
        )
        .values("payment__number")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment__number", "total")
    )
    disputes: dict[str, dict[str, tuple[Money, str]]] = {}
    rows = Dispute.objects.values_list(
        "payment__number", "gateway_id", "amount_minor", "currency", "status"
    )
    for number, gateway_id, minor, currency, status in rows:
        disputes.setdefault(number, {})[gateway_id] = (Money.from_minor(minor, currency), status)
    for key, outcome, number, status, minor, currency in attempts.iterator(2000):
        yield _Charge(
            key=key,
            payment=number,
            status=status,
            amount=Money.from_minor(minor, currency),
            answered=outcome not in UNFINISHED or status not in RECEIVED,
            partly_refunded=Money.from_minor(partly.get(number, 0), currency),
            disputes=disputes.get(number, {}),
        )


def _compare(charge: _Charge, record: ChargeRecord) -> list[str]:
    """The differences between one charge as remit and the gateway see it."""
    problems = []
    name = f"{charge.payment} ({charge.key})"
    if record.amount != charge.amount:
        problems.append(
            f"{name}: the gateway charged {record.amount.format()}, remit recorded "
            f"{charge.amount.format()}."
        )
    if record.disputes is not None:
        problems.extend(_compare_disputes(name, charge.disputes or {}, record))
    refunded = sum((r.amount for r in record.refunds), Money.zero(record.amount.currency))
    if charge.status == PaymentStatus.REFUNDED:
        if refunded != charge.amount:
            problems.append(
                f"{name} is refunded in remit, but the gateway refunded {refunded.format()} "
                f"of {record.amount.format()}."
            )
        return problems
    if refunded != charge.partly_refunded:
        problems.append(
            f"{name} is {charge.status} in remit"
            + (
                f", {charge.partly_refunded.format()} refunded"
                if charge.partly_refunded.is_positive()
                else ""
            )
            + f", but the gateway refunded {refunded.format()}."
        )
    held = record.status in HELD
    if held and charge.status not in RECEIVED:
        problems.append(
            f"{name} is {charge.status} in remit, but the gateway holds its charge "
            f"({record.amount.format()}, {record.status})."
        )
    if not held and charge.status in RECEIVED and charge.answered and refunded.is_zero():
        problems.append(
            f"{name} is {charge.status} in remit, but its charge is {record.status} at the gateway."
        )
    return problems


def _compare_disputes(
    name: str, ours: dict[str, tuple[Money, str]], record: ChargeRecord
) -> list[str]:
    """Every dispute the gateway holds of the charge is one here, same amount and state."""
    problems = []
    theirs = {d.dispute_id: d for d in record.disputes or ()}
    for dispute_id, dispute in theirs.items():
        mine = ours.get(dispute_id)
        if mine is None:
            problems.append(
                f"{name}: the gateway holds dispute {dispute_id} ({dispute.amount.format()}, "
                f"{dispute.state}), which remit has not recorded."
            )
        elif (mine[0], mine[1]) != (dispute.amount, str(dispute.state)):
            problems.append(
                f"{name}: dispute {dispute_id} is {mine[1]} for {mine[0].format()} in remit, "
                f"{dispute.state} for {dispute.amount.format()} at the gateway."
            )
    for dispute_id in ours.keys() - theirs.keys():
        problems.append(f"{name}: remit holds dispute {dispute_id}, which the gateway does not.")
    return problems
