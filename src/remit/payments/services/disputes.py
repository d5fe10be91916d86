"""Chargebacks: a settled card payment disputed by the cardholder (issue 14).

The gateway tells remit about a dispute (Stripe's `charge.dispute.*` webhooks, or the
sandbox's `remit dispute`), always through `dispute_notice_apply`, in one money
transaction that also records the delivery in the processed-webhook table: a delivery
seen before, or a notice that changes nothing (a dispute already open, already decided),
does nothing more.

- **Opened**: the disputed amount leaves at once. It reopens the payment's newest
  invoices first (their allocations reduced, as a partial refund does); what the payment
  had left as customer credit is taken from that credit. The journal debits receivables
  (and customer credit) and credits Chargebacks; the gateway's dispute fee is debited to
  Dispute fees and credited to card clearing (the gateway keeps it from its payouts).
  The payment is `disputed`: nothing else moves it until the dispute is decided.
- **Won**: the disputed amount comes back. It is applied again to the invoices it
  reopened while each still owes at least as much; the rest becomes customer credit. The
  fee is not given back (Stripe's rule in most regions). The payment is `settled` again.
- **Lost**: the money stays gone; the payment is `charged_back`, final. No entry: the
  money left when the dispute opened.

A dispute is for the amount the gateway names, at most what is left of the payment after
its partial refunds. If the credit the payment created was used since, the dispute is
refused (as a void would be) until those credit applications are voided.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import NotFound, RemitError
from remit.core.money import Money
from remit.core.repository import rows_insert
from remit.customers.models import Customer
from remit.gateways.models import ProcessedWebhookEvent
from remit.gateways.protocol import DisputeNotice, DisputeState
from remit.gateways.registry import get_gateway
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.models import (
    Allocation,
    CreditEntry,
    CreditKind,
    Dispute,
    DisputeStatus,
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentType,
)
from remit.payments.services.attempts import charge_attempt
from remit.payments.services.balances import invoice_balances_set
from remit.payments.services.credit_ledger import credit_entry_add
from remit.payments.services.moves import allocations_move, allocations_on
from remit.payments.services.partial_refund import (
    refund_unfinished,
    refund_unfinished_refusal,
    refunded_partly,
)
from remit.payments.services.transitions import payment_transition
from remit.payments.services.unit_of_work import money_transaction, payment_lock
from remit.payments.states import Action, Outcome, next_status

log = logging.getLogger("remit.payments")

CREDIT = ""  # the plan's key for the part taken from the payment's credit


def dispute_notice_apply(*, notice: DisputeNotice, actor: Actor) -> tuple[Dispute | None, bool]:
    """Bring remit's books up to what the gateway says of one dispute. Returns the dispute
    and whether the notice was a repeat (a delivery already processed: nothing done).
    The charge is named by remit's key, or by the gateway's reference of it."""
    named = Q(idempotency_key=notice.charge_key) | Q(gateway_reference=notice.charge_key)
    attempt = (
        GatewayAttempt.objects.select_related("payment__customer")
        .filter(named, operation=GatewayOperation.CHARGE)
        .first()
        if notice.charge_key
        else None
    )
    if attempt is None:
        raise NotFound(f"No payment of this installation made the charge {notice.charge_key}.")
    customer = attempt.payment.customer
    with money_transaction(customer):
        if not _first_delivery(notice):
            return Dispute.objects.filter(gateway_id=notice.dispute_id).first(), True
        payment = payment_lock(attempt.payment)
        dispute = Dispute.objects.select_for_update().filter(gateway_id=notice.dispute_id).first()
        if dispute is None:
            dispute = _open(customer, payment, notice, actor)
        if notice.state != DisputeState.OPEN and dispute.status == DisputeStatus.OPEN:
            _close(customer, payment, dispute, won=notice.state == DisputeState.WON, actor=actor)
        return dispute, False


def _first_delivery(notice: DisputeNotice) -> bool:
    """Record the delivery (in the caller's transaction: a rollback forgets it, so the
    gateway's next delivery is processed); False if it was processed before."""
    if not notice.event_id:
        return True
    try:
        with transaction.atomic():
            ProcessedWebhookEvent.objects.create(
                event_id=notice.event_id, type=f"dispute.{notice.state}"
            )
    except IntegrityError:
        return False
    return True


def dispute_plan(payment: Payment, amount: Money) -> dict[str, int]:
    """What a dispute of `amount` takes: the payment's newest invoices first, then the
    credit it created (under CREDIT)."""
    plan: dict[str, int] = {}
    left = amount.minor
    rows = payment.allocations.filter(reversed=False).order_by(
        "-invoice__invoice_date", "-invoice__due_date", "-invoice__number"
    )
    for number, minor in rows.values_list("invoice__number", "amount_minor"):
        take = min(left, minor)
        if take > 0:
            plan[number] = plan.get(number, 0) + take
            left -= take
    if left > 0:
        plan[CREDIT] = left
    return plan


def _open(customer: Customer, payment: Payment, notice: DisputeNotice, actor: Actor) -> Dispute:
    next_status(payment.status, Action.DISPUTE_OPEN, Outcome.APPROVED, payment=payment.number)
    if refund_unfinished(payment):
        raise refund_unfinished_refusal(payment)
    amount, fee = notice.amount, notice.fee
    if amount.currency != payment.currency or fee.currency != payment.currency:
        raise RemitError(f"The dispute of {payment.number} is not in {payment.currency}.")
    left = payment.amount - refunded_partly(payment)
    if not amount.is_positive() or amount > left:
        raise RemitError(
            f"A dispute of {amount.format()} is more than the {left.format()} left of "
            f"{payment.number}."
        )
    plan = dispute_plan(payment, amount)
    from_credit = Money.from_minor(plan.get(CREDIT, 0), payment.currency)
    if from_credit.is_positive():
        balance = CreditEntry.objects.filter(
            customer=customer, currency=payment.currency
        ).aggregate(total=Sum("amount_minor"))["total"]
        if (balance or 0) < from_credit.minor:
            raise RemitError(
                f"The dispute of {payment.number} takes {from_credit.format()} of the credit "
                "it created, which was applied since; void those credit applications first."
            )
    reopened: dict[int, Invoice] = {}
    deltas: dict[int, int] = {}
    for number, minor in plan.items():
        if number == CREDIT:
            continue
        invoice, lines = allocations_on(payment, number)
        allocations_move(payment, invoice, lines, Money.from_minor(minor, payment.currency))
        reopened[invoice.id] = invoice
        deltas[invoice.id] = minor
    invoice_balances_set(reopened, deltas, customer_id=customer.pk)
    if from_credit.is_positive():
        credit_entry_add(
            customer, -from_credit, CreditKind.DISPUTED, payment, f"Dispute of {payment.number}"
        )
    reopened_total = amount - from_credit
    journal_post(
        posted_on=timezone.localdate(),
        reference=payment.number,
        description=f"Dispute of {payment.number} by the cardholder: {amount.format()}, "
        f"fee {fee.format()}",
        postings=[
            Posting.debit(Account.RECEIVABLE, reopened_total),
            Posting.debit(Account.CUSTOMER_CREDIT, from_credit),
            Posting.credit(Account.CHARGEBACKS, amount),
            Posting.debit(Account.DISPUTE_FEES, fee),
            Posting.credit(Account.CARD_CLEARING, fee),
        ],
    )
    dispute = Dispute.objects.create(
        payment=payment,
        gateway_id=notice.dispute_id,
        amount_minor=amount.minor,
        fee_minor=fee.minor,
        currency=payment.currency,
        status=DisputeStatus.OPEN,
        reason=notice.reason[:100],
        plan=[[number, minor] for number, minor in plan.items()],
    )
    payment_transition(
        payment,
        action=Action.DISPUTE_OPEN,
        outcome=Outcome.APPROVED,
        actor=actor,
        reason=f"{amount.format()} disputed by the cardholder, fee {fee.format()} "
        f"({_shares(plan, payment.currency)} reopened)",
    )
    audit_record(
        actor=actor,
        action="payment.disputed",
        obj=payment,
        idempotency_key=notice.dispute_id,
        before={"status": "settled"},
        after={
            "dispute": notice.dispute_id,
            "amount": str(amount),
            "fee": str(fee),
            "currency": payment.currency,
        },
    )
    return dispute


def _close(
    customer: Customer, payment: Payment, dispute: Dispute, *, won: bool, actor: Actor
) -> None:
    action = Action.DISPUTE_WON if won else Action.DISPUTE_LOST
    next_status(payment.status, action, Outcome.APPROVED, payment=payment.number)
    amount = dispute.amount
    detail = f"the dispute of {amount.format()} was lost; the money stays with the cardholder"
    if won:
        applied = _apply_again(customer, payment, dispute)
        to_credit = amount - applied
        if to_credit.is_positive():
            credit_entry_add(
                customer,
                to_credit,
                CreditKind.DISPUTED,
                payment,
                f"Dispute of {payment.number} won",
            )
        journal_post(
            posted_on=timezone.localdate(),
            reference=payment.number,
            description=f"Dispute of {payment.number} won: {amount.format()} back",
            postings=[
                Posting.debit(Account.CHARGEBACKS, amount),
                Posting.credit(Account.RECEIVABLE, applied),
                Posting.credit(Account.CUSTOMER_CREDIT, to_credit),
            ],
        )
        detail = (
            f"the dispute of {amount.format()} was won: {applied.format()} applied again, "
            f"{to_credit.format()} to credit"
        )
    dispute.status = DisputeStatus.WON if won else DisputeStatus.LOST
    dispute.closed_at = timezone.now()
    dispute.save(update_fields=["status", "closed_at"])
    payment_transition(payment, action=action, outcome=Outcome.APPROVED, actor=actor, reason=detail)
    audit_record(
        actor=actor,
        action=f"payment.{action}",
        obj=payment,
        idempotency_key=f"{dispute.gateway_id}:{dispute.status}",
        before={"status": "disputed"},
        after={"dispute": dispute.gateway_id, "outcome": dispute.status},
    )


def _apply_again(customer: Customer, payment: Payment, dispute: Dispute) -> Money:
    """Apply a won dispute's money again to the invoices it reopened, each while it still
    owes that much; what was applied."""
    plan = dict(dispute.plan)
    invoices = Invoice.objects.select_for_update().filter(
        customer=customer, number__in=[n for n in plan if n != CREDIT]
    )
    found: dict[int, Invoice] = {}
    deltas: dict[int, int] = {}
    for invoice in invoices.order_by("id"):
        share = plan[invoice.number]
        if invoice.status == InvoiceStatus.VOID or invoice.balance_due_minor < share:
            continue  # paid (or cancelled) meanwhile: this share becomes credit
        live = list(payment.allocations.filter(invoice=invoice, reversed=False))
        Allocation.objects.filter(id__in=[a.id for a in live]).update(reversed=True, moved=True)
        rows_insert(
            Allocation,
            [
                {
                    "payment_id": payment.pk,
                    "invoice_id": invoice.id,
                    "amount_minor": share + sum(a.amount_minor for a in live),
                    "currency": payment.currency,
                }
            ],
        )
        found[invoice.id] = invoice
        deltas[invoice.id] = -share
    invoice_balances_set(found, deltas, customer_id=customer.pk)
    return Money.from_minor(-sum(deltas.values()), payment.currency)


def _shares(plan: dict[str, int], currency: str) -> str:
    return ", ".join(
        f"{number or 'credit'} {Money.from_minor(minor, currency).format()}"
        for number, minor in plan.items()
    )


def dispute_of(payment: Payment) -> Dispute | None:
    """The payment's latest dispute, if it was ever disputed."""
    return payment.disputes.order_by("-id").first()


def disputes_deliver(*, gateway: object, actor: Actor) -> int:
    """Tell remit of the disputes a gateway that keeps them for remit (the sandbox) has not
    delivered yet, as its webhook would; how many were taken. One refused (a refund of
    the payment still under way) stays undelivered and is tried again next time."""
    notices = getattr(gateway, "dispute_notices", None)
    if notices is None:
        return 0
    taken = 0
    for notice in notices():
        try:
            dispute_notice_apply(notice=notice, actor=actor)
        except RemitError as refused:
            log.warning("dispute %s not recorded yet: %s", notice.dispute_id, refused.message)
            continue
        gateway.dispute_delivered(notice)  # type: ignore[attr-defined]
        taken += 1
    return taken


def sandbox_dispute(
    *,
    payment: Payment,
    state: DisputeState,
    actor: Actor,
    amount: Money | None = None,
    gateway: object = None,
) -> Dispute | None:
    """`remit dispute`: the sandbox's cardholder opens a dispute of `payment` (for
    `amount`, or all that was not refunded), or the sandbox decides it; remit is told
    through `dispute_notice_apply`, as by a webhook."""
    gateway = gateway or get_gateway()
    if not hasattr(gateway, "dispute"):
        raise RemitError(
            "Disputes are opened by the cardholder's bank; only the sandbox gateway makes "
            "them on request."
        )
    if payment.type != PaymentType.CARD:
        raise RemitError(f"{payment.number} is not a card payment; only cards are disputed.")
    if state == DisputeState.OPEN:
        next_status(payment.status, Action.DISPUTE_OPEN, Outcome.APPROVED, payment=payment.number)
    notice = gateway.dispute(charge_attempt(payment).idempotency_key, state, amount)  # type: ignore[attr-defined]
    dispute, _ = dispute_notice_apply(notice=notice, actor=actor)
    gateway.dispute_delivered(notice)  # type: ignore[attr-defined]
    return dispute
