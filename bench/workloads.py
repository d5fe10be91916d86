"""The bench's data and timed runs, inside a configured Django (see bench/worker.py).

Everything here runs against one throwaway database: migrations, invoices, then the
timed runs of remit's `payment_post` and of the same writes in plain SQL (bench/plain.py)
on a second, raw driver connection to the same database. Nothing is timed but the posting.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.plain import COLUMNS, TABLES, PlainPoster
from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.models import AuditEvent, Counter
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.csv_import import InvoiceRow
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.services import invoices_create
from remit.ledger.models import JournalEntry, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Allocation, Payment, PaymentEvent
from remit.payments.services.offline import payment_post

SETUP = Actor(label="bench-setup")
REMIT = Actor(label="bench-remit")
PLAIN = "bench-plain"
SOURCE = "backoffice"
CREATE_CHUNK = 5000
BLOCKS = 50  # remit and plain SQL alternate in blocks of 100, so drifts weigh on both


@dataclass(frozen=True)
class Config:
    backend: str
    payments: int = 5000
    warmup: int = 100
    customers: int = 50
    lump_invoices: int = 10_000
    lump_runs: int = 3
    lump_warmup: int = 1000
    profile_dir: str | None = None


@dataclass(frozen=True)
class Target:
    customer: str
    invoice: str
    total_minor: int


def say(config: Config, message: str) -> None:
    print(f"[{config.backend}] {message}", flush=True)


def run(config: Config) -> dict[str, Any]:
    started = time.perf_counter()
    extras = _plain_schema()
    call_command("migrate", verbosity=0, interactive=False)
    say(config, f"migrated in {time.perf_counter() - started:.1f}s")
    for table, defaults in extras.items():
        say(config, f"plain SQL writes the model defaults of {TABLES[table]}: {defaults}")

    made = time.perf_counter()
    single = config.warmup + config.payments
    remit_singles = _invoices("SR", config.customers, single)
    plain_singles = _invoices("SP", config.customers, single)
    lumps = {
        side: [_invoices(f"L{side}W", 1, config.lump_warmup)]
        + [_invoices(f"L{side}{run}", 1, config.lump_invoices) for run in range(config.lump_runs)]
        for side in ("R", "P")
    }
    customers = {c.number: c for c in Customer.objects.all()}
    ids = {number: c.id for number, c in customers.items()}
    count = Invoice.objects.count()
    _analyze()
    say(config, f"created {count:,} invoices in {time.perf_counter() - made:.1f}s")

    raw = _raw_connection()
    plain = PlainPoster(raw, connection.vendor, actor=PLAIN, source=SOURCE, extras=extras)
    profiler = _Profiler(config)
    result: dict[str, Any] = {"backend": config.backend, "invoices": count}
    result["load_before"] = os.getloadavg()[0]
    try:
        # 1 and 2: single-invoice payments. After a warm-up of each, remit and plain SQL
        # take turns in blocks, so that whatever else the machine does weighs on both.
        _remit_singles(remit_singles[: config.warmup], customers, "warm")
        _plain_singles(plain, plain_singles[: config.warmup], ids, "warm")
        remit_s = plain_s = 0.0
        step = max(1, config.payments // BLOCKS)
        for first in range(config.warmup, single, step):
            block = slice(first, min(first + step, single))
            remit_s += profiler.run(
                "singles", lambda b=block: _remit_singles(remit_singles[b], customers, "s", b.start)
            )
            plain_s += _plain_singles(plain, plain_singles[block], ids, "s", block.start)
        say(config, f"{config.payments:,} payments: remit {remit_s:.2f}s, plain SQL {plain_s:.2f}s")
        result["singles"] = {"n": config.payments, "remit_s": remit_s, "plain_s": plain_s}

        # 3: one lump sum over all of a customer's open invoices (the first run warms up).
        _analyze()
        remit_times, plain_times = [], []
        for run_index, (remit_targets, plain_targets) in enumerate(
            zip(lumps["R"], lumps["P"], strict=True)
        ):
            remit_t = profiler.run(
                "lump" if run_index else None,
                lambda t=remit_targets, r=run_index: _remit_lump(t, customers, r),
            )
            plain_t = _plain_lump(plain, plain_targets, ids, run_index)
            if run_index:
                remit_times.append(remit_t)
                plain_times.append(plain_t)
                say(
                    config,
                    f"lump over {len(remit_targets):,} invoices: remit {remit_t:.3f}s,"
                    f" plain SQL {plain_t:.3f}s",
                )
        result["lump"] = {
            "n": config.lump_invoices,
            "remit_s": remit_times,
            "plain_s": plain_times,
        }
    finally:
        raw.close()
    result["load_after"] = os.getloadavg()[0]
    profiler.report()

    checked = time.perf_counter()
    result["verify"] = _verify(config)
    say(
        config,
        f"verified in {time.perf_counter() - checked:.1f}s: "
        + ("ok" if result["verify"]["ok"] else "; ".join(result["verify"]["problems"])),
    )
    result["total_s"] = time.perf_counter() - started
    return result


# --- data ------------------------------------------------------------------------------


def _invoices(prefix: str, customers: int, count: int) -> list[Target]:
    """`count` open USD invoices over `customers` customers (created as needed),
    round-robin, in bulk through remit's invoices_create; returned in paying order."""
    today = timezone.localdate()
    rows = []
    for i in range(count):
        customer = f"B-{prefix}-{i % customers:03d}"
        invoice_date = today - timedelta(days=30 + (i * 7919) % 3650)
        rows.append(
            InvoiceRow(
                line=i + 2,
                number=f"{prefix}-{i:06d}",
                customer_number=customer,
                customer_name=f"Bench customer {customer}",
                invoice_date=invoice_date,
                due_date=invoice_date + timedelta(days=30),
                total=Money.from_minor(1000 + (i * 7907) % 500_000, "USD"),
                description="",
            )
        )
    for start in range(0, len(rows), CREATE_CHUNK):
        invoices_create(rows=rows[start : start + CREATE_CHUNK], actor=SETUP, reference=prefix)
    return [Target(r.customer_number, r.number, r.total.minor) for r in rows]


def _plain_schema() -> dict[str, dict[str, Any]]:
    """Check bench/plain.py against remit's models: same tables, and every column it
    writes exists. Returns the model columns it does not name, with their defaults."""
    models = {
        "customer": Customer,
        "invoice": Invoice,
        "counter": Counter,
        "payment": Payment,
        "allocation": Allocation,
        "entry": JournalEntry,
        "line": JournalLine,
        "event": PaymentEvent,
        "audit": AuditEvent,
    }
    extras: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        if TABLES[name] != model._meta.db_table:
            raise LookupError(f"{model.__name__} is stored in {model._meta.db_table}")
        if name not in COLUMNS:
            continue
        fields = {f.column: f for f in model._meta.concrete_fields if not f.primary_key}
        unknown = set(COLUMNS[name]) - set(fields)
        if unknown:
            raise LookupError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
        for column, field in fields.items():
            if column not in COLUMNS[name]:
                default = field.get_default()
                if default is None and not field.null:
                    raise LookupError(f"bench/plain.py does not write {model.__name__}.{column}")
                extras.setdefault(name, {})[column] = default
    return extras


def _analyze() -> None:
    """Statistics for the planner on PostgreSQL, as autovacuum keeps them on a live server
    (the bench server may run without it). Untimed, and the same for both sides.

    Tables still empty are left alone: analysed while empty, they are planned as empty
    for good (a generic plan cached then, such as a foreign-key check, seq-scans them
    later), where a never-analysed table gets PostgreSQL's small-table allowance.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in TABLES.values():
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if cursor.fetchone()[0]:
                cursor.execute(f"ANALYZE {table}")


def _raw_connection() -> Any:
    """A second connection to the bench database, on the bare driver."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        raw = sqlite3.connect(db["NAME"], isolation_level=None, timeout=20)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=20000",
            "foreign_keys=ON",
        ):
            raw.execute(f"PRAGMA {pragma}")
        return raw
    import psycopg

    params = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v})


# --- timed runs ------------------------------------------------------------------------


def _remit_singles(
    targets: list[Target], customers: dict[str, Customer], tag: str, offset: int = 0
) -> float:
    start = time.perf_counter()
    for i, t in enumerate(targets, start=offset):
        payment_post(
            customer=customers[t.customer],
            amount=Money.from_minor(t.total_minor, "USD"),
            payment_type="check",
            idempotency_key=f"remit-{tag}-{i}",
            actor=REMIT,
            source=SOURCE,
            invoices=[InvoiceRequest(t.invoice)],
            reference=f"{100_000 + i}",
        )
    return time.perf_counter() - start


def _plain_singles(
    plain: PlainPoster, targets: list[Target], ids: dict[str, int], tag: str, offset: int = 0
) -> float:
    start = time.perf_counter()
    for i, t in enumerate(targets, start=offset):
        plain.post_single(
            customer_id=ids[t.customer],
            invoice_number=t.invoice,
            amount_minor=t.total_minor,
            key=f"plain-{tag}-{i}",
            reference=f"{100_000 + i}",
        )
    return time.perf_counter() - start


def _remit_lump(targets: list[Target], customers: dict[str, Customer], run: int) -> float:
    customer = customers[targets[0].customer]
    amount = Money.from_minor(sum(t.total_minor for t in targets), "USD")
    start = time.perf_counter()
    payment = payment_post(
        customer=customer,
        amount=amount,
        payment_type="check",
        idempotency_key=f"remit-lump-{run}",
        actor=REMIT,
        source=SOURCE,
        reference=f"L{run}",
    )
    elapsed = time.perf_counter() - start
    assert payment.allocations.count() == len(targets), payment.number
    return elapsed


def _plain_lump(plain: PlainPoster, targets: list[Target], ids: dict[str, int], run: int) -> float:
    customer_id = ids[targets[0].customer]
    amount = sum(t.total_minor for t in targets)
    start = time.perf_counter()
    plain.post_lump(
        customer_id=customer_id, amount_minor=amount, key=f"plain-lump-{run}", reference=f"L{run}"
    )
    return time.perf_counter() - start


class _Profiler:
    """With --profile, runs the remit work under cProfile, one profile per workload,
    accumulated over its blocks (the timings then include cProfile's overhead)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.profiles: dict[str, cProfile.Profile] = {}

    def run(self, name: str | None, work: Callable[[], float]) -> float:
        if not (self.config.profile_dir and name):
            return work()
        profile = self.profiles.setdefault(name, cProfile.Profile())
        return profile.runcall(work)

    def report(self) -> None:
        for name, profile in self.profiles.items():
            path = Path(self.config.profile_dir or ".") / f"{self.config.backend}-{name}.prof"
            profile.dump_stats(path)
            say(self.config, f"profile of remit {name} in {path}; by own time:")
            pstats.Stats(profile).sort_stats("tottime").print_stats(12)


# --- checks ----------------------------------------------------------------------------


def _verify(config: Config) -> dict[str, Any]:
    """Both sides wrote complete, consistent books: every invoice paid, the counts right,
    and remit's own whole-books audit clean."""
    problems = []
    unpaid = Invoice.objects.exclude(status=InvoiceStatus.PAID).count()
    if unpaid:
        problems.append(f"{unpaid} invoices are not paid")
    per_side = config.warmup + config.payments + 1 + config.lump_runs
    for actor in (REMIT.label, PLAIN):
        payments = Payment.objects.filter(actor=actor).count()
        if payments != per_side:
            problems.append(f"{actor} posted {payments} payments, not {per_side}")
        events = PaymentEvent.objects.filter(actor=actor).count()
        audits = AuditEvent.objects.filter(actor=actor, action="payment.posted").count()
        if events != per_side or audits != per_side:
            problems.append(f"{actor}: {events} payment events, {audits} audit events")
    allocations = Allocation.objects.count()
    if allocations != Invoice.objects.count():
        problems.append(f"{allocations} allocations for {Invoice.objects.count()} invoices")
    audit = books_audit()
    problems += audit.problems[:5]
    return {"ok": not problems, "problems": problems}
