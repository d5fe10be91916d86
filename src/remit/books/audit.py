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
    Allocation,
    CreditEntry,
    CreditKind,
    Dispute,
    DisputeStatus,
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
    _discounts(report)
    _payouts(report)
    _disputes(report)
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
        CreditEntry.objects.filter(kind__in=[CreditKind.CREATED, CreditKind.DISPUTED])
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment_id", "total")
    )
    payouts = set(Payment.objects.filter(type=PaymentType.PAYOUT).values_list("id", flat=True))
    partly_refunded = _partly_refunded_by_payment()
    disputed = _disputed_by_payment()
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
        taken = partly_refunded.get(pid, 0) + disputed.get(pid, 0)
        if amount != (alloc or 0) + credit + taken:
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
    """Live payments moved to the bank: deposited, or received on a statement line (a
    void of one takes it back out of the bank, as a returned check)."""
    banked: dict[str, int] = defaultdict(int)
    deposited = DepositItem.objects.values("payment_id")
    received = BankLine.objects.filter(payment__isnull=False).values("payment_id")
    for query in (deposited, received):
        live = Payment.objects.filter(pk__in=query, status=PaymentStatus.SETTLED)
        for currency, total in _sums(live).items():
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
            status__in=[
                PaymentStatus.PENDING,
                PaymentStatus.SETTLED,
                PaymentStatus.REFUNDED,
                PaymentStatus.DISPUTED,  # the money came in; a dispute took it out, and
                PaymentStatus.CHARGED_BACK,  # its fee, through Chargebacks and Dispute fees
            ],
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
    for currency, fees in _sums_of(Dispute.objects.all(), "fee_minor").items():
        received[currency] = received.get(currency, 0) - fees
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


def _discounts(report: AuditReport) -> None:
    """Early-payment discounts (issue 14; the Write-offs: discounts account holds them
    with the other live discount write-offs, checked above): each live one belongs to a
    live payment (voided with it), and no invoice has more of them than its terms give."""
    rows = Payment.objects.filter(
        discount_of__isnull=False, status=PaymentStatus.SETTLED
    ).values_list("number", "discount_of__number", "discount_of__status")
    for number, payment, status in rows:
        if status not in (PaymentStatus.SETTLED, PaymentStatus.PENDING):
            report.problems.append(
                f"{number}: an early-payment discount is live but {payment}, which earned "
                f"it, is {status}."
            )
    taken = (
        Allocation.objects.filter(
            reversed=False,
            payment__discount_of__isnull=False,
            payment__status=PaymentStatus.SETTLED,
        )
        .values("invoice_id")
        .annotate(total=Sum("amount_minor"))
    )
    invoices = Invoice.objects.in_bulk([row["invoice_id"] for row in taken])
    for row in taken:
        invoice = invoices[row["invoice_id"]]
        terms = invoice.terms
        allowed = terms.amount_minor(invoice.total_minor) if terms else 0
        if row["total"] > allowed:
            report.problems.append(
                f"{invoice.number}: early-payment discounts of "
                f"{_money(row['total'], invoice.currency)} are live; its terms give "
                f"{_money(allowed, invoice.currency)}."
            )


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


_TAKEN = [DisputeStatus.OPEN, DisputeStatus.LOST]  # disputes whose money is with the cardholder


def _disputed_by_payment() -> dict[int, int]:
    """What the open and lost disputes of each payment took."""
    return dict(
        Dispute.objects.filter(status__in=_TAKEN)
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment_id", "total")
    )


def _sums_of(rows, column: str) -> dict[str, int]:
    return dict(
        rows.values("currency").annotate(total=Sum(column)).values_list("currency", "total")
    )


def _disputes(report: AuditReport) -> None:
    """Chargebacks holds the open and lost disputes, Dispute fees every dispute's fee
    (kept whatever the outcome); a payment is disputed while its dispute is open and
    charged back once it is lost."""
    chargebacks = {c: -v for c, v in _account_balances(Account.CHARGEBACKS).items()}
    _compare(
        report,
        "Chargebacks",
        chargebacks,
        _sums_of(Dispute.objects.filter(status__in=_TAKEN), "amount_minor"),
    )
    _compare(
        report,
        "Dispute fees",
        _account_balances(Account.DISPUTE_FEES),
        _sums_of(Dispute.objects.all(), "fee_minor"),
    )
    expected = {
        DisputeStatus.OPEN: PaymentStatus.DISPUTED,
        DisputeStatus.LOST: PaymentStatus.CHARGED_BACK,
    }
    latest = Dispute.objects.order_by("payment_id", "-id").values_list(
        "payment_id", "gateway_id", "status", "payment__number", "payment__status"
    )
    seen: set[int] = set()
    for pid, gateway_id, status, number, payment_status in latest:
        if pid in seen:
            continue
        seen.add(pid)
        if status in expected and payment_status != expected[status]:
            report.problems.append(
                f"{number} is {payment_status}, but its dispute {gateway_id} is {status}."
            )
    stray = Payment.objects.filter(
        status__in=[PaymentStatus.DISPUTED, PaymentStatus.CHARGED_BACK]
    ).exclude(pk__in=seen)
    for number, status in stray.values_list("number", "status"):
        report.problems.append(f"{number} is {status}, but remit holds no dispute of it.")
