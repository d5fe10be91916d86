"""The API's cost: payments through `POST /api/v1/payments` against `payment_take` directly.

In one process, on one throwaway database (a SQLite file in a temp dir, then a PostgreSQL
database), the same work both ways: N check payments, each paying one invoice
in full with its own idempotency key. Through the API each one is a whole request in
process (Django's middleware, URL routing, the API key, the Idempotency-Key row, JSON in
and out) by Django's test client, with no network and no server; directly, it is the
service call alone, with the arguments the API's view passes it (duplicate check
included). The two sides alternate in blocks, so that whatever else the machine
does weighs on both. Printed: payments/second each way and the ratio API/services
(target >= 0.5); the least an API request costs (an authenticated read of one customer,
timed in the same blocks) beside the time the target leaves the API over the service;
then the books audit.

    python -m bench.api_throughput [--payments 2000] [--backends sqlite,postgresql]

PostgreSQL runs on a database created and dropped at --pg-url (default
postgres://postgres@127.0.0.1:5432/remit_api_bench), and is skipped with one line when
the server does not answer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.5
BLOCKS = 10
CUSTOMERS = 50
PG_URL = "postgres://postgres@127.0.0.1:5432/remit_api_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_throughput")
    parser.add_argument("--payments", type=int, default=2000, help="each way (default 2000)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL, help="created for the run, then dropped")
    parser.add_argument("--one", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return _one(args)
    # Each backend in its own process: Django is configured once per process.
    failed = 0
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "postgresql":
            from bench.run import _pg_problem, _public

            problem = _pg_problem(args.pg_url)
            if problem:
                print(f"\nPostgreSQL not reachable at {_public(args.pg_url)} ({problem}): skipped.")
                continue
        command = [sys.executable, "-m", "bench.api_throughput", "--one", backend]
        command += ["--payments", str(args.payments), "--warmup", str(args.warmup)]
        command += ["--pg-url", args.pg_url]
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REMIT_DEBUG")}
        failed |= subprocess.run(command, env=env, check=False).returncode
    return 1 if failed else 0


def _one(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="remit-api-bench-"))
    postgres = args.one == "postgresql"
    os.environ["DATABASE_URL"] = args.pg_url if postgres else f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["REMIT_VAR_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.pop("REMIT_DEBUG", None)  # DEBUG would keep every query in memory
    # No line per request and payment among the figures (remit's INFO lines, which a
    # server writes; their cost is not in these figures).
    os.environ["REMIT_LOG_LEVEL"] = "WARNING"
    if postgres:
        from bench.run import _pg_recreate

        _pg_recreate(args.pg_url)
    try:
        return _run(args, "PostgreSQL" if postgres else "SQLite (a WAL file in a temp dir)")
    finally:
        if postgres:
            from django.db import connections

            from bench.run import _pg_drop

            connections.close_all()
            _pg_drop(args.pg_url)
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, backend: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    side = _Sides(args.warmup + args.payments)
    side.warm_up(args.warmup)

    api_s = services_s = read_s = 0.0
    step = max(1, args.payments // BLOCKS)
    for first in range(args.warmup, args.warmup + args.payments, step):
        block = range(first, min(first + step, args.warmup + args.payments))
        services_s += side.by_services(block)
        api_s += side.by_api(block)
        read_s += side.read_by_api(block)

    from remit.books.audit import books_audit

    audit = books_audit()
    problems = side.problems() + audit.problems[:5]
    api_rate, services_rate = args.payments / api_s, args.payments / services_s
    ratio = api_rate / services_rate
    print(f"\nAPI throughput: {args.payments:,} single-invoice check payments each way, {backend}")
    rows = [
        ("services (payment_take)", services_rate, services_s),
        ("API (POST /api/v1/payments)", api_rate, api_s),
    ]
    print(f"{'':30} {'payments/s':>11} {'ms/payment':>11}")
    for name, rate, seconds in rows:
        print(f"{name:30} {rate:>11,.0f} {seconds * 1000 / args.payments:>11.2f}")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio API/services: {ratio:.2f} (target >= {TARGET}: {verdict})")
    # What any API request costs before its own work, beside what the target leaves it.
    read_ms, allowed_ms = (
        read_s * 1000 / args.payments,
        (1 / TARGET - 1) * services_s * 1000 / args.payments,
    )
    print(
        f"least an API request costs (GET /api/v1/customers/{{number}}: the key, one read, "
        f"JSON): {read_ms:.2f} ms; the target leaves the API {allowed_ms:.2f} ms over the service"
    )
    print("books audit after the runs: " + ("ok" if not problems else "; ".join(problems)))
    return 0 if ratio >= TARGET and not problems else 1


class _Sides:
    """The invoices of each side, the API's key and client, and the two ways to pay."""

    def __init__(self, count: int) -> None:
        from django.test import Client

        from remit.core.audit import Actor
        from remit.integrations.keys import api_key_create

        self.count = count
        self.services_targets = _invoices("BS", count)
        self.api_targets = _invoices("BA", count)
        self.key = api_key_create(name="bench", scope="write", actor=Actor(label="bench")).key
        self.client = Client(SERVER_NAME="localhost")
        from remit.customers.models import Customer

        self.customers = {c.number: c for c in Customer.objects.all()}

    def warm_up(self, n: int) -> None:
        self.by_services(range(n))
        self.by_api(range(n))

    def by_services(self, block: range) -> float:
        from remit.core.audit import Actor
        from remit.core.money import Money
        from remit.payments.candidates import InvoiceRequest
        from remit.payments.models import Source
        from remit.payments.services.take import payment_take

        actor = Actor(label="bench-services")
        start = time.perf_counter()
        for i in block:
            customer, invoice, minor = self.services_targets[i]
            # The call the API's view makes for this request, with the same arguments: the
            # API's own cost is what the ratio measures, not a check it asks the service for.
            payment_take(
                customer=self.customers[customer],
                amount=Money.from_minor(minor, "USD"),
                payment_type="check",
                method=None,
                idempotency_key=f"services-{i}",
                actor=actor,
                source=Source.API,
                invoices=[InvoiceRequest(invoice)],
                reference=str(100_000 + i),
                write_offs=[],
                above_tolerance=True,
                allow_duplicate=False,
            )
        return time.perf_counter() - start

    def by_api(self, block: range) -> float:
        import json

        from remit.core.money import Money

        start = time.perf_counter()
        for i in block:
            customer, invoice, minor = self.api_targets[i]
            body = {
                "customer": customer,
                "amount": str(Money.from_minor(minor, "USD")),
                "type": "check",
                "reference": str(100_000 + i),
                "invoices": [{"number": invoice}],
            }
            response = self.client.post(
                "/api/v1/payments",
                data=json.dumps(body),
                content_type="application/json",
                headers={"Authorization": f"Bearer {self.key}", "Idempotency-Key": f"api-{i}"},
            )
            if response.status_code != 201:
                raise SystemExit(f"the API answered {response.status_code}: {response.content!r}")
        return time.perf_counter() - start

    def read_by_api(self, block: range) -> float:
        """The same number of requests, each reading the customer its payment paid."""
        start = time.perf_counter()
        for i in block:
            customer = self.api_targets[i][0]
            response = self.client.get(
                f"/api/v1/customers/{customer}", headers={"Authorization": f"Bearer {self.key}"}
            )
            if response.status_code != 200:
                raise SystemExit(f"the API answered {response.status_code}: {response.content!r}")
        return time.perf_counter() - start

    def problems(self) -> list[str]:
        from remit.invoices.models import Invoice
        from remit.payments.models import Payment

        problems = []
        unpaid = Invoice.objects.exclude(status="paid").count()
        if unpaid:
            problems.append(f"{unpaid} invoices are not paid")
        for actor, expected in (("bench-services", self.count), ("api:bench", self.count)):
            made = Payment.objects.filter(actor=actor).count()
            if made != expected:
                problems.append(f"{actor} made {made} payments, not {expected}")
        return problems


def _invoices(prefix: str, count: int) -> list[tuple[str, str, int]]:
    """`count` open USD invoices over CUSTOMERS customers, through `invoices_create`."""
    from datetime import date, timedelta

    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.invoices.csv_import import InvoiceRow
    from remit.invoices.services import invoices_create

    rows = []
    for i in range(count):
        customer = f"B-{prefix}-{i % CUSTOMERS:03d}"
        day = date.today() - timedelta(days=30 + (i * 7919) % 3650)
        rows.append(
            InvoiceRow(
                line=i + 1,
                number=f"{prefix}-{i:06d}",
                customer_number=customer,
                customer_name=f"Bench customer {customer}",
                invoice_date=day,
                due_date=day + timedelta(days=30),
                total=Money.from_minor(1000 + (i * 7907) % 500_000, "USD"),
                description="",
            )
        )
    for start in range(0, count, 5000):
        invoices_create(
            rows=rows[start : start + 5000], actor=Actor(label="bench"), reference=prefix
        )
    return [(r.customer_number, r.number, r.total.minor) for r in rows]


if __name__ == "__main__":
    sys.exit(main())
