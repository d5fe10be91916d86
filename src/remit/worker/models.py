"""What the workers share: which of them ran each daily task.

Every worker keeps its own clock of what is due, so at a cut-off each enqueues the
settlement. The first to insert the (task, cut-off) row runs it; the others find the row
and skip (`daily_claim`). The unique constraint makes that exactly one, on SQLite and on
PostgreSQL, without any lock held across the task.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DailyRun(models.Model):
    task = models.CharField(max_length=32, help_text="settle, purge, gateway_audit")
    cutoff = models.CharField(max_length=40, help_text="The cut-off it ran for (ISO 8601, UTC).")
    worker = models.CharField(max_length=64, help_text="The worker that claimed it.")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "cutoff"], name="one_daily_run_per_cutoff")
        ]

    def __str__(self) -> str:
        return f"{self.task} for {self.cutoff} by {self.worker}"
