"""`make bench`: remit's payment_post against the same writes in plain SQL.

On SQLite (a fresh WAL database file in a temp dir) and on PostgreSQL (a database
created and dropped at postgres://postgres@127.0.0.1:5432/remit_bench; skipped with one
line when the server does not answer), each backend in its own process (bench/worker.py):

  1. 5,000 check payments through payment_post, each paying one invoice in full in its
     own transaction with its own idempotency key: payments/second;
  2. the same 5,000 payments in plain SQL on the bare driver (bench/plain.py): payments/
     second, and the ratio remit/plain (target: >= 0.5 on PostgreSQL, >= 0.35 on SQLite);
  3. one lump sum spread oldest first over a customer's 10,000 open invoices, through
     payment_post and in plain SQL: the time (target for remit < 1 s; median of 3 runs).

Options: --payments, --lump-invoices, --lump-runs, --backends sqlite,postgresql,
--pg-url, and --profile DIR (cProfile of the remit runs: .prof files and a summary).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/remit_bench"
# remit payments/second against plain SQL's, per backend: SQLite's plain SQL is so cheap
# (no network, no server) that the framework's share weighs more there.
SINGLES_TARGET = {"sqlite": 0.35, "postgresql": 0.5}
LUMP_TARGET_S = 1.0  # a lump sum over 10,000 invoices in under a second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--lump-invoices", type=int, default=10_000)
    parser.add_argument("--lump-runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="profile the remit runs with cProfile (slows them down)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    started = time.perf_counter()
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="remit-bench-"))
    try:
        if "sqlite" in backends:
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            results.append(_worker("sqlite", url, tmp, args))
        if "postgresql" in backends:
            problem = _pg_problem(args.pg_url)
            if problem:
                print(
                    f"PostgreSQL not reachable at {_public(args.pg_url)} ({problem}): SQLite only.",
                    flush=True,
                )
            else:
                _pg_recreate(args.pg_url)
                try:
                    results.append(_worker("postgresql", args.pg_url, tmp, args))
                finally:
                    _pg_drop(args.pg_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    done = [r for r in results if r is not None]
    print()
    print(_table(done))
    print(f"\nwhole bench: {time.perf_counter() - started:.0f}s")
    return 0 if done and len(done) == len(results) and all(r["verify"]["ok"] for r in done) else 1


def _worker(backend: str, url: str, tmp: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    out = tmp / f"{backend}.json"
    var_dir = tmp / f"var-{backend}"
    var_dir.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "bench.worker",
        "--backend",
        backend,
        "--url",
        url,
        "--var-dir",
        str(var_dir),
        "--out",
        str(out),
        "--payments",
        str(args.payments),
        "--lump-invoices",
        str(args.lump_invoices),
        "--lump-runs",
        str(args.lump_runs),
    ]
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        command += ["--profile", str(Path(args.profile).resolve())]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REMIT_DEBUG")}
    # No INFO line per payment among the figures: the plain-SQL side writes none, and the
    # log's cost is the handler's (a file, a pipe, a terminal), not remit's write path.
    env["REMIT_LOG_LEVEL"] = "WARNING"
    finished = subprocess.run(command, cwd=PROJECT_DIR, env=env, check=False)
    if finished.returncode != 0:
        print(f"[{backend}] the bench failed (exit status {finished.returncode}).", flush=True)
        return None
    return json.loads(out.read_text())


# --- PostgreSQL ------------------------------------------------------------------------


def _admin_and_name(url: str) -> tuple[str, str]:
    """The maintenance database's URL, and the bench database's name. A query string
    (?server_side_binding=true...) is for Django's OPTIONS, via dj-database-url."""
    base, name = url.partition("?")[0].rsplit("/", 1)
    return f"{base}/postgres", name


def _pg_problem(url: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(_admin_and_name(url)[0], connect_timeout=3).close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def _pg_admin(url: str, *statements: str) -> None:
    import psycopg

    admin, _ = _admin_and_name(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        for statement in statements:
            conn.execute(statement)


def _pg_recreate(url: str) -> None:
    name = _admin_and_name(url)[1]
    _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def _pg_drop(url: str) -> None:
    _pg_admin(url, f'DROP DATABASE IF EXISTS "{_admin_and_name(url)[1]}" WITH (FORCE)')


def _public(url: str) -> str:
    """The URL without a password, for printing."""
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}://{creds.split(':')[0]}{at}{host}" if at else url


# --- the table -------------------------------------------------------------------------


def _table(results: list[dict[str, Any]]) -> str:
    header = ("backend", "workload", "remit", "plain SQL", "ratio remit/plain", "target met?")
    rows = []
    for r in results:
        s = r["singles"]
        remit_rate, plain_rate = s["n"] / s["remit_s"], s["n"] / s["plain_s"]
        ratio = remit_rate / plain_rate
        target = SINGLES_TARGET[r["backend"]]
        rows.append(
            (
                r["backend"],
                f"{s['n']:,} single-invoice payments",
                f"{remit_rate:,.0f} payments/s",
                f"{plain_rate:,.0f} payments/s",
                f"{ratio:.2f}",
                f"{'met' if ratio >= target else 'NOT met'} (ratio >= {target})",
            )
        )
        lump = r["lump"]
        remit_t, plain_t = statistics.median(lump["remit_s"]), statistics.median(lump["plain_s"])
        rows.append(
            (
                r["backend"],
                f"lump sum over {lump['n']:,} invoices",
                f"{remit_t * 1000:,.0f} ms",
                f"{plain_t * 1000:,.0f} ms",
                f"{plain_t / remit_t:.2f}",
                f"{'met' if remit_t < LUMP_TARGET_S else 'NOT met'} (remit < {LUMP_TARGET_S:g} s)",
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    out.append("")
    out.append(
        "ratio = remit speed / plain SQL speed (payments/s over payments/s; for the lump"
        " sum, plain time / remit time)."
    )
    for r in results:
        lump = r["lump"]
        runs = ", ".join(
            f"{t * 1000:.0f}/{p * 1000:.0f}"
            for t, p in zip(lump["remit_s"], lump["plain_s"], strict=True)
        )
        check = "ok" if r["verify"]["ok"] else "PROBLEMS: " + "; ".join(r["verify"]["problems"])
        out.append(
            f"{r['backend']}: lump runs remit/plain ms: {runs} (median shown);"
            f" {r['invoices']:,} invoices; books audit after the runs: {check};"
            f" {r['total_s']:.0f}s in all; load average {r['load_before']:.1f} before the"
            f" timed runs, {r['load_after']:.1f} after."
        )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
