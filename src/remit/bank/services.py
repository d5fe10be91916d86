"""The writers of cash application: import a bank file, match its lines, post the certain
ones, and a clerk's accept and ignore.

An import runs in three steps, each committed before the next, so an import killed at any
point and run again finishes the work and posts nothing twice:

1. the file is read whole (a bad file is refused before anything is written), then the
   statement and all its lines are stored in one transaction: `new` lines, or `ignored`
   ones (debits, fees, interest, and lines seen before: `duplicate_of`);
2. every `new` line is matched against a directory loaded set-based (no query per line),
   and the decisions stored in one transaction: `matched` (certain, to post), `review`,
   `unmatched`, or `posted` to a deposit slip;
3. each `matched` line is posted in its own transaction: the line is locked and read again,
   the payment made by `payment_take` with the bank reference as its reference and its
   idempotency key, the money moved from undeposited funds to the bank in the journal,
   and the line marked `posted`, all or nothing.

The same file again is the statement already stored: finished, it posts nothing and says
so (`duplicate_of`); unfinished (killed half-way), the steps left run.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from remit.bank.directory import directory_load
from remit.bank.errors import StatementRejected
from remit.bank.formats import (
    Direction,
    Kind,
    ParsedStatement,
    RawLine,
    StatementRefused,
    statement_parse,
)
from remit.bank.matching import POSTED, REVIEW, Decision, LineFacts, line_decide
from remit.bank.models import BankLine, LineStatus, PayerKind, PayerMemory, Statement
from remit.bank.names import name_key
from remit.bank.repository import lines_decided_write
from remit.core.audit import Actor, audit_record
from remit.core.errors import NotFound, RemitError
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.core.repository import rows_insert
from remit.customers.models import Customer
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.services.take import payment_take

PAYMENT_TYPES = {
    Kind.CHECK: PaymentType.CHECK,
    Kind.ACH: PaymentType.ACH,
    Kind.BANK_TRANSFER: PaymentType.BANK_TRANSFER,
}
STATUSES = ("posted", "review", "unmatched", "ignored")


@dataclass(frozen=True)
class ImportResult:
    statement: Statement
    lines: int
    counts: dict[str, int]
    duplicate_of: int | None = None


def bank_statement_import(
    *, data: bytes, filename: str = "", actor: Actor, post: bool = True
) -> ImportResult:
    """Import a bank file: store, match, post (see the module's docstring)."""
    digest = hashlib.sha256(data).hexdigest()
    statement = Statement.objects.filter(sha256=digest).first()
    if statement is not None and statement.finished:
        return ImportResult(
            statement, statement.lines.count(), dict.fromkeys(STATUSES, 0), statement.pk
        )
    if statement is None:
        try:
            parsed = statement_parse(data)
        except StatementRefused as refused:
            raise StatementRejected(
                f"The file was refused, nothing was written: {refused.message}"
            ) from None
        statement = _statement_store(parsed, digest, filename[:255], actor)
    bank_lines_match(statement=statement)
    if post:
        bank_lines_post(statement=statement, actor=actor)
        Statement.objects.filter(pk=statement.pk).update(finished=True)
        statement.finished = True
    counts = Counter(statement.lines.values_list("status", flat=True))
    return ImportResult(
        statement, sum(counts.values()), {s: counts.get(s, 0) for s in STATUSES}, None
    )


def dedup_key(raw: RawLine, occurrence: int) -> str:
    """Two files report the same line when the bank's reference, the amount and the
    direction agree; a line without a reference is known by everything it says."""
    money = f"{raw.amount}|{raw.amount.currency}|{raw.direction}"
    if raw.bank_reference:
        return f"ref|{raw.bank_reference}|{money}"[:260]
    said = f"{raw.booked_on}|{raw.payer}|{raw.text}"
    digest = hashlib.sha256(said.encode()).hexdigest()[:24]
    return f"noref|{money}|{digest}|{occurrence}"


def _statement_store(parsed: ParsedStatement, digest: str, filename: str, actor: Actor):
    occurrences: Counter = Counter()
    keyed = []
    for raw in parsed.lines:
        base = dedup_key(raw, 0)
        occurrences[base] += 1
        keyed.append((raw, dedup_key(raw, occurrences[base]) if not raw.bank_reference else base))
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                sha256=digest,
                format=parsed.format,
                filename=filename,
                account=parsed.account[:200],
                imported_by=actor.label,
            )
            seen = _originals([key for _, key in keyed])
            firsts: list[dict] = []
            repeats: list[tuple[dict, str]] = []
            in_file: set[str] = set()
            for raw, key in keyed:
                row = _line_row(statement, raw, key)
                original = seen.get(key)
                if original is not None:
                    row["duplicate_of_id"] = original.pk
                    row["status"] = LineStatus.IGNORED
                    row["reason"] = (
                        f"Already imported: statement {original.statement_id}, "
                        f"line {original.position} (the same bank reference and amount)."
                    )
                    firsts.append(row)
                elif key in in_file:
                    repeats.append((row, key))
                else:
                    in_file.add(key)
                    firsts.append(row)
            ids = rows_insert(BankLine, firsts, ids=True)
            first_of = {
                row["dedup_key"]: (pk, row["position"])
                for pk, row in zip(ids, firsts, strict=True)
                if row["duplicate_of_id"] is None
            }
            for row, key in repeats:
                pk, position = first_of[key]
                row["duplicate_of_id"] = pk
                row["status"] = LineStatus.IGNORED
                row["reason"] = f"Repeats line {position} of this file."
            rows_insert(BankLine, [row for row, _ in repeats])
            rows = firsts + [row for row, _ in repeats]
            audit_record(
                actor=actor,
                action="bank.statement_imported",
                object_type="Statement",
                object_id=str(statement.pk),
                after={"format": parsed.format, "lines": len(rows), "sha256": digest},
            )
    except IntegrityError:
        existing = Statement.objects.filter(sha256=digest).first()
        if existing is None:
            raise
        return existing  # the same file, imported at the same moment by someone else
    return statement


def _originals(keys: Sequence[str]) -> dict[str, BankLine]:
    found: dict[str, BankLine] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for line in BankLine.objects.filter(dedup_key__in=chunk, duplicate_of__isnull=True).only(
            "id", "statement_id", "position", "dedup_key"
        ):
            found[line.dedup_key] = line
    return found


def _line_row(statement: Statement, raw: RawLine, key: str) -> dict:
    """A line's row, as `rows_insert` writes it (10,000 lines are one file)."""
    ignored = bool(raw.ignore_reason) or raw.direction == Direction.DEBIT
    return {
        "statement_id": statement.pk,
        "position": raw.position,
        "booked_on": raw.booked_on,
        "amount_minor": raw.amount.minor,
        "currency": raw.amount.currency,
        "direction": str(raw.direction),
        "kind": str(raw.kind),
        "code": raw.code[:32],
        "bank_reference": raw.bank_reference[:200],
        "customer_reference": raw.customer_reference[:200],
        "payer": raw.payer[:200],
        "payer_account": raw.payer_account.replace(" ", "").upper()[:64],
        "text": raw.text,
        "documents": [[n, str(a) if a is not None else None] for n, a in raw.documents],
        "dedup_key": key,
        "duplicate_of_id": None,
        "status": LineStatus.IGNORED if ignored else LineStatus.NEW,
        "reason": raw.ignore_reason or ("A debit." if ignored else ""),
    }


def line_facts(line: BankLine) -> LineFacts:
    return LineFacts(
        amount=line.amount,
        text=line.text,
        payer=line.payer,
        payer_account=line.payer_account,
        customer_reference=line.customer_reference,
        documents=tuple(
            (n, Money.of(a, line.currency) if a is not None else None) for n, a in line.documents
        ),
        deposit=line.kind == Kind.DEPOSIT,
    )


def bank_lines_match(*, statement: Statement) -> int:
    """Decide every `new` line of `statement`; returns how many were decided."""
    lines = list(statement.lines.filter(status=LineStatus.NEW).order_by("position", "id"))
    if not lines:
        return 0
    directory = directory_load({line.currency for line in lines})
    claimed: dict[int, int] = defaultdict(int)
    deposits: set[int] = set()
    for line in lines:
        decision = line_decide(line_facts(line), directory)
        decision = _claim(decision, line, claimed, deposits)
        _decision_apply(line, decision)
    with transaction.atomic():
        lines_decided_write(lines)
    return len(lines)


def _claim(decision: Decision, line: BankLine, claimed: dict[int, int], deposits: set[int]):
    """Two lines of one file never post to one invoice's balance twice, nor to one deposit."""
    if decision.status != POSTED:
        return decision
    if decision.deposit_id is not None:
        if decision.deposit_id in deposits:
            return Decision(REVIEW, "Another line of this file matched this deposit.", 30)
        deposits.add(decision.deposit_id)
        return decision
    over = [i for i, a in decision.allocations if claimed[i.id] + a.minor > i.balance_minor]
    if over:
        return Decision(
            REVIEW,
            f"{decision.reason} But another line of this file pays "
            f"{', '.join(i.number for i in over)} too.",
            50,
            decision.customer_id,
            decision.allocations,
        )
    for invoice, amount in decision.allocations:
        claimed[invoice.id] += amount.minor
    return decision


def _decision_apply(line: BankLine, decision: Decision) -> None:
    status = decision.status
    if status == POSTED:
        status = LineStatus.POSTED if decision.deposit_id is not None else LineStatus.MATCHED
    line.status = status
    line.reason = decision.reason[:500]
    line.confidence = decision.confidence
    line.customer_id = decision.customer_id
    line.deposit_id = decision.deposit_id
    line.allocations = [
        {"invoice": invoice.number, "amount": str(amount)}
        for invoice, amount in decision.allocations
    ]


def bank_lines_post(*, statement: Statement, actor: Actor) -> int:
    """Post every `matched` line of `statement`, each in its own transaction."""
    ids = list(
        statement.lines.filter(status=LineStatus.MATCHED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for line_id in ids:
        bank_line_post(line_id=line_id, actor=actor)
    return len(ids)


def idempotency_key(line: BankLine) -> str:
    """The payment's key: the bank's reference (what makes a re-import post nothing)."""
    if line.bank_reference:
        return f"bank:{line.bank_reference}:{line.amount}"[:255]
    return f"bank-line:{line.dedup_key}"[:255]


def bank_line_post(*, line_id: int, actor: Actor) -> BankLine:
    """Post one `matched` line with the allocations decided for it; a line the books no
    longer fit (an invoice paid meanwhile) goes to review with the reason."""
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line_id)
        if line.status != LineStatus.MATCHED:
            return line
        requests = [
            InvoiceRequest(a["invoice"], Money.of(a["amount"], line.currency))
            for a in line.allocations
        ]
        try:
            _line_pay(line, line.customer, requests, actor)
        except RemitError as error:
            line.status = LineStatus.REVIEW
            line.reason = f"Not posted: {error.message} ({line.reason})"[:500]
            line.confidence = min(line.confidence, 50)
            line.save(update_fields=["status", "reason", "confidence"])
        return line


def _line_pay(
    line: BankLine, customer: Customer, requests: list[InvoiceRequest], actor: Actor
) -> Payment:
    """The payment for `line`, its move to the bank in the journal, the line posted. Inside
    the caller's transaction (the line locked); a savepoint keeps a refusal harmless."""
    payment_type = PAYMENT_TYPES.get(Kind(line.kind), PaymentType.BANK_TRANSFER)
    with transaction.atomic():
        payment = payment_take(
            customer=customer,
            amount=line.amount,
            payment_type=payment_type,
            idempotency_key=idempotency_key(line),
            actor=actor,
            source=Source.BANK,
            invoices=requests or None,
            reference=free_text_parse(line.bank_reference[:64], what="reference"),
            post_date=line.booked_on,
            notes=f"Bank statement {line.statement_id}, line {line.position}.",
        )
        journal_post(
            posted_on=line.booked_on,
            reference=payment.number,
            description=f"{payment.number} received at the bank (statement {line.statement_id})",
            postings=[
                Posting.debit(Account.BANK, line.amount),
                Posting.credit(Account.UNDEPOSITED_FUNDS, line.amount),
            ],
        )
        Payment.objects.filter(pk=payment.pk).update(banked_on=line.booked_on)
        line.status = LineStatus.POSTED
        line.payment = payment
        line.customer = customer
        line.allocations = [
            {"invoice": a.invoice.number, "amount": str(a.amount)}
            for a in payment.allocations.select_related("invoice")
        ]
        line.save(update_fields=["status", "payment", "customer", "allocations"])
    return payment


def bank_line_get(*, line_id: int) -> BankLine:
    try:
        return BankLine.objects.select_related("customer", "payment").get(pk=line_id)
    except (BankLine.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"Bank line {line_id} does not exist.") from None


def bank_line_accept(
    *,
    line_id: int,
    actor: Actor,
    customer: Customer | None = None,
    invoices: Sequence[InvoiceRequest] | None = None,
) -> BankLine:
    """A clerk accepts a line: the suggestion as it is, or another customer and invoices
    (invoices named with an amount get it, the rest spreads oldest first over the named
    ones; with none named, over the customer's open invoices; what is left is credit).
    The payer's name and bank account are remembered for that customer."""
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=bank_line_get(line_id=line_id).pk)
        if line.status not in (LineStatus.REVIEW, LineStatus.UNMATCHED):
            raise RemitError(
                f"Bank line {line.pk} is {line.status}; only lines in review or unmatched "
                "can be accepted.",
                fields={"line": line.status},
            )
        if line.kind == Kind.DEPOSIT and customer is None:
            raise RemitError("A deposit line is matched to a deposit slip, not accepted.")
        if customer is None:
            if line.customer_id is None:
                raise RemitError(
                    "This line has no suggested customer: choose one.",
                    fields={"customer": "required"},
                )
            customer = line.customer
            if invoices is None:
                invoices = [
                    InvoiceRequest(a["invoice"], Money.of(a["amount"], line.currency))
                    for a in line.allocations
                ]
        _line_pay(line, customer, list(invoices or []), actor)
        line.decided_by = actor.label
        line.reason = f"Accepted by {actor.label}. {line.reason}"[:500]
        line.confidence = 100
        line.save(update_fields=["decided_by", "reason", "confidence"])
        payer_remember(line=line, customer=customer)
        audit_record(
            actor=actor,
            action="bank.line_accepted",
            object_type="BankLine",
            object_id=str(line.pk),
            after={"customer": customer.number, "payment": line.payment.number},
        )
        return line


def payer_remember(*, line: BankLine, customer: Customer) -> None:
    """Remember who pays with this name and this account, for the next statement. A name
    or account already remembered for another customer is forgotten instead: it names
    no one for certain ('ACCOUNTS PAYABLE', a payment processor)."""
    name = name_key(line.payer)
    for kind, key in ((PayerKind.NAME, name), (PayerKind.ACCOUNT, line.payer_account)):
        if not key:
            continue
        key = key[:200]
        known = PayerMemory.objects.filter(kind=kind, key=key).first()
        if known is None:
            PayerMemory.objects.create(kind=kind, key=key, customer=customer)
        elif known.customer_id != customer.pk:
            known.delete()


def bank_line_ignore(*, line_id: int, reason: str, actor: Actor) -> BankLine:
    """A clerk sets a line aside (not a customer's payment, handled elsewhere)."""
    reason = free_text_parse(reason, what="reason").strip()
    if not reason:
        raise RemitError("Say why the line is ignored.", fields={"reason": "required"})
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=bank_line_get(line_id=line_id).pk)
        if line.status not in (LineStatus.REVIEW, LineStatus.UNMATCHED):
            raise RemitError(
                f"Bank line {line.pk} is {line.status}; only lines in review or unmatched "
                "can be ignored.",
                fields={"line": line.status},
            )
        before = line.status
        line.status = LineStatus.IGNORED
        line.reason = f"Ignored by {actor.label}: {reason}"[:500]
        line.decided_by = actor.label
        line.save(update_fields=["status", "reason", "decided_by"])
        audit_record(
            actor=actor,
            action="bank.line_ignored",
            object_type="BankLine",
            object_id=str(line.pk),
            before={"status": before},
            after={"status": "ignored", "reason": reason},
        )
        return line
