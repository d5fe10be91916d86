"""The worker's runs for `/metrics`, read from django-tasks' results at each scrape (one
GROUP BY): when each task last finished, by outcome, and how many wait to be run. Every
worker writes there, so this is the same whichever process answers and however many
workers there are.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily


class WorkerRuns:
    """`remit_worker_last_run_timestamp_seconds{task, status}` (status successful or
    failed) and `remit_worker_tasks_waiting{task}` (enqueued, not yet run)."""

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
