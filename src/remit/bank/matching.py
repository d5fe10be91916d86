"""The decision for one credit line: which customer, which invoices, and how sure. Pure:
no Django, no database; the service loads a `Directory` set-based and calls `line_decide`
for every line.

A line is **posted** only when its customer and allocations are certain:

1. structured remittance names open invoices of one customer, with amounts that add up
   to the line, each within its invoice's balance; or
2. the invoices referenced (structured, or in the text however written) are all open,
   belong to one customer, and their balances add up to the line exactly; or
3. the payer is known for certain (a customer number in the text, a remembered bank
   account or name, or a name that matches one customer closely) and exactly one of its
   open invoices, or exactly one set of them, adds up to the line.

and nothing speaks against it: no other customer named by the payer, no invoice-like
number left unexplained. Anything less is **review**, with the best suggestion and a
reason a clerk can read; a line with no plausible customer is **unmatched**.
A deposit line (the business's own deposit at the bank) is matched to the deposit slip
of its amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from remit.bank.names import MARGIN, STRONG, NameIndex, name_key
from remit.bank.references import (
    Mentions,
    digits_key,
    full_key,
    mentions,
    number_parts,
    prefix_of,
)
from remit.bank.subsets import subset_summing
from remit.core.money import Money, minor_digits

POSTED, REVIEW, UNMATCHED = "posted", "review", "unmatched"
SHORT_SHARE = 0.05
SHORT_FIXED = 50
"""A line short of its invoices by up to 5%, or up to 50 units of the currency (a wire
fee) but less than half, is a fee or a discount: reported in review, never absorbed."""


class OpenInvoice(NamedTuple):
    id: int
    number: str
    customer_id: int
    currency: str
    balance_minor: int
    invoice_date: date
    due_date: date

    @property
    def age(self) -> tuple[date, date, str]:
        return (self.invoice_date, self.due_date, self.number)


class CustomerInfo(NamedTuple):
    id: int
    number: str
    name: str
    currency: str


class OpenDeposit(NamedTuple):
    id: int
    number: str
    currency: str
    total_minor: int


@dataclass(frozen=True)
class LineFacts:
    """What the matcher reads of a line."""

    amount: Money
    text: str = ""
    payer: str = ""
    payer_account: str = ""
    customer_reference: str = ""
    documents: tuple[tuple[str, Money | None], ...] = ()
    deposit: bool = False


@dataclass
class Directory:
    """Everything the matcher may look up, loaded once for a whole file."""

    customers: dict[int, CustomerInfo]
    open_by_customer: dict[int, list[OpenInvoice]]
    names: NameIndex
    remembered_names: dict[str, int] = field(default_factory=dict)
    remembered_accounts: dict[str, int] = field(default_factory=dict)
    deposits: list[OpenDeposit] = field(default_factory=list)
    by_full: dict[str, OpenInvoice] = field(default_factory=dict)
    by_digits: dict[str, list[OpenInvoice]] = field(default_factory=dict)
    customers_by_full: dict[str, int] = field(default_factory=dict)
    prefixes: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        *,
        customers: Sequence[CustomerInfo],
        invoices: Sequence[OpenInvoice],
        remembered_names: dict[str, int] | None = None,
        remembered_accounts: dict[str, int] | None = None,
        deposits: Sequence[OpenDeposit] = (),
        presorted: bool = False,
    ) -> Directory:
        """`presorted`: the invoices come oldest first already (the database sorted them)."""
        open_by_customer: dict[int, list[OpenInvoice]] = defaultdict(list)
        by_full: dict[str, OpenInvoice] = {}
        by_digits: dict[str, list[OpenInvoice]] = defaultdict(list)
        prefixes: set[str] = set()
        for invoice in invoices if presorted else sorted(invoices, key=lambda i: i.age):
            open_by_customer[invoice.customer_id].append(invoice)
            prefix, key, digits = number_parts(invoice.number)
            by_full[key] = invoice
            if digits:
                by_digits[digits].append(invoice)
            if prefix:
                prefixes.add(prefix)
        return cls(
            customers={c.id: c for c in customers},
            open_by_customer=dict(open_by_customer),
            names=NameIndex((c.id, c.name) for c in customers),
            remembered_names=dict(remembered_names or {}),
            remembered_accounts=dict(remembered_accounts or {}),
            deposits=list(deposits),
            by_full=by_full,
            by_digits=dict(by_digits),
            customers_by_full={full_key(c.number): c.id for c in customers},
            prefixes=prefixes,
        )


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str
    confidence: int = 0
    customer_id: int | None = None
    allocations: tuple[tuple[OpenInvoice, Money], ...] = ()
    deposit_id: int | None = None

    @property
    def applied(self) -> int:
        return sum(amount.minor for _, amount in self.allocations)


@dataclass(frozen=True)
class Identity:
    """Who the payer is, as far as the line says, and how sure."""

    customer_id: int
    strong: bool
    why: str


# --- the decision --------------------------------------------------------------------


def line_decide(line: LineFacts, directory: Directory) -> Decision:
    if line.deposit:
        return _deposit(line, directory)
    amount = line.amount
    reference = line.customer_reference
    said = mentions(" ".join([line.text, reference if not reference.isdigit() else ""]))
    documents = [(n, a) for n, a in line.documents if a is None or a.currency == amount.currency]
    by_number, by_digits, unexplained = _references(documents, said, amount.currency, directory)
    identities = _identities(line, said, directory)
    strong = [i for i in identities if i.strong]
    strong_ids = {i.customer_id for i in strong}
    # digits alone count for the customers named otherwise, if any are
    named = {i.customer_id for i in by_number} or strong_ids
    if named:
        by_digits = [i for i in by_digits if i.customer_id in named]
    refs = sorted([*by_number, *by_digits], key=lambda i: i.age)
    if refs:
        return _by_references(line, documents, refs, unexplained, identities, strong_ids, directory)
    if len(strong_ids) == 1:
        return _by_customer(line, strong[0], directory, unexplained)
    if identities:
        best = _best_identity(line, identities, directory)
        decision = _by_customer(line, best, directory, unexplained, certain=False)
        others = sorted(
            {directory.customers[i.customer_id].number for i in identities}
            - {directory.customers[best.customer_id].number}
        )
        extra = f" Also possible: {', '.join(others[:3])}." if others else ""
        return Decision(
            REVIEW,
            decision.reason + extra,
            min(decision.confidence, 60),
            decision.customer_id,
            decision.allocations,
        )
    return Decision(
        UNMATCHED,
        "No customer is named: no invoice or customer number found, and the payer "
        f"'{line.payer or '(none)'}' matches no customer.",
        0,
    )


def _money(minor: int, currency: str) -> Money:
    return Money.from_minor(minor, currency)


def _fmt(minor: int, currency: str) -> str:
    return _money(minor, currency).format()


def _names(invoices: Sequence[OpenInvoice]) -> str:
    numbers = [i.number for i in invoices]
    return ", ".join(numbers[:6]) + (f" and {len(numbers) - 6} more" if len(numbers) > 6 else "")


def _references(
    documents: Sequence[tuple[str, Money | None]],
    said: Mentions,
    currency: str,
    directory: Directory,
) -> tuple[list[OpenInvoice], list[OpenInvoice], list[str]]:
    """Open invoices referenced (in the line's currency): by their full number (or in
    structured remittance), and by digits alone; and invoice-like numbers that name no open
    invoice (a paid one, a typo), which stop a line from posting by amount alone."""
    full: dict[int, OpenInvoice] = {}
    unexplained: list[str] = []
    for number, _ in documents:
        invoice = directory.by_full.get(full_key(number))
        if invoice is None:
            hits = directory.by_digits.get(digits_key(number) or "", [])
            invoice = hits[0] if len(hits) == 1 else None
        if invoice is not None and invoice.currency == currency:
            full[invoice.id] = invoice
        else:
            unexplained.append(number)
    customer_digits = {digits_key(k) for k in said.full if k in directory.customers_by_full}
    for key in said.full:
        invoice = directory.by_full.get(key)
        if invoice is not None and invoice.currency == currency:
            full[invoice.id] = invoice
        elif (
            prefix_of(key) in directory.prefixes
            and key not in directory.customers_by_full
            and not key.isdigit()
        ):
            unexplained.append(key)
    explained = {digits_key(i.number) for i in full.values()} | customer_digits
    by_digits: dict[int, OpenInvoice] = {}
    for digits in said.digits:
        if digits in explained:
            continue
        for invoice in directory.by_digits.get(digits, []):
            if invoice.currency == currency and invoice.id not in full:
                by_digits[invoice.id] = invoice
    found_digits = {digits_key(i.number) for i in by_digits.values()} | explained
    unexplained = [u for u in unexplained if digits_key(u) not in found_digits]
    return (
        sorted(full.values(), key=lambda i: i.age),
        sorted(by_digits.values(), key=lambda i: i.age),
        list(dict.fromkeys(unexplained)),
    )


def _identities(line: LineFacts, said: Mentions, directory: Directory) -> list[Identity]:
    out: list[Identity] = []
    for key in said.full:
        customer_id = directory.customers_by_full.get(key)
        if customer_id is not None:
            number = directory.customers[customer_id].number
            out.append(Identity(customer_id, True, f"customer number {number} in the text"))
    account = line.payer_account.replace(" ", "").upper()
    if account and account in directory.remembered_accounts:
        out.append(
            Identity(
                directory.remembered_accounts[account],
                True,
                f"bank account {account} paid for it before",
            )
        )
    name = name_key(line.payer)
    if name and name in directory.remembered_names:
        out.append(
            Identity(
                directory.remembered_names[name], True, f"payer '{line.payer}' paid for it before"
            )
        )
    if line.payer:
        hits = directory.names.lookup(line.payer)
        if hits:
            best_id, best = hits[0]
            rival = max((s for c, s in hits if c != best_id), default=0.0)
            strong = best >= STRONG and best - rival >= MARGIN
            for customer_id, score in hits:
                cname = directory.customers[customer_id].name
                out.append(
                    Identity(
                        customer_id,
                        strong and customer_id == best_id,
                        f"payer '{line.payer}' is like '{cname}' ({score:.0f}%)",
                    )
                )
    seen: set[int] = set()
    unique = []
    for identity in sorted(out, key=lambda i: not i.strong):
        if identity.customer_id not in seen:
            seen.add(identity.customer_id)
            unique.append(identity)
    currency = line.amount.currency
    same = [i for i in unique if _holds(directory, i.customer_id, currency)]
    return same or unique


def _holds(directory: Directory, customer_id: int, currency: str) -> bool:
    """The customer is billed in `currency`: by default, or by an open invoice in it."""
    if directory.customers[customer_id].currency == currency:
        return True
    return any(i.currency == currency for i in directory.open_by_customer.get(customer_id, []))


def _best_identity(line: LineFacts, identities: list[Identity], directory: Directory) -> Identity:
    """Among uncertain candidates, the first whose open invoices fit the amount."""
    for identity in identities:
        invoices = directory.open_by_customer.get(identity.customer_id, [])
        if any(
            i.balance_minor == line.amount.minor and i.currency == line.amount.currency
            for i in invoices
        ):
            return identity
    return identities[0]


def _by_references(
    line: LineFacts,
    documents: Sequence[tuple[str, Money | None]],
    refs: list[OpenInvoice],
    unexplained: list[str],
    identities: list[Identity],
    strong_ids: set[int],
    directory: Directory,
) -> Decision:
    amount = line.amount
    cur = amount.currency
    by_customer: dict[int, list[OpenInvoice]] = defaultdict(list)
    for invoice in refs:
        by_customer[invoice.customer_id].append(invoice)
    if len(by_customer) > 1:
        fitting = [
            c
            for c, invs in by_customer.items()
            if sum(i.balance_minor for i in invs) == amount.minor
        ]
        chosen = (
            fitting[0]
            if len(fitting) == 1
            else max(by_customer, key=lambda c: (c in strong_ids, len(by_customer[c])))
        )
        invs = by_customer[chosen]
        numbers = ", ".join(sorted(directory.customers[c].number for c in by_customer))
        return _review(
            line,
            chosen,
            invs,
            directory,
            f"The invoices referenced belong to several customers ({numbers}).",
            50,
        )
    customer_id, invs = next(iter(by_customer.items()))
    cust = directory.customers[customer_id]
    total = sum(i.balance_minor for i in invs)
    named = f"{_names(invs)} referenced"
    if strong_ids and customer_id not in strong_ids:
        other = ", ".join(sorted(directory.customers[c].number for c in strong_ids))
        return _review(
            line,
            customer_id,
            invs,
            directory,
            f"{named} ({cust.number}), but the payer looks like {other}.",
            40,
        )
    if unexplained:
        return _review(
            line,
            customer_id,
            invs,
            directory,
            f"{named}, but {', '.join(unexplained[:3])} names no open invoice "
            "(already paid, or a typo?).",
            60,
        )
    # structured amounts per document
    doc_amounts = {full_key(n): a for n, a in documents if a is not None}
    if doc_amounts and len(doc_amounts) == len(documents) == len(invs):
        allocations = []
        for invoice in invs:
            paid = doc_amounts.get(full_key(invoice.number))
            if paid is None:
                match = [a for n, a in documents if digits_key(n) == digits_key(invoice.number)]
                paid = match[0] if match else None
            if paid is None:
                break
            allocations.append((invoice, paid))
        if len(allocations) == len(invs) and sum(a.minor for _, a in allocations) == amount.minor:
            if all(a.minor <= i.balance_minor for i, a in allocations):
                return Decision(
                    POSTED,
                    f"{named} in the remittance, with amounts that add up to "
                    f"the payment ({cust.number}).",
                    100,
                    customer_id,
                    tuple(allocations),
                )
            return _review(
                line,
                customer_id,
                invs,
                directory,
                f"{named}: the remittance pays more than an invoice's balance.",
                60,
            )
    if total == amount.minor:
        return Decision(
            POSTED,
            f"{named}; {'its balance is' if len(invs) == 1 else 'their balances add up to'} "
            f"the payment ({cust.number}).",
            100,
            customer_id,
            tuple((i, _money(i.balance_minor, cur)) for i in invs),
        )
    if total > amount.minor:
        short = total - amount.minor
        fixed_minor = SHORT_FIXED * 10 ** minor_digits(cur)
        if short <= total * SHORT_SHARE or (short <= fixed_minor and short * 2 < total):
            return _review(
                line,
                customer_id,
                invs,
                directory,
                f"{named}; the payment is short by {_fmt(short, cur)} "
                "(a bank fee or a discount taken?).",
                80,
            )
        # the amount may pay a subset of the referenced invoices
        result = subset_summing([i.balance_minor for i in invs], amount.minor)
        if result.first is not None:
            chosen = [invs[k] for k in result.first]
            return _review(
                line,
                customer_id,
                chosen,
                directory,
                f"{named}; only {_names(chosen)} add up to the payment.",
                70,
                exact=True,
            )
        return _review(
            line,
            customer_id,
            invs,
            directory,
            f"{named} ({_fmt(total, cur)} due); the payment of "
            f"{amount.format()} pays part of them.",
            60,
        )
    more = amount.minor - total
    return _review(
        line,
        customer_id,
        invs,
        directory,
        f"{named}; the payment is {_fmt(more, cur)} more than their balances "
        "(the rest would be credit).",
        70,
    )


def _by_customer(
    line: LineFacts,
    identity: Identity,
    directory: Directory,
    unexplained: list[str],
    *,
    certain: bool = True,
) -> Decision:
    amount = line.amount
    cur = amount.currency
    customer_id = identity.customer_id
    cust = directory.customers[customer_id]
    # A customer may hold invoices in several currencies: a line pays only those of its own.
    invoices = [i for i in directory.open_by_customer.get(customer_id, []) if i.currency == cur]
    who = f"{cust.number} ({identity.why})"
    if not invoices and cust.currency != cur:
        return Decision(REVIEW, f"{who} has no open invoice in {cur}.", 30, customer_id)
    if not invoices:
        return Decision(
            REVIEW, f"{who} has no open invoice; the payment would be credit.", 50, customer_id
        )
    exact = [i for i in invoices if i.balance_minor == amount.minor]
    blocked = (
        (f" ({', '.join(unexplained[:3])} names no open invoice: already paid, or a typo?)")
        if unexplained
        else ""
    )
    if len(exact) == 1:
        invoice = exact[0]
        if certain and not unexplained:
            return Decision(
                POSTED,
                f"{who}: {invoice.number} is its one open invoice of this amount.",
                95,
                customer_id,
                ((invoice, amount),),
            )
        return Decision(
            REVIEW,
            f"{who}: {invoice.number} has this balance.{blocked}",
            75,
            customer_id,
            ((invoice, amount),),
        )
    if len(exact) > 1:
        return Decision(
            REVIEW,
            f"{who}: {len(exact)} open invoices have this balance "
            f"({_names(exact)}); the oldest is suggested.{blocked}",
            70,
            customer_id,
            ((exact[0], amount),),
        )
    result = subset_summing([i.balance_minor for i in invoices], amount.minor)
    if result.first is not None:
        chosen = tuple((invoices[k], _money(invoices[k].balance_minor, cur)) for k in result.first)
        names = _names([i for i, _ in chosen])
        if certain and result.unique and result.complete and not unexplained:
            return Decision(
                POSTED,
                f"{who}: {names} are its one set of open invoices adding up to the payment.",
                90,
                customer_id,
                chosen,
            )
        why = (
            "several sets of its invoices add up to it; the oldest is suggested"
            if not result.unique
            else "they add up to the payment"
        )
        return Decision(REVIEW, f"{who}: {names}: {why}.{blocked}", 65, customer_id, chosen)
    return _review(
        line,
        customer_id,
        invoices,
        directory,
        f"{who}: no open invoice or set of them adds up to {amount.format()}; "
        "oldest first suggested.",
        50,
    )


def _review(
    line: LineFacts,
    customer_id: int,
    invoices: Sequence[OpenInvoice],
    directory: Directory,
    reason: str,
    confidence: int,
    *,
    exact: bool = False,
) -> Decision:
    """Review, suggesting `invoices` paid oldest first up to the line's amount."""
    amount = line.amount
    left = amount.minor
    allocations = []
    for invoice in sorted(invoices, key=lambda i: i.age):
        if left <= 0:
            break
        part = min(left, invoice.balance_minor)
        allocations.append((invoice, _money(part, amount.currency)))
        left -= part
    return Decision(REVIEW, reason, confidence, customer_id, tuple(allocations))


def _deposit(line: LineFacts, directory: Directory) -> Decision:
    amount = line.amount
    said = set(mentions(line.text).full)
    named = [d for d in directory.deposits if full_key(d.number) in said]
    same = [
        d
        for d in directory.deposits
        if d.currency == amount.currency and d.total_minor == amount.minor
    ]
    if named:
        deposit = named[0]
        if deposit.currency == amount.currency and deposit.total_minor == amount.minor:
            return Decision(
                POSTED, f"Deposit {deposit.number} (named, same total).", 100, deposit_id=deposit.id
            )
        return Decision(
            REVIEW,
            f"Deposit {deposit.number} is named, but its total is "
            f"{_fmt(deposit.total_minor, deposit.currency)}.",
            40,
        )
    if len(same) == 1:
        return Decision(
            POSTED,
            f"Deposit {same[0].number}: the one open deposit of this total.",
            95,
            deposit_id=same[0].id,
        )
    if same:
        return Decision(
            REVIEW,
            f"{len(same)} open deposits have this total ({', '.join(d.number for d in same[:4])}).",
            40,
        )
    return Decision(UNMATCHED, "A deposit at the bank, but no open deposit slip has this total.")
