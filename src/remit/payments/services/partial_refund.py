"""Partial refunds of settled card and bank payments through the gateway (issue 14).

Each partial refund is its own gateway attempt, with a key of its own
(`remit-PMT-000123-refund-2`), written down before it is sent and finished from the answer
like every void and refund (`attempts`); the reconciler resends an unfinished one with
the same key, which the gateway replays or acts on once. Several partial refunds may follow
one another up to the payment's amount; a refund of all that is left is the full refund
(`voids.payment_refund`), after which the payment is refunded.

The part refunded reopens the invoices it names, or the payment's newest invoices first:
their allocations are reduced (the old one kept, moved; what stays is a new one), the
journal debits receivables and credits Refunds, and the payment's status history has a
`partial_refund` line. While a refund of a payment is unfinished, its allocations do not
move (unapply, reallocate, cancel), so the plan kept on the attempt still fits when the
answer comes.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Sum
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import AllocationRefused, AttemptInProgress, NotFound, RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.customers.models import Customer
from remit.gateways.protocol import Gateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.events import payment_events_record
from remit.payments.models import EventKind, GatewayAttempt, GatewayOperation, Payment
from remit.payments.services.attempts import UNFINISHED, attempt_start
from remit.payments.services.balances import invoice_balances_set
from remit.payments.services.moves import allocations_move, allocations_on
from remit.payments.services.transitions import payment_transition
from remit.payments.states import Action, Outcome, next_status


def refunded_partly(payment: Payment) -> Money:
    """What the approved partial refunds of `payment` gave back."""
    total = GatewayAttempt.objects.filter(
        payment=payment,
        operation=GatewayOperation.REFUND,
        sequence__gt=0,
        outcome=Outcome.APPROVED,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return Money.from_minor(total or 0, payment.currency)


def refund_unfinished(payment: Payment) -> bool:
    """A refund of `payment` was sent and its answer is not in (or was lost)."""
    return GatewayAttempt.objects.filter(
        payment=payment, operation=GatewayOperation.REFUND, outcome__in=UNFINISHED
    ).exists()


def partial_refund_unfinished(payment: Payment) -> bool:
    return GatewayAttempt.objects.filter(
        payment=payment,
        operation=GatewayOperation.REFUND,
        sequence__gt=0,
        outcome__in=UNFINISHED,
    ).exists()


def refund_unfinished_refusal(payment: Payment) -> RemitError:
    return AttemptInProgress(
        f"A refund of {payment.number} is under way at the payment gateway; its money does "
        "not move until the answer is in (run `remit reconcile` if it was lost).",
        retry_after=60,
    )


def refund_plan(
    payment: Payment, amount: Money, invoices: Sequence[InvoiceRequest] | None
) -> dict[str, int]:
    """Which invoices the refund reopens and by how much: those named (with their amounts,
    the rest spread over those named without one), or the newest first."""
    live: dict[str, int] = {}
    rows = payment.allocations.filter(reversed=False).order_by(
        "-invoice__invoice_date", "-invoice__due_date", "-invoice__number"
    )
    for number, minor in rows.values_list("invoice__number", "amount_minor"):
        live[number] = live.get(number, 0) + minor
    plan: dict[str, int] = {}
    left = amount.minor
    named = list(invoices or ())
    for request in named:
        if request.number not in live:
            raise NotFound(
                f"{payment.number} has nothing applied to {request.number}.",
                fields={"invoices": request.number},
            )
        if request.amount is not None:
            if request.amount.minor > live[request.number]:
                applied = Money.from_minor(live[request.number], payment.currency)
                raise AllocationRefused(
                    f"{payment.number} applied {applied.format()} to {request.number}; "
                    f"{request.amount.format()} of it cannot be refunded.",
                    fields={"invoices": request.number},
                )
            plan[request.number] = request.amount.minor
            left -= request.amount.minor
    spread_over = [r.number for r in named if r.amount is None] if named else list(live)
    for number in spread_over:
        take = min(left, live[number])
        if take > 0:
            plan[number] = take
            left -= take
    if left != 0:
        raise AllocationRefused(
            f"The refund of {amount.format()} does not match what {payment.number} applied "
            "to the invoices it would reopen: name the invoices and amounts so that they add "
            "up to it, or refund less.",
            fields={"amount": "does not fit"},
        )
    return plan


ASKED = "payment.refund_asked"


def partial_refund_asked(payment: Payment, key: str) -> bool:
    """A partial refund of `payment` was already asked for with `key`."""
    if not key:
        return False
    return AuditEvent.objects.filter(
        object_type="Payment", object_id=payment.number, action=ASKED, idempotency_key=key
    ).exists()


def partial_refund_start(
    payment: Payment,
    amount: Money,
    invoices,
    *,
    gateway: Gateway,
    actor: Actor,
    key: str = "",
) -> GatewayAttempt:
    """Inside the caller's money transaction, `payment` locked: the attempt to send, and
    the request written in the audit trail (with `key`, so it is asked for once)."""
    next_status(payment.status, Action.PARTIAL_REFUND, Outcome.APPROVED, payment=payment.number)
    if refund_unfinished(payment):
        raise refund_unfinished_refusal(payment)
    plan = refund_plan(payment, amount, invoices)
    sequence = (
        1
        + GatewayAttempt.objects.filter(
            payment=payment, operation=GatewayOperation.REFUND, sequence__gt=0
        ).count()
    )
    attempt = attempt_start(
        payment,
        GatewayOperation.REFUND,
        gateway=gateway,
        amount=amount,
        sequence=sequence,
        plan=plan,
    )
    audit_record(
        actor=actor,
        action=ASKED,
        obj=payment,
        idempotency_key=key,
        after={"amount": str(amount), "attempt": attempt.idempotency_key},
    )
    return attempt


def partial_refund_finish(
    customer: Customer, payment: Payment, attempt: GatewayAttempt, actor: Actor
) -> None:
    """The books' side of a partial refund the gateway made (called once per attempt)."""
    amount = Money.from_minor(attempt.amount_minor, attempt.currency)
    reopened: dict[int, Invoice] = {}
    deltas: dict[int, int] = {}
    for number in sorted(attempt.plan):
        invoice, lines = allocations_on(payment, number)
        share = Money.from_minor(attempt.plan[number], payment.currency)
        allocations_move(payment, invoice, lines, share)
        reopened[invoice.id] = invoice
        deltas[invoice.id] = share.minor
    invoice_balances_set(reopened, deltas, customer_id=customer.pk)
    journal_post(
        posted_on=timezone.localdate(),
        reference=payment.number,
        description=f"Partial refund of {payment.number}: {amount.format()}",
        postings=[
            Posting.debit(Account.RECEIVABLE, amount),
            Posting.credit(Account.REFUNDS, amount),
        ],
    )
    shares = ", ".join(
        f"{n} {Money.from_minor(m, payment.currency).format()}" for n, m in attempt.plan.items()
    )
    payment_transition(
        payment,
        action=Action.PARTIAL_REFUND,
        outcome=Outcome.APPROVED,
        actor=actor,
        reason=f"{amount.format()} refunded ({shares})",
    )
    payment_events_record(
        [EventKind.PAYMENT_PARTLY_REFUNDED], payment, refunded=str(amount), invoices=attempt.plan
    )
    audit_record(
        actor=actor,
        action="payment.partly_refunded",
        obj=payment,
        idempotency_key=attempt.idempotency_key,
        after={"refunded": str(amount), "reopened": shares},
    )
