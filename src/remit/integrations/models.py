"""API keys for integrations, and the idempotency records behind `Idempotency-Key`.

Both were the API app's models; their tables keep the names they had there (`api_apikey`,
`api_idempotencyrecord`), so moving them changed no table (migrations `api/0002` and
`integrations/0001` move them in Django's state only).
"""

from __future__ import annotations

from django.db import models

from remit.customers.models import Customer


class Scope(models.TextChoices):
    READ = "read", "Read"
    """GET routes only: list and read customers, invoices, payments, credit, events."""
    WRITE = "write", "Read and write"
    """Also every POST, PATCH and DELETE: invoices in, payments, voids, refunds."""


class ApiKey(models.Model):
    """An integration's key. Only a SHA-256 of its secret is kept; the key is shown once.

    The key reads `rk_<prefix>_<secret>`: the prefix finds the row, the secret's hash is
    compared in constant time. A key limited to one customer sees nothing of the others.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, help_text="hex SHA-256 of the secret")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: every customer.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_apikey"
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (rk_{self.prefix}_…)"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed to its repeats.

    Inserted, in its own transaction, before the request runs (status empty while it
    runs), so a concurrent duplicate finds the row and is answered 409; completed with
    the status and body once the request is answered.
    """

    owner = models.CharField(max_length=64, help_text="api-key:<id> or user:<id>")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_idempotencyrecord"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")
        ]
        indexes = [models.Index(fields=["started_at"], name="idempotency_started")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}: {self.status or 'running'}"
