"""`remit worker`: the worker's subcommand of the `remit` program.

The program (`remit.main`) adds it beside the command line's own subcommands; the command
line does not import the worker, as no face imports another.
"""

from __future__ import annotations

import argparse

NAME = "worker"
HELP = "run the background worker: reconcile pending payments, settle daily"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reconcile-every",
        type=int,
        default=300,
        metavar="SECONDS",
        help="ask the gateway about pending payments this often (default %(default)s)",
    )
    parser.add_argument(
        "--settle-at",
        default="23:00",
        metavar="HH:MM",
        help="the daily settlement cut-off, in the server's time zone (default %(default)s)",
    )
    parser.add_argument("--once", action="store_true", help="reconcile and settle once, then stop")


def run(args: argparse.Namespace) -> int:
    # Imported here: the task backend's worker needs Django set up first.
    from remit.worker.scheduler import run_worker

    run_worker(once=args.once, reconcile_every=args.reconcile_every, settle_at=args.settle_at)
    if args.once:
        print("Reconciled and settled once.")
    return 0
