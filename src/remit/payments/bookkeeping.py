"""The shared write path of every payment service: recording a payment, moving invoice
balances, the credit ledger, journal postings, reversals, locks and idempotency.

Only `services.py` and `gateway_services.py` call these, always inside their transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from django.utils import timezone

from remit.core import rows
from remit.core.audit import Actor, audit_record
from remit.core.errors import IdempotencyConflict, InvalidAmount, RemitError
from remit.core.money import Money, currency_mismatch
from remit.core.numbering import next_number
from remit.core.rows import insert, insert_rows, update_where_id_in
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import invoice_status
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.allocation import OpenInvoice, Split
from remit.payments.candidates import InvoiceRequest
from remit.payments.events import (
    emit,
    invoice_event,
    invoice_events_record,
    payment_events_record,
)
from remit.payments.models import (
    OFFLINE_TYPES,
    Allocation,
    CreditEntry,
    CreditKind,
    EventKind,
    Payment,
    PaymentEvent,
    PaymentStatus,
    PaymentType,
)
from remit.payments.states import Action, Outcome, State, next_status

MAX_KEY_LENGTH = 255
REPLAY_SQL = (
    f"SELECT id, number, request_fingerprint FROM {Payment._meta.db_table}"  # noqa: S608
    " WHERE customer_id = %s AND idempotency_key = %s"
)
# Which of some invoices a payment still in flight (pending) covers.
UNSETTLED_SQL = (
    f"SELECT DISTINCT a.invoice_id FROM {Allocation._meta.db_table} a"  # noqa: S608
    f" JOIN {Payment._meta.db_table} p ON p.id = a.payment_id"
    f" WHERE NOT a.reversed AND p.status = '{PaymentStatus.PENDING.value}' AND a.invoice_id "
)


def record_payment(
    *,
    customer: Customer,
    amount: Money,
    payment_type: str,
    split: Split,
    reference: str,
    post_date: date,
    notes: str,
    idempotency_key: str,
    fingerprint: str,
    actor: Actor,
    source: str,
    action: Action = Action.RECORD,
    outcome: Outcome = Outcome.APPROVED,
    method_id: int | None = None,
) -> Payment:
    """Write a payment with its allocations, credit, journal entry, first status event
    and audit event. Offline money is RECORDed (settled at once); card and bank payments
    are SUBMITted (pending) before the gateway is asked."""
    status = next_status(State.NEW, action, outcome)
    payment = Payment(
        number=next_number("payment", prefix="PMT-"),
        customer=customer,
        type=payment_type,
        reference=reference,
        amount_minor=amount.minor,
        currency=amount.currency,
        post_date=post_date,
        notes=notes,
        status=status,
        allocation_policy=split.policy,
        posted_by_id=actor.user_id,
        actor=actor.label,
        source=source,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        method_id=method_id,
    )
    insert([payment])
    applied = [(line.invoice, line.amount.minor) for line in split.lines]  # a lump sum: 10,000
    insert_rows(
        Allocation,
        [
            {
                "payment_id": payment.pk,
                "invoice_id": invoice.id,
                "amount_minor": minor,
                "currency": amount.currency,
            }
            for invoice, minor in applied
        ],
    )
    set_balances(
        {invoice.id: invoice for invoice, _ in applied},
        {invoice.id: -minor for invoice, minor in applied},
        customer_id=customer.pk,
        in_flight=status == PaymentStatus.PENDING,
    )
    if split.credit.is_positive():
        add_credit(customer, split.credit, CreditKind.CREATED, payment, credit_note(payment, split))
    if payment_type == PaymentType.CREDIT:
        add_credit(
            customer,
            -amount,
            CreditKind.APPLIED,
            payment,
            f"Applied by {payment.number} to {invoice_names(split)}",
        )
    journal_post(
        posted_on=post_date,
        reference=payment.number,
        description=f"{PaymentType(payment_type).label} payment {payment.number}",
        postings=journal_postings(payment_type, amount, split.applied, split.credit),
    )
    insert_rows(
        PaymentEvent,
        [
            {
                "payment_id": payment.pk,
                "from_status": State.NEW,
                "action": action,
                "outcome": outcome,
                "to_status": status,
                "actor": actor.label,
            }
        ],
    )
    kinds = [EventKind.PAYMENT_POSTED]
    if status == PaymentStatus.SETTLED:  # offline money is final at once
        kinds.append(EventKind.PAYMENT_SETTLED)
    payment_events_record(kinds, payment, type=payment_type)
    audit_record(
        actor=actor,
        action="payment.posted",
        obj=payment,
        idempotency_key=idempotency_key,
        after={
            "amount": str(amount),
            "currency": amount.currency,
            "type": payment_type,
            "allocations": {line.invoice.number: str(line.amount) for line in split.lines},
            "credit_created": str(split.credit),
        },
    )
    return payment


def journal_postings(
    payment_type: str, amount: Money, applied: Money, credit: Money
) -> list[Posting]:
    """The journal lines of a payment: where the money came from, where it went."""
    source = (
        Account.CUSTOMER_CREDIT
        if payment_type == PaymentType.CREDIT
        else (Account.UNDEPOSITED_FUNDS if payment_type in OFFLINE_TYPES else Account.CARD_CLEARING)
    )
    return [
        Posting.debit(source, amount),
        Posting.credit(Account.RECEIVABLE, applied),
        Posting.credit(Account.CUSTOMER_CREDIT, credit),
    ]


def set_balances(
    invoices: dict[int, Invoice | OpenInvoice],
    deltas: dict[int, int],
    *,
    customer_id: int,
    in_flight: bool = False,
) -> None:
    """Move invoice balances by `deltas` (minor units) and set their statuses, set-based:
    one UPDATE per distinct (balance, status), so a lump sum over 10,000 invoices paid in
    full is a handful of statements, not 10,000. Writes invoice.paid and invoice.reopened
    events for the statuses that change."""
    new_balance: dict[int, int] = {}
    old_status: dict[int, str] = {}
    for invoice_id, delta in deltas.items():
        invoice = invoices[invoice_id]
        if isinstance(invoice, Invoice):
            current, old_status[invoice_id] = invoice.balance_due_minor, invoice.status
        else:  # a candidate of a new payment: open by construction
            current, old_status[invoice_id] = invoice.balance.minor, InvoiceStatus.OPEN
        new_balance[invoice_id] = current + delta
    # Paid to zero by a payment in flight (`in_flight`), an invoice is pending. Otherwise
    # only one that already had something applied can have another payment in flight on
    # it; a fresh one paid to zero is simply paid (and skips the query).
    settled_out = [
        i
        for i, b in new_balance.items()
        if b == 0 and (in_flight or isinstance(invoices[i], Invoice) or invoices[i].partly_paid)
    ]
    unsettled = set()
    if settled_out:
        condition, ids = rows.id_list(settled_out)
        unsettled = {row[0] for row in rows.query(UNSETTLED_SQL + condition, [ids])}
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    changes: dict[str, list[int]] = defaultdict(list)
    for invoice_id, balance in new_balance.items():
        status = invoice_status(
            voided=False,
            balance_minor=balance,
            unsettled_minor=int(invoice_id in unsettled),
            scheduled=old_status[invoice_id] == InvoiceStatus.SCHEDULED,  # held until released
        )
        groups[(balance, status)].append(invoice_id)
        kind = invoice_event(old_status[invoice_id], status)
        if kind:
            changes[kind].append(invoice_id)
    for (balance, status), ids in groups.items():
        update_where_id_in(Invoice, ids, balance_due_minor=balance, status=status)
    for kind, ids in changes.items():
        invoice_events_record(kind, ids, customer_id=customer_id)


def reverse_payment(
    customer: Customer, payment: Payment, *, description: str, refund: bool = False
) -> list[str]:
    """Undo a payment in the books, keeping it on record: its live allocations are marked
    reversed, its invoices' balances restored, the credit it created taken back (the
    caller checks it is still there), and a journal entry reverses the original one. A
    refund sends the money out through the Refunds account instead of back out of the
    account it came into. Returns the numbers of the reopened invoices."""
    allocations = list(payment.allocations.filter(reversed=False).order_by("invoice_id"))
    invoices = {
        i.id: i
        for i in Invoice.objects.select_for_update()
        .filter(id__in=[a.invoice_id for a in allocations])
        .order_by("id")
    }
    created = credit_created(payment)
    Allocation.objects.filter(id__in=[a.id for a in allocations]).update(reversed=True)
    deltas: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        deltas[allocation.invoice_id] += allocation.amount_minor
    set_balances(invoices, deltas, customer_id=customer.pk)
    if created.is_positive():
        add_credit(
            customer,
            -created,
            CreditKind.REVERSED,
            payment,
            f"Credit from {payment.number} reversed: {description}",
        )
    if payment.type == PaymentType.CREDIT:
        add_credit(
            customer,
            payment.amount,
            CreditKind.RESTORED,
            payment,
            f"Credit restored: {description}",
        )
    applied = Money.from_minor(sum(a.amount_minor for a in allocations), payment.currency)
    postings = [
        Posting(p.account, -p.amount)
        for p in journal_postings(payment.type, payment.amount, applied, created)
    ]
    if refund:
        postings[0] = Posting.credit(Account.REFUNDS, payment.amount)
    journal_post(
        posted_on=timezone.localdate(),
        reference=payment.number,
        description=description,
        postings=postings,
    )
    return [invoices[i].number for i in sorted(deltas)]


def refresh_statuses(invoice_ids: Iterable[int], *, customer_id: int) -> None:
    """Re-derive the status of invoices whose payments changed state (a settlement)."""
    invoice_ids = list(invoice_ids)
    set_balances(
        {i.id: i for i in Invoice.objects.select_for_update().filter(id__in=invoice_ids)},
        {i: 0 for i in invoice_ids},
        customer_id=customer_id,
    )


def add_credit(customer: Customer, amount: Money, kind: str, payment: Payment, note: str) -> None:
    insert_rows(
        CreditEntry,
        [
            {
                "customer_id": customer.pk,
                "currency": amount.currency,
                "amount_minor": amount.minor,
                "kind": kind,
                "payment_id": payment.pk,
                "note": note[:300],
            }
        ],
    )


def credit_created(payment: Payment) -> Money:
    minors = payment.credit_entries.filter(kind=CreditKind.CREATED).values_list(
        "amount_minor", flat=True
    )
    return Money.from_minor(sum(minors), payment.currency)


def credit_used_message(payment: Payment, created: Money) -> str:
    users = (
        Allocation.objects.filter(
            payment__customer_id=payment.customer_id,
            payment__type=PaymentType.CREDIT,
            payment__currency=payment.currency,
            payment__id__gt=payment.id,
            reversed=False,
        )
        .order_by("invoice__number")
        .values_list("invoice__number", flat=True)
        .distinct()
    )
    names = ", ".join(users) or "other invoices"
    return (
        f"{payment.number} cannot be voided: the {created.format()} of credit it created "
        f"was already applied to {names}. Void those credit applications first."
    )


def credit_note(payment: Payment, split: Split) -> str:
    how = payment.get_type_display().lower()
    if payment.reference:
        how += f" #{payment.reference}"
    if split.lines:
        return f"Overpayment of {payment.number}, {how}, on {invoice_names(split)}"
    return f"Unapplied payment {payment.number}, {how}"


def invoice_names(split: Split) -> str:
    numbers = [line.invoice.number for line in split.lines]
    if len(numbers) > 3:
        return f"{', '.join(numbers[:3])} and {len(numbers) - 3} more"
    return ", ".join(numbers)


def transition(
    payment: Payment, to: str, action: str, outcome: str, actor: Actor, detail: str = ""
) -> None:
    insert_rows(
        PaymentEvent,
        [
            {
                "payment_id": payment.pk,
                "from_status": payment.status,
                "action": action,
                "outcome": outcome,
                "to_status": to,
                "actor": actor.label,
                "detail": detail[:300],
            }
        ],
    )
    changed = payment.status != to
    payment.status = to
    if changed and to != PaymentStatus.PENDING:
        emit(f"payment.{to}", payment, reason=detail)


# --- locking and checking -----------------------------------------------------------


def lock_customer(customer: Customer) -> Customer:
    """Take the customer's row lock: every money service takes it first, so two services
    for one customer run one after the other. Returns `customer` itself, not a re-read:
    what the services use of it, number and currency, never changes (customer_update)."""
    rows.lock(Customer, customer.pk)
    return customer


def check_money(customer: Customer, amount: Money) -> None:
    if amount.currency != customer.currency:
        raise currency_mismatch(customer.number, billed=customer.currency, given=amount.currency)
    if not amount.is_positive():
        raise InvalidAmount("A payment must be more than zero.", fields={"amount": "not positive"})


def fixed_amounts(requests: Sequence[InvoiceRequest] | None) -> dict[str, Money]:
    return {r.number: r.amount for r in requests or () if r.amount is not None}


def replay(customer: Customer, key: str, fingerprint: str) -> Payment | None:
    """The first payment made with `key`, if the request is the same; refused otherwise.

    Its own statement, after `lock_customer`, not a join in the locking SELECT: on
    PostgreSQL a statement that waited for the lock still sees the rows of the snapshot
    it started with, so it would miss the payment the lock holder just committed."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise RemitError(
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            fields={"idempotency_key": "invalid"},
        )
    # Most keys are new: look for the key without building a Payment unless it is found.
    found = rows.query(REPLAY_SQL, [customer.pk, key])
    if not found:
        return None
    pk, number, first_fingerprint = found[0]
    if first_fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key was already used for {number}, with a different "
            "request; nothing was posted."
        )
    return Payment.objects.get(pk=pk)


def request_fingerprint(*parts: object) -> str:
    canonical = json.dumps(
        [str(p) if isinstance(p, Money | date) else p for p in parts], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def requests_for_fingerprint(requests: Sequence[InvoiceRequest] | None) -> list:
    return [[r.number, str(r.amount) if r.amount else None] for r in requests or ()]


def type_refusal(payment_type: str) -> str:
    if payment_type in (PaymentType.CARD, PaymentType.BANK):
        return "Card and bank payments are taken through the payment gateway."
    if payment_type == PaymentType.CREDIT:
        return "Customer credit is applied with apply-credit, not posted as a payment."
    return f"'{payment_type}' is not a payment type."
