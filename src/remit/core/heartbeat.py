"""The workers' heartbeat: each `remit worker` says it is alive every HEARTBEAT_SECONDS,
and a worker counts as seen while its last beat is under STALE_AFTER old (three beats, so
one slow tick is not an alarm). /readyz answers 503 when no worker is seen.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db.models.functions import Now

from remit.core.models import WorkerHeartbeat

HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
FORGOTTEN_AFTER = timedelta(days=1)  # rows of workers gone this long are deleted


def heartbeat_record(*, worker: str) -> None:
    """Stamp `worker` as seen now (the database's time)."""
    if not WorkerHeartbeat.objects.filter(worker=worker).update(seen_at=Now()):
        WorkerHeartbeat.objects.create(worker=worker)
        WorkerHeartbeat.objects.filter(seen_at__lt=Now() - FORGOTTEN_AFTER).delete()


def worker_seen() -> bool:
    """Whether any worker beat within STALE_AFTER."""
    return WorkerHeartbeat.objects.filter(seen_at__gte=Now() - STALE_AFTER).exists()


class Heartbeat:
    """A worker's beat, written at most every HEARTBEAT_SECONDS however often it is asked."""

    def __init__(self, worker: str, clock=time.monotonic) -> None:
        self.worker = worker
        self._clock = clock
        self._last: float | None = None

    def beat(self) -> None:
        now = self._clock()
        if self._last is None or now - self._last >= HEARTBEAT_SECONDS:
            heartbeat_record(worker=self.worker)
            self._last = now
