"""The worker loop: enqueue what the schedule says is due, then let django-tasks' database
backend run it.

The tasks are run by django_tasks_db's own `Worker` (the class behind `manage.py
db_worker`), in batch mode: it claims each ready task under a lock (so two workers never
run one task), runs it, stores its result or its traceback, and returns when nothing is
left. It also runs any task that something else enqueued. Between ticks the loop sleeps
at most POLL_SECONDS.

Stopping: Ctrl+C or SIGTERM while idle stops at once; during a task, the task finishes
first (a second Ctrl+C stops it: the services leave nothing half-written, and the next
reconcile resolves any gateway call left unanswered).

A lost database (a restart, a dropped connection, a failover) does not stop the worker:
it logs one line, closes its connections, waits (1, 2, 5, 10, 30, then every 60
seconds), and carries on with its schedule; what was due and not yet enqueued stays due.
Several workers may share one database: tasks are claimed by one worker each (the task
backend's own claiming), due schedules by one worker each (`schedules_run_due`), and the
daily tasks carry their cut-off, so one worker runs each (`tasks.daily_claim`).

Each worker also beats (`core.heartbeat`): a row stamped every 30 seconds, which /readyz
reads to say a worker is running.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime

from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from remit.core.heartbeat import Heartbeat
from remit.worker.notify import Notifier
from remit.worker.schedule import (
    DAILY,
    GATEWAY_AUDIT,
    PURGE,
    RECONCILE,
    RUN_SCHEDULED,
    SETTLE,
    Schedule,
    last_cutoff,
)
from remit.worker.tasks import (
    gateway_audit_task,
    purge_task,
    reconcile_task,
    run_scheduled_task,
    settle_task,
)

log = logging.getLogger("remit.worker")

POLL_SECONDS = 1.0  # how soon a task enqueued elsewhere is picked up
BACKOFF = (1, 2, 5, 10, 30, 60)  # seconds between tries while the database is away
LOST = (OperationalError, InterfaceError)  # what a lost database connection raises

TASKS = {
    RUN_SCHEDULED: run_scheduled_task,
    RECONCILE: reconcile_task,
    SETTLE: settle_task,
    PURGE: purge_task,
    GATEWAY_AUDIT: gateway_audit_task,
}


def run_worker(*, once: bool = False, reconcile_every: int = 300, settle_at: str = "23:00") -> None:
    """Run the worker until stopped: reconcile every `reconcile_every` seconds, settle
    daily at `settle_at` (HH:MM in settings.TIME_ZONE). With `once`, enqueue and run one
    reconcile and one settlement, then return.

    Bad arguments raise RemitError before anything is enqueued.
    """
    zone = timezone.get_default_timezone()
    reconnect = Reconnect()
    schedule = reconnect.until_back(
        lambda: Schedule.start(
            now=timezone.now(),
            reconcile_every=reconcile_every,
            settle_at=settle_at,
            zone=zone,
            last_settlement=last_settlement(),
        ),
        keep_going=lambda: True,
    )
    worker = db_worker()
    if once:
        for task in (reconcile_task, settle_task):  # one after the other, in this order
            task.enqueue()
            worker.run()
        reconnect.until_back(lambda: Notifier().tick(timezone.now(), force=True), lambda: True)
        return
    worker.configure_signals()
    log.info(
        "worker started: reconcile every %ss, settlement daily at %s %s (next %s)",
        reconcile_every,
        schedule.settle_at.strftime("%H:%M"),
        zone,
        timezone.localtime(schedule.next_settlement, zone).strftime("%Y-%m-%d %H:%M"),
    )
    backlog: list[str] = []
    heartbeat = Heartbeat(worker.worker_id)
    notifier = Notifier()

    def step() -> None:
        heartbeat.beat()
        tick(schedule, worker, backlog)
        notifier.tick(timezone.now())  # emails (remit.notifications), every few seconds

    try:
        while worker.running:
            reconnect.until_back(step, lambda: worker.running)
            if worker.running:
                time.sleep(min(POLL_SECONDS, schedule.seconds_until_due(timezone.now())))
    finally:
        worker.reset_signals()
    log.info("worker stopped")


def tick(schedule: Schedule, worker: Worker, backlog: list[str] | None = None) -> tuple[str, ...]:
    """Enqueue what is due now, then run every ready task; the names enqueued. What could
    not be enqueued (the database went away) stays in `backlog` for the next tick."""
    backlog = [] if backlog is None else backlog
    due = schedule.due(timezone.now())
    backlog.extend(due)
    cutoff = last_cutoff(timezone.now(), schedule.settle_at, schedule.zone).isoformat()
    while backlog:
        name = backlog[0]
        TASKS[name].enqueue(**({"cutoff": cutoff} if name in DAILY else {}))
        backlog.pop(0)
    worker.run()
    return due


class Reconnect:
    """Runs a step of the worker until the database answers, logging each loss once."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep
        self.failures = 0

    def until_back(self, step: Callable, keep_going: Callable[[], bool]):
        while True:
            try:
                result = step()
            except LOST as lost:
                wait = BACKOFF[min(self.failures, len(BACKOFF) - 1)]
                self.failures += 1
                reason = str(lost).strip().splitlines()[0] if str(lost).strip() else "no answer"
                log.warning("database connection lost (%s); trying again in %ss", reason, wait)
                connections.close_all()  # the next query opens a fresh connection
                self._sleep(wait)
                if not keep_going():
                    return None
                continue
            if self.failures:
                log.info("database connection back after %s failed tries", self.failures)
                self.failures = 0
            return result


def db_worker() -> Worker:
    """django_tasks_db's worker for the default backend and queue, in batch mode."""
    worker_id = f"remit-{socket.gethostname()}-{os.getpid()}"[:64]
    return Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        excluded_queue_names=[],
        interval=POLL_SECONDS,  # only waited when the database is locked by another writer
        batch=True,  # run what is ready, then return to the loop
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
    )


def last_settlement() -> datetime | None:
    """When the last settlement was enqueued (by any worker), or None."""
    return (
        DBTaskResult.objects.filter(task_path=settle_task.module_path)
        .order_by("-enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
