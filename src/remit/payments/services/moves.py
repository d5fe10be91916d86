"""Moving one allocation of a settled payment (issue 14), instead of voiding the whole
payment and posting it again.

- `payment_unapply`: the money applied to one invoice (all of it, or an amount) goes to
  customer credit; the invoice reopens.
- `payment_reallocate`: it goes to another open invoice of the same customer.

The allocation moved is kept, reversed and marked `moved`; what stays on the first
invoice is a new allocation, and so is what lands on the other one. So a payment is still
its allocations (those not moved) plus the credit it created, which `remit audit` checks.
Each move is one transaction with its journal entry (receivables to credit, or from one
invoice to another), integrator event, audit event and a line of the payment's status
history (the state table's `unapply` and `reallocate`). A key makes a move safe to repeat:
the same key with the same request changes nothing more.
"""

from __future__ import annotations

from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import (
    AllocationRefused,
    AttemptInProgress,
    IdempotencyConflict,
    NotFound,
    RemitError,
)
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.core.repository import rows_insert
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.candidates import invoice_candidates_load
from remit.payments.events import payment_events_record
from remit.payments.models import (
    Allocation,
    CreditKind,
    EventKind,
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentType,
)
from remit.payments.services.attempts import UNFINISHED
from remit.payments.services.balances import invoice_balances_set
from remit.payments.services.credit_ledger import credit_entry_add
from remit.payments.services.transitions import payment_transition
from remit.payments.services.unit_of_work import (
    money_transaction,
    payment_lock,
    request_fingerprint,
)
from remit.payments.states import Action, Outcome, next_status

UNAPPLIED = "payment.unapplied"
REALLOCATED = "payment.reallocated"


def payment_unapply(
    *,
    payment: Payment,
    invoice: str,
    actor: Actor,
    amount: Money | None = None,
    idempotency_key: str = "",
) -> Payment:
    """Move what `payment` applied to `invoice` (or `amount` of it) to customer credit."""
    fingerprint = request_fingerprint(UNAPPLIED, payment.number, invoice, amount)
    with money_transaction(payment.customer) as work:
        payment = payment_lock(payment)
        if _replayed(payment, UNAPPLIED, idempotency_key, fingerprint):
            return payment
        return unapply_locked(
            work.customer,
            payment,
            invoice,
            amount,
            actor=actor,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )


def unapply_locked(
    customer: Customer,
    payment: Payment,
    invoice: str,
    amount: Money | None,
    *,
    actor: Actor,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> Payment:
    """`payment_unapply` inside the caller's money transaction, `payment` locked."""
    _movable(payment, Action.UNAPPLY)
    source, lines = allocations_on(payment, invoice)
    moved = _amount(payment, source, lines, amount)
    allocations_move(payment, source, lines, moved)
    invoice_balances_set({source.id: source}, {source.id: moved.minor}, customer_id=customer.pk)
    credit_entry_add(
        customer,
        moved,
        CreditKind.CREATED,
        payment,
        f"Unapplied from {source.number} ({payment.number})",
    )
    journal_post(
        posted_on=timezone.localdate(),
        reference=payment.number,
        description=f"{payment.number}: {moved.format()} moved from {source.number} to credit",
        postings=[
            Posting.debit(Account.RECEIVABLE, moved),
            Posting.credit(Account.CUSTOMER_CREDIT, moved),
        ],
    )
    detail = f"{moved.format()} from {source.number} to customer credit"
    payment_transition(
        payment, action=Action.UNAPPLY, outcome=Outcome.APPROVED, actor=actor, reason=detail
    )
    payment_events_record(
        [EventKind.PAYMENT_UNAPPLIED], payment, invoice=source.number, moved=str(moved)
    )
    audit_record(
        actor=actor,
        action=UNAPPLIED,
        obj=payment,
        idempotency_key=idempotency_key,
        before={"applied": {source.number: str(_total(lines, payment.currency))}},
        after={"invoice": source.number, "to_credit": str(moved), "request": fingerprint},
    )
    return payment


def payment_reallocate(
    *,
    payment: Payment,
    from_invoice: str,
    to_invoice: str,
    actor: Actor,
    amount: Money | None = None,
    idempotency_key: str = "",
) -> Payment:
    """Move what `payment` applied to `from_invoice` (or `amount` of it) to `to_invoice`,
    another open invoice of the same customer, at most its balance."""
    fingerprint = request_fingerprint(REALLOCATED, payment.number, from_invoice, to_invoice, amount)
    if from_invoice == to_invoice:
        raise RemitError(
            f"{from_invoice} is both where the money is and where it should go.",
            fields={"to": "same invoice"},
        )
    with money_transaction(payment.customer) as work:
        payment = payment_lock(payment)
        if _replayed(payment, REALLOCATED, idempotency_key, fingerprint):
            return payment
        _movable(payment, Action.REALLOCATE)
        source, lines = allocations_on(payment, from_invoice)
        [target] = invoice_candidates_load(
            work.customer, payment.currency, [InvoiceRequest(to_invoice)], lock=True
        )
        moved = _amount(payment, source, lines, amount)
        if moved > target.balance:
            raise AllocationRefused(
                f"{to_invoice} has {target.balance.format()} due; {moved.format()} cannot be "
                "moved to it. Name the amount to move.",
                fields={"to": to_invoice},
            )
        allocations_move(payment, source, lines, moved)
        # One live allocation per invoice: one already on the target joins the money moved.
        there = list(payment.allocations.filter(invoice_id=target.id, reversed=False))
        Allocation.objects.filter(id__in=[a.id for a in there]).update(reversed=True, moved=True)
        rows_insert(
            Allocation,
            [
                {
                    "payment_id": payment.pk,
                    "invoice_id": target.id,
                    "amount_minor": moved.minor + sum(a.amount_minor for a in there),
                    "currency": payment.currency,
                }
            ],
        )
        invoice_balances_set(
            {source.id: source, target.id: target},
            {source.id: moved.minor, target.id: -moved.minor},
            customer_id=work.customer.pk,
        )
        journal_post(
            posted_on=timezone.localdate(),
            reference=payment.number,
            description=(
                f"{payment.number}: {moved.format()} moved from {source.number} to {to_invoice}"
            ),
            postings=[
                Posting.debit(Account.RECEIVABLE, moved),
                Posting.credit(Account.RECEIVABLE, moved),
            ],
        )
        detail = f"{moved.format()} from {source.number} to {to_invoice}"
        payment_transition(
            payment, action=Action.REALLOCATE, outcome=Outcome.APPROVED, actor=actor, reason=detail
        )
        payment_events_record(
            [EventKind.PAYMENT_REALLOCATED],
            payment,
            invoice=source.number,
            to=to_invoice,
            moved=str(moved),
        )
        audit_record(
            actor=actor,
            action=REALLOCATED,
            obj=payment,
            idempotency_key=idempotency_key,
            before={"applied": {source.number: str(_total(lines, payment.currency))}},
            after={
                "invoice": source.number,
                "to": to_invoice,
                "moved": str(moved),
                "request": fingerprint,
            },
        )
        return payment


def _replayed(payment: Payment, action: str, key: str, fingerprint: str) -> bool:
    """Whether this move was already made with `key` (the same request); a different
    request with the key is refused."""
    if not key:
        return False
    first = AuditEvent.objects.filter(
        object_type="Payment", object_id=payment.number, action=action, idempotency_key=key
    ).first()
    if first is None:
        return False
    if (first.after or {}).get("request") != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key was already used to move money of {payment.number}, with a "
            "different request; nothing was moved."
        )
    return True


def _movable(payment: Payment, action: str) -> None:
    if payment.type == PaymentType.WRITE_OFF:
        raise RemitError(
            f"{payment.number} is a write-off; void it to reopen its invoice.",
            fields={"payment": "write-off"},
        )
    next_status(payment.status, action, Outcome.APPROVED, payment=payment.number)
    unfinished = GatewayAttempt.objects.filter(
        payment=payment, operation=GatewayOperation.REFUND, outcome__in=UNFINISHED
    )
    if unfinished.exists():  # its plan names these allocations: they wait for the answer
        raise AttemptInProgress(
            f"A refund of {payment.number} is under way at the payment gateway; its money "
            "does not move until the answer is in (run `remit reconcile` if it was lost).",
            retry_after=60,
        )


def allocations_on(payment: Payment, number: str) -> tuple[Invoice, list[Allocation]]:
    """The invoice (locked) and the live allocations of `payment` on it."""
    lines = list(payment.allocations.filter(invoice__number=number, reversed=False).order_by("id"))
    if not lines:
        raise NotFound(
            f"{payment.number} has nothing applied to {number}.", fields={"invoice": number}
        )
    invoice = Invoice.objects.select_for_update().get(pk=lines[0].invoice_id)
    return invoice, lines


def _total(lines: list[Allocation], currency: str) -> Money:
    return Money.from_minor(sum(a.amount_minor for a in lines), currency)


def _amount(payment: Payment, source: Invoice, lines: list[Allocation], wanted: Money | None):
    applied = _total(lines, payment.currency)
    if wanted is None:
        return applied
    if wanted.currency != payment.currency or not wanted.is_positive():
        raise AllocationRefused(
            f"The amount to move must be more than zero, in {payment.currency}.",
            fields={"amount": "invalid"},
        )
    if wanted > applied:
        raise AllocationRefused(
            f"{payment.number} applied {applied.format()} to {source.number}; "
            f"{wanted.format()} cannot be moved.",
            fields={"amount": "over the allocation"},
        )
    return wanted


def allocations_move(
    payment: Payment, source: Invoice, lines: list[Allocation], moved: Money
) -> None:
    """Mark the allocations moved; what stays on the invoice is one new allocation."""
    Allocation.objects.filter(id__in=[a.id for a in lines]).update(reversed=True, moved=True)
    left = _total(lines, payment.currency) - moved
    if left.is_positive():
        rows_insert(
            Allocation,
            [
                {
                    "payment_id": payment.pk,
                    "invoice_id": source.id,
                    "amount_minor": left.minor,
                    "currency": payment.currency,
                }
            ],
        )
