"""The reports at scale: AR aging, cash received, DSO and the 12-month trend.

    python -m bench.reports [--customers 100] [--per-customer 1000] [--runs 5]
                            [--backends sqlite,postgresql] [--pg-url URL]

On a fresh database per backend (a SQLite file in a temp dir; a PostgreSQL database
created and dropped at --pg-url, skipped with one line when the server does not answer),
each customer gets its invoices over the last 400 days through `invoices_create`, and
three lump-sum checks oldest first through `payment_post`, posted 300, 150 and 20 days ago.
It prints the median time of the selectors (aging today and 180 days back, cash received
over 30 days, the trend, DSO) and of the back office pages that show them (through
Django's test Client, the whole request), with their SQL query counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

PG_URL = "postgres://postgres@127.0.0.1:5432/remit_reports_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--per-customer", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--url", help=argparse.SUPPRESS)  # one backend, in this process
    args = parser.parse_args(argv)
    if args.url:
        return _measure(args)

    from bench.run import _pg_drop, _pg_problem, _pg_recreate, _public

    status = 0
    tmp = Path(tempfile.mkdtemp(prefix="remit-reports-bench-"))
    same = ["--customers", str(args.customers), "--per-customer", str(args.per_customer)]
    same += ["--runs", str(args.runs)]
    try:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            print(f"\n== {backend} ==", flush=True)
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            else:
                problem = _pg_problem(args.pg_url)
                if problem:
                    print(f"PostgreSQL not reachable at {_public(args.pg_url)} ({problem}).")
                    continue
                _pg_recreate(args.pg_url)
                url = args.pg_url
            try:
                child = [sys.executable, "-m", "bench.reports", "--url", url, *same]
                status |= subprocess.run(
                    child, env={**os.environ, "REMIT_VAR_DIR": str(tmp)}
                ).returncode
            finally:
                if backend != "sqlite":
                    _pg_drop(args.pg_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status


def _measure(args: argparse.Namespace) -> int:
    os.environ["DATABASE_URL"] = args.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.pop("REMIT_DEBUG", None)
    os.environ["REMIT_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    payments = _books(args.customers, args.per_customer)
    invoices = args.customers * args.per_customer
    print(
        f"set-up: {invoices:,} invoices of {args.customers} customers and {payments} lump-sum "
        f"checks in {time.perf_counter() - started:.1f}s ({connection.vendor})",
        flush=True,
    )
    _report(args.runs)
    return 0


def _books(customers: int, per_customer: int) -> int:
    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.models import Customer
    from remit.invoices.csv_import import InvoiceRow
    from remit.invoices.services import invoices_create
    from remit.payments.services.offline import payment_post

    actor = Actor.system("bench")
    today = date.today()
    first_day = today - timedelta(days=400)
    rows = []
    for c in range(customers):
        number = f"C-{c:04d}"
        for i in range(per_customer):
            day = first_day + timedelta(days=i * 400 // per_customer)
            rows.append(
                InvoiceRow(
                    line=len(rows) + 1,
                    number=f"INV-{number}-{i:05d}",
                    customer_number=number,
                    customer_name=f"Bench customer {c}",
                    invoice_date=day,
                    due_date=day + timedelta(days=30),
                    total=Money(Decimal(100 + (i * 7 + c) % 900) + Decimal("0.25"), "USD"),
                    description="Bench invoice",
                )
            )
        if len(rows) >= 10_000:
            invoices_create(rows=rows, actor=actor, reference=f"bench {number}")
            rows = []
    if rows:
        invoices_create(rows=rows, actor=actor, reference="bench rest")
    posted = 0
    for customer in Customer.objects.order_by("number"):
        for days_ago, share in ((300, 150), (150, 150), (20, 150)):
            amount = Money(Decimal(500 * share) + Decimal("0.50"), "USD")
            payment_post(
                customer=customer,
                amount=amount,
                payment_type="check",
                idempotency_key=f"bench-{customer.number}-{days_ago}",
                actor=actor,
                source="cli",
                reference=str(days_ago),
                post_date=today - timedelta(days=days_ago),
            )
            posted += 1
    return posted


def _report(runs: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from remit.backoffice.groups import CLERK
    from remit.reports import selectors

    today = date.today()
    month_ago = today - timedelta(29)
    cases = [
        ("aging today", lambda: selectors.aging_report(as_of=today)),
        ("aging 180 days back", lambda: selectors.aging_report(as_of=today - timedelta(180))),
        ("cash received, 30 days", lambda: selectors.cash_received(start=month_ago, end=today)),
        ("trend, 12 months", lambda: selectors.trend(today=today)),
        ("DSO, 90 days", lambda: selectors.dso_now(today=today)),
    ]  # fmt: skip
    user = User.objects.create_user("bench-staff", is_staff=True)
    user.groups.set(Group.objects.filter(name=CLERK))
    client = Client()
    client.force_login(user)
    pages = [
        ("page: /staff/ (search and the trend)", "/staff/"),
        ("page: AR aging", "/staff/reports/aging/"),
        ("page: AR aging CSV", "/staff/reports/aging.csv"),
        ("page: a customer's aging", "/staff/reports/aging/C-0001/"),
        ("page: cash received", "/staff/reports/cash/"),
    ]
    for label, url in pages:
        cases.append((label, lambda url=url: client.get(url)))
    print(f"{'':44}{'median ms':>10}{'queries':>9}")
    for label, run in cases:
        run()  # warm up
        statements: list[str] = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):  # a request clears Django's own query log
            result = run()
        if hasattr(result, "status_code"):
            assert result.status_code == 200, label
        queries = statements
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            run()
            times.append((time.perf_counter() - begin) * 1000)
        print(f"{label:44}{statistics.median(times):10.1f}{len(queries):9}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
