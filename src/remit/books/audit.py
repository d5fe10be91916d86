"""The whole-books check behind `remit audit` (DESIGN rule 10).

It reads every app, recomputes what the services store, and names every difference.
Everything is computed in SQL aggregates over integer minor units, so it is exact and
fast on a large database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, Sum

from remit.bank.models import BankLine, Deposit, DepositItem
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import invoice_status
from remit.ledger.models import Account, JournalLine
from remit.payments.models import (
    CARD_PAYOUT,
    OFFLINE_TYPES,
    CreditEntry,
    CreditKind,
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentType,
    ScheduledInvoice,
    ScheduleStatus,
)
from remit.payments.services.card_payout_books import PAYOUT_PLAN
from remit.payments.services.recording import WRITE_OFF_ACCOUNTS
from remit.payments.states import PaymentStatus


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def books_audit() -> AuditReport:
    report = AuditReport()
    _entries_balance(report)
    _invoice_balances(report)
    _payments_add_up(report)
    _receivables(report)
    _credit(report)
    _undeposited_funds(report)
    _bank(report)
    _card_clearing(report)
    _write_offs_and_credit_notes(report)
    _payouts(report)
    return report


def _money(minor: int | None, currency: str) -> str:
    return Money.from_minor(minor or 0, currency).format()


def _entries_balance(report: AuditReport) -> None:
    unbalanced = (
        JournalLine.objects.values("entry_id", "entry__reference", "currency")
        .annotate(net=Sum("amount_minor"))
        .exclude(net=0)
    )
    for row in unbalanced:
        report.problems.append(
            f"Journal entry {row['entry_id']} ({row['entry__reference']}) does not balance in "
            f"{row['currency']}: off by {_money(row['net'], row['currency'])}."
        )


def _invoice_balances(report: AuditReport) -> None:
    live = Sum("allocations__amount_minor", filter=Q(allocations__reversed=False))
    unsettled = Sum(
        "allocations__amount_minor",
        filter=Q(allocations__reversed=False, allocations__payment__status=PaymentStatus.PENDING),
    )
    held = set(
        ScheduledInvoice.objects.filter(schedule__status=ScheduleStatus.SCHEDULED).values_list(
            "invoice_id", flat=True
        )
    )
    rows = Invoice.objects.annotate(live=live, unsettled=unsettled).values_list(
        "id",
        "number",
        "currency",
        "total_minor",
        "balance_due_minor",
        "status",
        "live",
        "unsettled",
    )
    for pk, number, currency, total, stored, status, applied, in_flight in rows.iterator(2000):
        expected = total - (applied or 0)
        if stored != expected:
            report.problems.append(
                f"{number}: stored balance {_money(stored, currency)} but the allocations "
                f"leave {_money(expected, currency)}."
            )
        if expected < 0:
            report.problems.append(f"{number} is over-allocated by {_money(-expected, currency)}.")
        should_be = invoice_status(
            voided=status == InvoiceStatus.VOID,
            balance_minor=expected,
            unsettled_minor=in_flight or 0,
            scheduled=pk in held,
        )
        if status != should_be:
            report.problems.append(f"{number} is {status} but its balances say {should_be}.")


def _payments_add_up(report: AuditReport) -> None:
    # Every allocation counts, reversed by a void or live, except those moved (unapplied or
    # reallocated): their money is in the credit created or in another allocation.
    applied = Sum("allocations__amount_minor", filter=Q(allocations__moved=False))
    rows = Payment.objects.annotate(applied=applied).values_list(
        "id", "number", "currency", "amount_minor", "applied"
    )
    created = dict(
        CreditEntry.objects.filter(kind=CreditKind.CREATED)
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment_id", "total")
    )
    payouts = set(Payment.objects.filter(type=PaymentType.PAYOUT).values_list("id", flat=True))
    partly_refunded = _partly_refunded_by_payment()
    for (
        pid,
        number,
        currency,
        amount,
        alloc,
    ) in rows.iterator(2000):
        if pid in payouts:  # checked by _payouts: it applies nothing, it uses credit
            continue
        credit = created.get(pid, 0)
        if amount != (alloc or 0) + credit + partly_refunded.get(pid, 0):
            report.problems.append(
                f"{number}: amount {_money(amount, currency)} is not its allocations "
                f"{_money(alloc, currency)} plus the credit it created {_money(credit, currency)}."
            )


def _account_balances(account: str) -> dict[str, int]:
    return dict(
        JournalLine.objects.filter(account=account)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )


def _compare(report: AuditReport, what: str, books: dict[str, int], actual: dict[str, int]):
    for currency in sorted(set(books) | set(actual)):
        if books.get(currency, 0) != actual.get(currency, 0):
            report.problems.append(
                f"{what} in {currency}: the journal says {_money(books.get(currency), currency)},"
                f" the records say {_money(actual.get(currency), currency)}."
            )


def _receivables(report: AuditReport) -> None:
    actual = dict(
        Invoice.objects.exclude(status=InvoiceStatus.VOID)
        .values("currency")
        .annotate(total=Sum("balance_due_minor"))
        .values_list("currency", "total")
    )
    _compare(report, "Accounts receivable", _account_balances(Account.RECEIVABLE), actual)


def _credit(report: AuditReport) -> None:
    ledger = {c: -v for c, v in _account_balances(Account.CUSTOMER_CREDIT).items()}
    per_customer = (
        CreditEntry.objects.values("customer_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("customer_id", "currency", "total")
    )
    actual: dict[str, int] = defaultdict(int)
    numbers = dict(Customer.objects.values_list("id", "number"))
    for customer_id, currency, total in per_customer:
        actual[currency] += total
        if total < 0:
            report.problems.append(
                f"{numbers[customer_id]} has negative credit: {_money(total, currency)}."
            )
    _compare(report, "Customer credit", ledger, actual)


def _undeposited_funds(report: AuditReport) -> None:
    """Offline money received, less what went to the bank: on a deposit slip, or received
    by the bank itself (a statement line's payment)."""
    actual: dict[str, int] = defaultdict(int)
    for currency, total in _sums(
        Payment.objects.filter(type__in=OFFLINE_TYPES, status=PaymentStatus.SETTLED)
    ).items():
        actual[currency] += total
    for currency, total in _banked().items():
        actual[currency] -= total
    _compare(report, "Undeposited funds", _account_balances(Account.UNDEPOSITED_FUNDS), actual)


def _sums(payments) -> dict[str, int]:
    return dict(
        payments.values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )


def _banked() -> dict[str, int]:
    """Payments moved to the bank: deposited, or received on a statement line."""
    banked: dict[str, int] = defaultdict(int)
    deposited = DepositItem.objects.values("payment_id")
    received = BankLine.objects.filter(payment__isnull=False).values("payment_id")
    for query in (deposited, received):
        for currency, total in _sums(Payment.objects.filter(pk__in=query)).items():
            banked[currency] += total
    return banked


def _bank(report: AuditReport) -> None:
    """The Bank account holds every deposit and every payment a statement line brought;
    each deposit's total is the sum of its items."""
    _compare(report, "Bank", _account_balances(Account.BANK), dict(_banked()))
    off = Deposit.objects.annotate(items_total=Sum("items__payment__amount_minor")).exclude(
        total_minor=models.F("items_total")
    )
    for deposit in off:
        report.problems.append(
            f"{deposit.number}: the slip says {deposit.total.format()}, its items add up to "
            f"{_money(deposit.items_total, deposit.currency)}."
        )


def _card_clearing(report: AuditReport) -> None:
    """Card and bank money: received into clearing while pending or after; refunds go out
    through the Refunds account; failed and voided charges are reversed in full."""
    gateway_types = ["card", "bank"]
    received = dict(
        Payment.objects.filter(
            type__in=gateway_types,
            status__in=[PaymentStatus.PENDING, PaymentStatus.SETTLED, PaymentStatus.REFUNDED],
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    refunded = defaultdict(
        int,
        Payment.objects.filter(type__in=gateway_types, status=PaymentStatus.REFUNDED)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total"),
    )
    # Partial refunds of payments not (yet) refunded in full: each is its own refund.
    partly = (
        GatewayAttempt.objects.filter(
            operation=GatewayOperation.REFUND, sequence__gt=0, outcome="approved"
        )
        .exclude(payment__status=PaymentStatus.REFUNDED)
        .exclude(plan__has_key=PAYOUT_PLAN)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    for row in partly:
        refunded[row["currency"]] += row["total"]
    # Credit paid back to a card: booked to Refunds when the pay-out is written (before
    # the gateway answers); a pay-out the gateway declined is voided, its entry reversed.
    to_cards = (
        Payment.objects.filter(
            type=PaymentType.PAYOUT, reason=CARD_PAYOUT, status=PaymentStatus.SETTLED
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    for row in to_cards:
        refunded[row["currency"]] += row["total"]
    _compare(report, "Card clearing", _account_balances(Account.CARD_CLEARING), received)
    refunds = {c: -v for c, v in _account_balances(Account.REFUNDS).items()}
    _compare(report, "Refunds", refunds, refunded)


def _write_offs_and_credit_notes(report: AuditReport) -> None:
    """Each write-off account holds the live write-offs of its reason, Credit notes the
    live credit notes: a write-off or credit note voided is reversed in full."""
    live = (
        Payment.objects.filter(
            type__in=[PaymentType.WRITE_OFF, PaymentType.CREDIT_NOTE], status=PaymentStatus.SETTLED
        )
        .values("type", "reason", "currency")
        .annotate(total=Sum("amount_minor"))
    )
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in live:
        if row["type"] == PaymentType.CREDIT_NOTE:
            account = Account.CREDIT_NOTES
        else:
            account = WRITE_OFF_ACCOUNTS.get(row["reason"], Account.WRITE_OFF_OTHER)
        expected[account][row["currency"]] += row["total"]
    for account in [*WRITE_OFF_ACCOUNTS.values(), Account.CREDIT_NOTES]:
        _compare(report, Account(account).label, _account_balances(account), expected[account])


def _payouts(report: AuditReport) -> None:
    """A pay-out uses exactly its amount of credit; Credit paid out holds the live ones."""
    used = dict(
        CreditEntry.objects.filter(kind=CreditKind.PAID_OUT)
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment_id", "total")
    )
    live: dict[str, int] = defaultdict(int)
    rows = Payment.objects.filter(type=PaymentType.PAYOUT).values_list(
        "id", "number", "currency", "amount_minor", "status", "reason"
    )
    for pid, number, currency, amount, status, reason in rows:
        if used.get(pid, 0) != -amount:
            report.problems.append(
                f"{number}: a pay-out of {_money(amount, currency)} used "
                f"{_money(-used.get(pid, 0), currency)} of credit."
            )
        if status == PaymentStatus.SETTLED and reason != CARD_PAYOUT:  # a card's: Refunds
            live[currency] += amount
    books = {c: -v for c, v in _account_balances(Account.CREDIT_PAYOUTS).items()}
    _compare(report, "Credit paid out", books, live)


def _partly_refunded_by_payment() -> dict[int, int]:
    """What the approved partial refunds of each payment gave back (their allocations were
    reduced by as much, marked moved)."""
    return dict(
        GatewayAttempt.objects.filter(
            operation=GatewayOperation.REFUND, sequence__gt=0, outcome="approved"
        )
        .exclude(plan__has_key=PAYOUT_PLAN)  # credit paid back to the card: no allocation
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment_id", "total")
    )
