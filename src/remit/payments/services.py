"""The only writers of payments, allocations and customer credit.

Each service is one transaction. It locks the customer row first, then the invoices it
touches in id order, and re-checks balances under those locks, so two clerks paying the
same invoice at once cannot both apply to it (DESIGN rule 9).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import (
    IdempotencyConflict,
    InvalidAmount,
    RemitError,
    VoidRefused,
)
from remit.core.money import Money
from remit.core.numbering import next_number
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.invoices.rules import invoice_status
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.allocation import OpenInvoice, Split, split_payment
from remit.payments.candidates import InvoiceRequest, load_candidates
from remit.payments.models import (
    OFFLINE_TYPES,
    Allocation,
    CreditEntry,
    CreditKind,
    Payment,
    PaymentEvent,
    PaymentStatus,
    PaymentType,
)
from remit.payments.selectors import credit_balance
from remit.payments.states import Action, Outcome, State, next_status

MAX_KEY_LENGTH = 255


# --- posting money ------------------------------------------------------------------


def payment_post(
    *,
    customer: Customer,
    amount: Money,
    payment_type: str,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    reference: str = "",
    post_date: date | None = None,
    notes: str = "",
) -> Payment:
    """Post money received (check, money order, cash, PayPal, other).

    With no `invoices`, the amount is spread over the customer's open invoices oldest
    first; with invoices, their fixed amounts apply first and the rest spreads over the
    named ones. Whatever is left becomes customer credit with a note of its origin.
    """
    if payment_type not in OFFLINE_TYPES:
        raise RemitError(_type_refusal(payment_type), fields={"type": "unsupported"})
    _check_money(customer, amount)
    post_date = post_date or timezone.localdate()
    fingerprint = _fingerprint(
        "payment_post",
        customer.number,
        amount,
        payment_type,
        reference.strip(),
        post_date.isoformat(),
        notes,
        source,
        _requests_for_fingerprint(invoices),
    )
    with transaction.atomic():
        customer = _lock_customer(customer)
        replay = _replay(customer, idempotency_key, fingerprint)
        if replay:
            return replay
        candidates = load_candidates(customer, amount.currency, invoices, lock=True)
        split = split_payment(amount, candidates, _fixed(invoices))
        return _record(
            customer=customer,
            amount=amount,
            payment_type=payment_type,
            split=split,
            reference=reference.strip(),
            post_date=post_date,
            notes=notes,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
        )


def credit_apply(
    *,
    customer: Customer,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    currency: str | None = None,
    post_date: date | None = None,
) -> Payment:
    """Apply the customer's credit to open invoices: oldest first, or to those named.

    It is recorded as a payment of type "credit", so it can be voided like any other.
    """
    currency = (currency or customer.currency).upper()
    fingerprint = _fingerprint(
        "credit_apply", customer.number, currency, source, _requests_for_fingerprint(invoices)
    )
    with transaction.atomic():
        customer = _lock_customer(customer)
        replay = _replay(customer, idempotency_key, fingerprint)
        if replay:
            return replay
        available = credit_balance(customer=customer, currency=currency)
        if not available.is_positive():
            raise RemitError(f"{customer.number} has no {currency} credit to apply.")
        candidates = load_candidates(customer, currency, invoices, lock=True)
        fixed = _fixed(invoices)
        fixed_total = sum((m for m in fixed.values()), Money.zero(currency))
        if fixed_total > available:
            raise RemitError(
                f"{customer.number} has {available.format()} of credit; "
                f"{fixed_total.format()} cannot be applied."
            )
        spreadable = sum(
            (i.balance for i in candidates if i.number not in fixed), Money.zero(currency)
        )
        amount = fixed_total + (available - fixed_total).min(spreadable)
        if not amount.is_positive():
            raise RemitError(f"{customer.number} has no open invoices to apply credit to.")
        split = split_payment(amount, candidates, fixed)
        assert split.credit.is_zero()  # credit is only ever applied up to what is due
        return _record(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.CREDIT,
            split=split,
            reference="",
            post_date=post_date or timezone.localdate(),
            notes="",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
        )


# --- voiding ------------------------------------------------------------------------


def payment_void(*, payment: Payment, reason: str = "", actor: Actor) -> Payment:
    """Void a payment: keep it and its allocations on record, marked reversed; reopen its
    invoices; take back the credit it created (refused if that credit was already used)."""
    if payment.type in (PaymentType.CARD, PaymentType.BANK):
        raise VoidRefused(f"{payment.number} was paid through the card gateway; void it there.")
    with transaction.atomic():
        customer = _lock_customer(payment.customer)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        new_status = next_status(
            payment.status, Action.VOID, Outcome.APPROVED, payment=payment.number
        )
        allocations = list(payment.allocations.filter(reversed=False).order_by("invoice_id"))
        invoices = {
            i.id: i
            for i in Invoice.objects.select_for_update()
            .filter(id__in=[a.invoice_id for a in allocations])
            .order_by("id")
        }
        created = _credit_created(payment)
        if created.is_positive():
            available = credit_balance(customer=customer, currency=payment.currency)
            if available < created:
                raise VoidRefused(_credit_used_message(payment, created))

        Allocation.objects.filter(id__in=[a.id for a in allocations]).update(reversed=True)
        deltas = {a.invoice_id: 0 for a in allocations}
        for allocation in allocations:
            deltas[allocation.invoice_id] += allocation.amount_minor
        _set_balances(invoices, deltas)

        applied = Money.from_minor(sum(a.amount_minor for a in allocations), payment.currency)
        if created.is_positive():
            _credit(
                customer,
                -created,
                CreditKind.REVERSED,
                payment,
                f"Credit from {payment.number} reversed by its void",
            )
        if payment.type == PaymentType.CREDIT:
            _credit(
                customer,
                payment.amount,
                CreditKind.RESTORED,
                payment,
                f"Credit restored by the void of {payment.number}",
            )
        journal_post(
            posted_on=timezone.localdate(),
            reference=payment.number,
            description=f"Void of {payment.number}" + (f": {reason}" if reason else ""),
            postings=[
                Posting(p.account, -p.amount)
                for p in _postings(payment.type, payment.amount, applied, created)
            ],
        )
        before = {"status": payment.status}
        _transition(payment, new_status, Action.VOID, Outcome.APPROVED, actor, reason)
        payment.void_reason = reason[:300]
        payment.save(update_fields=["status", "void_reason"])
        audit_record(
            actor=actor,
            action="payment.voided",
            obj=payment,
            before=before,
            after={
                "status": payment.status,
                "reason": reason,
                "reopened": [invoices[i].number for i in sorted(deltas)],
            },
        )
        return payment


# --- the shared write path ----------------------------------------------------------


def _record(
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
) -> Payment:
    status = next_status(State.NEW, Action.RECORD, Outcome.APPROVED)
    payment = Payment.objects.create(
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
    )
    Allocation.objects.bulk_create(
        Allocation(
            payment=payment,
            invoice_id=line.invoice.id,
            amount_minor=line.amount.minor,
            currency=amount.currency,
        )
        for line in split.lines
    )
    _set_balances(
        {line.invoice.id: line.invoice for line in split.lines},
        {line.invoice.id: -line.amount.minor for line in split.lines},
    )
    if split.credit.is_positive():
        _credit(customer, split.credit, CreditKind.CREATED, payment, _credit_note(payment, split))
    if payment_type == PaymentType.CREDIT:
        _credit(
            customer,
            -amount,
            CreditKind.APPLIED,
            payment,
            f"Applied by {payment.number} to {_names(split)}",
        )
    journal_post(
        posted_on=post_date,
        reference=payment.number,
        description=f"{payment.get_type_display()} payment {payment.number}",
        postings=_postings(payment_type, amount, split.applied, split.credit),
    )
    PaymentEvent.objects.create(
        payment=payment,
        from_status=State.NEW,
        action=Action.RECORD,
        outcome=Outcome.APPROVED,
        to_status=status,
        actor=actor.label,
    )
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


def _postings(payment_type: str, amount: Money, applied: Money, credit: Money) -> list[Posting]:
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


def _set_balances(invoices: dict[int, Invoice | OpenInvoice], deltas: dict[int, int]) -> None:
    """Move invoice balances by `deltas` (minor units) and set their statuses, set-based:
    one UPDATE per distinct (balance, status), so a lump sum over 10,000 invoices paid in
    full is a handful of statements, not 10,000."""
    new_balance = {}
    for invoice_id, delta in deltas.items():
        invoice = invoices[invoice_id]
        current = (
            invoice.balance_due_minor if isinstance(invoice, Invoice) else invoice.balance.minor
        )
        new_balance[invoice_id] = current + delta
    settled_out = [i for i, b in new_balance.items() if b == 0]
    unsettled = (
        set(
            Allocation.objects.filter(
                invoice_id__in=settled_out, reversed=False, payment__status=PaymentStatus.PENDING
            ).values_list("invoice_id", flat=True)
        )
        if settled_out
        else set()
    )
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for invoice_id, balance in new_balance.items():
        status = invoice_status(
            voided=False, balance_minor=balance, unsettled_minor=int(invoice_id in unsettled)
        )
        groups[(balance, status)].append(invoice_id)
    for (balance, status), ids in groups.items():
        for chunk in _chunks(ids, 5000):
            Invoice.objects.filter(id__in=chunk).update(balance_due_minor=balance, status=status)


def _credit(customer: Customer, amount: Money, kind: str, payment: Payment, note: str) -> None:
    CreditEntry.objects.create(
        customer=customer,
        currency=amount.currency,
        amount_minor=amount.minor,
        kind=kind,
        payment=payment,
        note=note[:300],
    )


def _credit_created(payment: Payment) -> Money:
    minors = payment.credit_entries.filter(kind=CreditKind.CREATED).values_list(
        "amount_minor", flat=True
    )
    return Money.from_minor(sum(minors), payment.currency)


def _credit_used_message(payment: Payment, created: Money) -> str:
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


def _credit_note(payment: Payment, split: Split) -> str:
    how = payment.get_type_display().lower()
    if payment.reference:
        how += f" #{payment.reference}"
    if split.lines:
        return f"Overpayment of {payment.number}, {how}, on {_names(split)}"
    return f"Unapplied payment {payment.number}, {how}"


def _names(split: Split) -> str:
    numbers = [line.invoice.number for line in split.lines]
    if len(numbers) > 3:
        return f"{', '.join(numbers[:3])} and {len(numbers) - 3} more"
    return ", ".join(numbers)


def _transition(
    payment: Payment, to: str, action: str, outcome: str, actor: Actor, detail: str = ""
) -> None:
    PaymentEvent.objects.create(
        payment=payment,
        from_status=payment.status,
        action=action,
        outcome=outcome,
        to_status=to,
        actor=actor.label,
        detail=detail[:300],
    )
    payment.status = to


# --- locking and checking -----------------------------------------------------------


def _lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _check_money(customer: Customer, amount: Money) -> None:
    if amount.currency != customer.currency:
        raise InvalidAmount(
            f"{customer.number} is billed in {customer.currency}; "
            f"a payment in {amount.currency} cannot be applied.",
            fields={"currency": "mismatch"},
        )
    if not amount.is_positive():
        raise InvalidAmount("A payment must be more than zero.", fields={"amount": "not positive"})


def _fixed(requests: Sequence[InvoiceRequest] | None) -> dict[str, Money]:
    return {r.number: r.amount for r in requests or () if r.amount is not None}


def _replay(customer: Customer, key: str, fingerprint: str) -> Payment | None:
    """The first payment made with `key`, if the request is the same; refused otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise RemitError(
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            fields={"idempotency_key": "invalid"},
        )
    existing = Payment.objects.filter(customer=customer, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key was already used for {existing.number}, with a different "
            "request; nothing was posted."
        )
    return existing


def _fingerprint(*parts: object) -> str:
    canonical = json.dumps(
        [str(p) if isinstance(p, Money | date) else p for p in parts], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _requests_for_fingerprint(requests: Sequence[InvoiceRequest] | None) -> list:
    return [[r.number, str(r.amount) if r.amount else None] for r in requests or ()]


def _type_refusal(payment_type: str) -> str:
    if payment_type in (PaymentType.CARD, PaymentType.BANK):
        return "Card and bank payments are taken through the payment gateway."
    if payment_type == PaymentType.CREDIT:
        return "Customer credit is applied with apply-credit, not posted as a payment."
    return f"'{payment_type}' is not a payment type."


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
