"""The worker's tasks. Each calls one service as the system, and returns its counts
(stored as the task's result, so the admin shows what every run did).

The services are safe to repeat and to run beside the web server and other workers: they
lock what they change and never call the gateway twice for one answer, so a task that
runs twice, or one left half-done by a crash and run again, changes nothing twice. The
daily tasks go further and run once per cut-off whatever the number of workers
(`daily_claim`): each worker enqueues them at the cut-off, one runs them.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django_tasks import task

from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.logs import log_scope
from remit.integrations.idempotency import idempotency_purge
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.schedule import schedules_run_due
from remit.worker.models import DailyRun

log = logging.getLogger("remit.worker")

ACTOR = Actor.system("worker")
SKIPPED = {"skipped": 1}  # another worker ran this cut-off's task


def logged_as(name: str) -> Callable:
    """Every log line of the task carries `task=name` (remit.core.logs)."""

    def wrap(function: Callable) -> Callable:
        @functools.wraps(function)
        def scoped(*args, **kwargs):
            with log_scope(task=name, bindable=False):
                return function(*args, **kwargs)

        return scoped

    return wrap


@task()
@logged_as("reconcile")
def reconcile_task() -> dict[str, int]:
    """Ask the gateway about every pending card and bank payment (DESIGN rule 4)."""
    counts = payments_reconcile(actor=ACTOR)
    if counts["checked"] or counts["resumed"]:
        log.info("reconcile: %s", _summary(counts))
    return counts


@task()
@logged_as("settle")
def settle_task(cutoff: str = "") -> dict[str, int]:
    """The daily cut-off: the gateway settles, then every pending payment is brought up to
    date. With `cutoff`, once per cut-off among all workers."""
    if cutoff and not daily_claim("settle", cutoff):
        return SKIPPED
    counts = payments_settle(actor=ACTOR)
    log.info("settlement: %s", _summary(counts))
    return counts


@task()
@logged_as("run_scheduled")
def run_scheduled_task() -> dict[str, int]:
    """Scheduled payments that are due today (and any a dead worker left running)."""
    counts = schedules_run_due(actor=ACTOR)
    if any(counts.values()):
        log.info("scheduled payments: %s", _summary(counts))
    return counts


@task()
@logged_as("purge")
def purge_task(cutoff: str = "") -> dict[str, int]:
    """The API's stored answers older than a day (kept at least 24 hours, then deleted
    daily at the cut-off, so the table does not grow for ever)."""
    if cutoff and not daily_claim("purge", cutoff):
        return SKIPPED
    deleted = idempotency_purge()
    if deleted:
        log.info("idempotency answers purged: %s", deleted)
    return {"deleted": deleted}


@task()
@logged_as("gateway_audit")
def gateway_audit_task(cutoff: str = "") -> dict[str, int]:
    """After the settlement: remit's card and bank payments against the gateway's records
    (`remit audit --gateway`); every difference is logged as an error."""
    if cutoff and not daily_claim("gateway_audit", cutoff):
        return SKIPPED
    report = gateway_audit()
    for problem in report.problems:
        log.error("gateway audit: %s", problem)
    if report.ok:
        log.info("gateway audit: remit and the gateway agree")
    return {"differences": len(report.problems)}


def daily_claim(name: str, cutoff: str) -> bool:
    """True for the one worker that claims `name` at `cutoff`; False for every other."""
    worker = f"{socket.gethostname()}-{os.getpid()}"[:64]
    try:
        with transaction.atomic():
            DailyRun.objects.create(task=name, cutoff=cutoff, worker=worker)
    except IntegrityError:
        log.info("%s for %s: another worker has it", name, cutoff)
        return False
    return True


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {number}" for name, number in counts.items() if number)
