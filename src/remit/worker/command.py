"""`remit worker`: the worker's subcommand of the `remit` program.

The program (`remit.main`) adds it beside the command line's own subcommands; the command
line does not import the worker, as no face imports another.
"""

from __future__ import annotations

import argparse
import sys

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
    parser.add_argument(
        "--once",
        action="store_true",
        help="reconcile and settle once, then stop; exit 1 if a task failed",
    )


def run(args: argparse.Namespace) -> int:
    """Run the worker. With `--once`, exit 1 naming every task that failed in this run
    (its traceback is kept in the task's result), so a cron job or a deploy step sees it."""
    # Imported here: the task backend's worker needs Django set up first.
    from django.utils import timezone

    from remit.worker.scheduler import db_worker, run_worker

    started = timezone.now()
    run_worker(once=args.once, reconcile_every=args.reconcile_every, settle_at=args.settle_at)
    if not args.once:
        return 0
    failed = failed_since(started, worker_id=db_worker().worker_id)
    for result in failed:
        print(
            f"remit worker: the task {result.task_name} failed "
            f"({result.exception_class_path.rsplit('.', 1)[-1]}); its traceback is kept in "
            f"the task results (admin: Database task results, id {result.id}).",
            file=sys.stderr,
        )
    if failed:
        return 1
    print("Reconciled and settled once.")
    return 0


def failed_since(started, *, worker_id: str) -> list:
    """The tasks this process ran since `started` that failed."""
    from django_tasks_db.models import DBTaskResult

    recent = DBTaskResult.objects.failed().filter(finished_at__gte=started).order_by("finished_at")
    return [result for result in recent if worker_id in (result.worker_ids or [])]
