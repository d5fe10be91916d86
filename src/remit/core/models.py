"""The audit trail (who did what, when) and the numbering counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class AuditEvent(models.Model):
    """One money action: written in the same transaction as the action, never updated."""

    # Set by the database, in the same clock as every other row of the transaction.
    at = models.DateTimeField(db_default=Now(), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=150, help_text="Who, as shown: a username or 'cli:root'.")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_id}"

    def save(self, *args, **kwargs):
        # The trail is append-only: an existing row is history, not data to edit.
        if not self._state.adding:
            raise ValueError("Audit events are never updated.")
        super().save(*args, **kwargs)


class Counter(models.Model):
    """A named, gap-tolerant sequence for human numbers such as PMT-000123."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class WorkerHeartbeat(models.Model):
    """When each `remit worker` was last seen: it writes its row every
    `heartbeat.HEARTBEAT_SECONDS`, and /readyz asks whether any row is recent. The time is
    the database's own clock, on both sides, so no server's clock can make a worker look
    alive or dead."""

    worker = models.CharField(max_length=64, unique=True, help_text="host-pid, as it runs.")
    seen_at = models.DateTimeField(db_default=Now(), db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
