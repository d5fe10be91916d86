"""The portal's Open Invoices page for a customer with 100,000 invoices.

    python -m bench.portal_open_invoices [--invoices 100000] [--requests 30]
                                         [--backends sqlite,postgresql] [--pg-url URL]

On a fresh database (a SQLite file in a temp dir; then PostgreSQL, a database created and
dropped at --pg-url, skipped with one line when the server does not answer; each backend
in its own process, as Django is configured once per process), two customers get their
invoices through `invoices_create` (the import path): one with 100, one with 100,000.
A clerk of each asks for Open Invoices through Django's test Client (the whole request:
middleware, session, view, template). For each it prints the median server time of N requests and
the number of SQL queries (CaptureQueriesContext); the query count must be the same for
100 and 100,000 invoices, and the first page must take under 100 ms. A few other pages
(the next page, a search, other sorts and filters) are timed too. Exits 1 when a target
is missed.
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

TARGET_MS = 100.0


PG_URL = "postgres://postgres@127.0.0.1:5432/remit_portal_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.portal_open_invoices")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--url", help=argparse.SUPPRESS)  # one backend, in this process
    args = parser.parse_args(argv)
    if args.url:
        return _measure(args)

    from bench.run import _pg_drop, _pg_problem, _pg_recreate, _public

    status = 0
    tmp = Path(tempfile.mkdtemp(prefix="remit-portal-bench-"))
    same = ["--invoices", str(args.invoices), "--small", str(args.small)]
    same += ["--requests", str(args.requests)]
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
                child = [sys.executable, "-m", "bench.portal_open_invoices", "--url", url, *same]
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
    """One backend, in this process: DATABASE_URL is read when Django is set up."""
    os.environ["DATABASE_URL"] = args.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.pop("REMIT_DEBUG", None)
    os.environ["REMIT_LOG_LEVEL"] = "WARNING"  # no line per page view among the figures
    import django

    django.setup()
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # the test Client's ALLOWED_HOSTS ("testserver")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # pages name hashed files
    started = time.perf_counter()
    small = _customer("C-SMALL", args.small)
    large = _customer("C-LARGE", args.invoices)
    print(
        f"set-up: {args.small:,} + {args.invoices:,} invoices through invoices_create "
        f"in {time.perf_counter() - started:.1f}s ({connection.vendor})"
    )

    cases = [
        ("first page (default: Open, Pending, Scheduled; oldest first)", "/portal/"),
        ("next page (keyset cursor)", None),
        ("newest first", "/portal/?sort=-date"),
        ("due date, soonest first", "/portal/?sort=due"),
        ("invoice number", "/portal/?sort=number"),
        ("status Open, 100 per page", "/portal/?status=open&per=100"),
        ("search by number", "/portal/?q=INV-C-LARGE-0077"),
        ("search, no match", "/portal/?q=NO-SUCH-INVOICE"),
        ("partly paid (none exist: scans the open ones)", "/portal/?status=partly_paid"),
    ]
    rows = []
    ok = True
    for label, url in cases:
        figures = {}
        for customer, count in ((small, args.small), (large, args.invoices)):
            client = Client()
            client.force_login(customer["user"])
            target = url or _next_page(client)
            for _ in range(3):  # warm up: templates, caches
                assert client.get(target).status_code == 200, target
            with CaptureQueriesContext(connection) as queries:
                response = client.get(target)
            assert response.status_code == 200
            query_count = len(queries)  # now: the log is cleared by the next request
            times = []
            for _ in range(args.requests):
                begin = time.perf_counter()
                client.get(target)
                times.append((time.perf_counter() - begin) * 1000)
            figures[count] = (statistics.median(times), query_count)
        (small_ms, small_q), (large_ms, large_q) = figures[args.small], figures[args.invoices]
        rows.append((label, small_ms, small_q, large_ms, large_q))
        if url == "/portal/":
            ok &= large_ms < TARGET_MS and small_q == large_q

    width = max(len(r[0]) for r in rows)
    print()
    print(
        f"{'Open Invoices page':<{width}}  {args.small:>7,} inv: ms  queries"
        f"  {args.invoices:>7,} inv: ms  queries"
    )
    for label, small_ms, small_q, large_ms, large_q in rows:
        print(f"{label:<{width}}  {small_ms:>14.1f}  {small_q:>7}  {large_ms:>14.1f}  {large_q:>7}")
    first = rows[0]
    print(
        f"\nfirst page at {args.invoices:,} invoices: {first[3]:.1f} ms median of "
        f"{args.requests} (target < {TARGET_MS:.0f} ms); queries {first[2]} at "
        f"{args.small:,} and {first[4]} at {args.invoices:,} (must be equal): "
        + ("OK" if ok else "MISSED")
    )
    return 0 if ok else 1


def _customer(number: str, count: int) -> dict:
    """A customer with `count` open invoices (a tenth of them overdue) and an AP clerk."""
    from django.contrib.auth import get_user_model

    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.models import Customer, Membership, Role
    from remit.invoices.csv_import import InvoiceRow
    from remit.invoices.services import invoices_create

    actor = Actor.system("bench")
    first_day = date.today() - timedelta(days=400)
    chunk = 10_000
    for start in range(0, count, chunk):
        rows = [
            InvoiceRow(
                line=i + 1,
                number=f"INV-{number}-{i:06d}",
                customer_number=number,
                customer_name=f"Bench customer {number}",
                invoice_date=first_day + timedelta(days=i * 400 // count),
                due_date=first_day + timedelta(days=i * 400 // count + 30),
                total=Money(Decimal(100 + i % 900).scaleb(0) + Decimal("0.25"), "USD"),
                description="Bench invoice",
            )
            for i in range(start, min(start + chunk, count))
        ]
        invoices_create(rows=rows, actor=actor, reference=f"bench {number} {start}")
    user = get_user_model().objects.create_user(
        f"clerk-{number.lower()}"
    )  # signed in by force_login
    customer = Customer.objects.get(number=number)
    Membership.objects.create(user=user, customer=customer, role=Role.ACCOUNTS_PAYABLE)
    return {"user": user, "customer": customer}


def _next_page(client) -> str:
    import re

    page = client.get("/portal/").content.decode()
    found = re.search(r'href="(/portal/\?after=[^"]+)"', page)
    assert found, "the first page has no Next link"
    return found.group(1).replace("&amp;", "&")


if __name__ == "__main__":
    sys.exit(main())
