"""The reconcile backlog for `/metrics`: pending payments by type and age, read from the
database at each scrape (one GROUP BY), so every process reports the same.

A card payment is pending from its charge until the daily settlement, a bank payment until
its debit settles: a day's backlog is normal. Payments pending for days, or many in the
first bucket, are the ones an operator looks at (`remit reconcile`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Case, CharField, Count, Value, When
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from remit.payments.models import Payment
from remit.payments.states import PaymentStatus

AGES = (  # (label, younger than)
    ("under_5m", timedelta(minutes=5)),
    ("5m_to_1h", timedelta(hours=1)),
    ("1h_to_1d", timedelta(days=1)),
    ("1d_to_3d", timedelta(days=3)),
)
OLDEST = "over_3d"


class PendingPayments:
    """`remit_payments_pending{type, age}`: how many payments wait for the gateway."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        age = Case(
            *(When(created_at__gt=now - limit, then=Value(label)) for label, limit in AGES),
            default=Value(OLDEST),
            output_field=CharField(),
        )
        rows = (
            Payment.objects.filter(status=PaymentStatus.PENDING)
            .annotate(age=age)
            .values_list("type", "age")
            .annotate(count=Count("id"))
            .order_by()
        )
        counts = {(kind, bucket): count for kind, bucket, count in rows}
        gauge = GaugeMetricFamily(
            "remit_payments_pending",
            "Payments waiting for the gateway (the reconcile backlog), by type and age.",
            labels=["type", "age"],
        )
        kinds = sorted({"card", "bank"} | {kind for kind, _ in counts})
        for kind in kinds:
            for label in [label for label, _ in AGES] + [OLDEST]:
                gauge.add_metric([kind, label], counts.get((kind, label), 0))
        yield gauge
