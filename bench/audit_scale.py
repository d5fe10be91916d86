"""`remit audit` over 1,000,000 invoices and their payments on PostgreSQL (target < 30 s).

    python -m bench.audit_scale [--invoices 1000000] [--customers N] [--audit-runs 2]
                                [--pg-url URL] [--check] [--keep]

It creates a database at --pg-url (dropped at the end unless --keep; skipped with one
line when PostgreSQL does not answer), migrates it, writes the books set-based in SQL
(`bench.audit_data`: invoices over 2,000 customers, payments, allocations, credit,
journal, statuses, all as the services write them), and times `books_audit()`, the
function behind `remit audit`: each run must report no problem, and the slowest must
take under 30 s. The generation is timed too (no target).

With --check (meant for a small --invoices, such as 2,000), a few payments are then made
through the services on the generated invoices (`bench.audit_check`), compared row by
row with the generated ones, and the books audited again.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

TARGET_S = 30.0
PG_URL = "postgres://postgres@127.0.0.1:5432/remit_audit_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_scale")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: 2,000 at most")
    parser.add_argument("--audit-runs", type=int, default=2)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--check", action="store_true", help="compare with the services")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)

    from bench.run import _pg_drop, _pg_problem, _pg_recreate, _public

    print(f"\n== remit audit over {args.invoices:,} invoices (PostgreSQL) ==", flush=True)
    problem = _pg_problem(args.pg_url)
    if problem:
        print(f"PostgreSQL not reachable at {_public(args.pg_url)} ({problem}): skipped.")
        return 0
    _pg_recreate(args.pg_url)
    try:
        os.environ["DATABASE_URL"] = args.pg_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
        os.environ.pop("REMIT_DEBUG", None)  # DEBUG would keep every query in memory
        import django

        django.setup()
        return _run(args)
    finally:
        if args.keep:
            print(f"kept {_public(args.pg_url)}")
        else:
            from django.db import connections

            connections.close_all()
            _pg_drop(args.pg_url)


def _run(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from bench.audit_data import Size, books_generate, default_customers, row_counts
    from remit.books.audit import books_audit

    call_command("migrate", verbosity=0)
    size = Size(args.invoices, args.customers or default_customers(args.invoices))
    started = time.perf_counter()
    steps = books_generate(size)
    generated = time.perf_counter() - started
    counts = row_counts()
    print(
        f"generated set-based in {generated:.1f}s (not a target): "
        + ", ".join(f"{what} {s:.1f}s" for what, s in steps.items())
    )
    print("rows: " + ", ".join(f"{count:,} {table}" for table, count in counts.items()))

    load_before = os.getloadavg()[0]
    times, problems = [], []
    for _ in range(args.audit_runs):
        begin = time.perf_counter()
        report = books_audit()
        times.append(time.perf_counter() - begin)
        problems = problems or report.problems
    load_after = os.getloadavg()[0]
    slowest = max(times)
    met = slowest < TARGET_S and not problems
    print(
        "books_audit runs: "
        + ", ".join(f"{t:.2f}s" for t in times)
        + (
            f"; {len(problems):,} problems, the first: {problems[:3]}"
            if problems
            else "; no problem reported"
        )
    )
    print(
        f"remit audit over {counts['invoices']:,} invoices and {counts['payments']:,} payments:"
        f" {slowest:.2f} s, the slowest of {len(times)} (target < {TARGET_S:g} s):"
        f" {'met' if met else 'NOT met'}; load average {load_before:.1f} before the timed runs,"
        f" {load_after:.1f} after."
    )
    ok = met
    if args.check:
        from bench.audit_check import services_compare

        differences = services_compare()
        print(
            "check against the services: "
            + (
                "six payments made by the services (checks in full, two fifths, overpaid; credit"
                " applied; two voids) have their generated twins' rows; the audit still reports"
                " no problem"
                if not differences
                else ""
            )
        )
        for difference in differences:
            print(f"  DIFFERENT: {difference}")
        ok &= not differences
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
