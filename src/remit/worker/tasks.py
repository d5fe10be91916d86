"""The worker's tasks. Each calls one payment service as the system, and returns its
counts (stored as the task's result, so the admin shows what every run did).

The services are safe to repeat and to run beside the web server: they lock what they
change and never call the gateway twice for one answer, so a task that runs twice, or
one left half-done by a crash and run again, changes nothing twice.
"""

from __future__ import annotations

import logging

from django_tasks import task

from remit.api.idempotency import idempotency_purge
from remit.core.audit import Actor
from remit.payments.gateway_services import payments_reconcile, payments_settle
from remit.payments.schedule_services import schedules_run_due

log = logging.getLogger("remit.worker")

ACTOR = Actor.system("worker")


@task()
def reconcile_task() -> dict[str, int]:
    """Ask the gateway about every pending card and bank payment (DESIGN rule 4)."""
    counts = payments_reconcile(actor=ACTOR)
    if counts["checked"]:
        log.info("reconcile: %s", _summary(counts))
    return counts


@task()
def settle_task() -> dict[str, int]:
    """The daily cut-off: the gateway settles, then every pending payment is brought up to date."""
    counts = payments_settle(actor=ACTOR)
    log.info("settlement: %s", _summary(counts))
    return counts


@task()
def run_scheduled_task() -> dict[str, int]:
    """Scheduled payments that are due today (and any a crash left running)."""
    counts = schedules_run_due(actor=ACTOR)
    if any(counts.values()):
        log.info("scheduled payments: %s", _summary(counts))
    return counts


@task()
def purge_task() -> dict[str, int]:
    """The API's stored answers older than a day (kept at least 24 hours, then deleted
    daily at the cut-off, so the table does not grow for ever)."""
    deleted = idempotency_purge()
    if deleted:
        log.info("idempotency answers purged: %s", deleted)
    return {"deleted": deleted}


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {number}" for name, number in counts.items())
