"""The workers for `/metrics`, read from the database at each scrape: from django-tasks'
results (one GROUP BY), when each task last finished, by outcome, and how many wait to be
run; from the heartbeat (`core.heartbeat`, the row /readyz reads), when a worker last beat
and how many are alive. Every worker writes there, so this is the same whichever process
answers and however many workers there are.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import models
from django.db.models import Count, Max
from django.db.models.functions import Now
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily

from remit.core.heartbeat import STALE_AFTER
from remit.core.models import WorkerHeartbeat


class WorkerRuns:
    """`remit_worker_last_run_timestamp_seconds{task, status}` (status successful or
    failed), `remit_worker_tasks_waiting{task}` (enqueued, not yet run),
    `remit_worker_heartbeat_timestamp_seconds` (the last beat of any worker) and
    `remit_workers_alive` (workers that beat within the heartbeat's STALE_AFTER)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = (
            DBTaskResult.objects.values_list("task_path", "status")
            .annotate(last=Max("finished_at"), count=Count("id"))
            .order_by()
        )
        last = GaugeMetricFamily(
            "remit_worker_last_run_timestamp_seconds",
            "When the worker last finished each task (Unix time), by outcome.",
            labels=["task", "status"],
        )
        waiting = GaugeMetricFamily(
            "remit_worker_tasks_waiting",
            "Tasks enqueued and not yet run.",
            labels=["task"],
        )
        for path, status, finished, count in rows:
            task = path.rsplit(".", 1)[-1].removesuffix("_task")
            if status == TaskResultStatus.READY:
                waiting.add_metric([task], count)
            elif finished is not None:
                last.add_metric([task, status.lower()], finished.timestamp())
        yield last
        yield waiting
        yield from self._heartbeat()

    def _heartbeat(self) -> Iterator[GaugeMetricFamily]:
        beats = WorkerHeartbeat.objects.aggregate(
            last=Max("seen_at"),
            alive=Count("id", filter=models.Q(seen_at__gte=Now() - STALE_AFTER)),
        )
        if beats["last"] is not None:
            yield GaugeMetricFamily(
                "remit_worker_heartbeat_timestamp_seconds",
                "When a worker last said it is alive (Unix time).",
                value=beats["last"].timestamp(),
            )
        yield GaugeMetricFamily(
            "remit_workers_alive",
            f"Workers that said they are alive within {STALE_AFTER.seconds} seconds.",
            value=beats["alive"],
        )
