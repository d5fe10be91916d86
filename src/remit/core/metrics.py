"""`/metrics`, in Prometheus' text format (prometheus-client).

Counted in the process, where it happens: requests and their latency by view (the
middleware below, labelled by the resolved view, never the raw path, so the series stay
few), payments posted and failed by type (`payment_transition`, once the transaction has
committed), gateway calls by operation and outcome (`gateway_send`). Computed from the
database at each scrape, so the same from every process: the reconcile backlog and the
worker's last runs (collectors handed to `metrics_view` by `remit.urls`).

The page answers only with `REMIT_METRICS_TOKEN` set and `Authorization: Bearer <token>`;
anything else is the site's ordinary 404, so the page's existence is not revealed.

Several web processes (gunicorn's workers): counters live in each process, so start the
server with `PROMETHEUS_MULTIPROC_DIR` set to an empty directory and every process writes
its counts there; any process's `/metrics` then sums them all (prometheus-client's
multiprocess mode). Without it, a scrape sees the counts of the process that answered.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric

REQUESTS = Counter(
    "remit_http_requests",
    "HTTP requests answered, by view and status.",
    ["method", "view", "status"],
)
LATENCY = Histogram(
    "remit_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PAYMENTS_POSTED = Counter(
    "remit_payments_posted", "Payments recorded (offline: settled; card/bank: submitted).", ["type"]
)
PAYMENTS_FAILED = Counter(
    "remit_payments_failed", "Payments that failed (declined, refused, returned).", ["type"]
)
GATEWAY_CALLS = Counter(
    "remit_gateway_calls",
    "Calls to the payment gateway, by operation and outcome.",
    ["operation", "outcome"],
)
GATEWAY_LATENCY = Histogram(
    "remit_gateway_call_duration_seconds",
    "Time a gateway call took, by operation.",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


def payment_posted(payment_type: str) -> None:
    PAYMENTS_POSTED.labels(type=payment_type).inc()


def payment_failed(payment_type: str) -> None:
    PAYMENTS_FAILED.labels(type=payment_type).inc()


def gateway_call(operation: str, outcome: str, seconds: float) -> None:
    GATEWAY_CALLS.labels(operation=operation, outcome=outcome).inc()
    GATEWAY_LATENCY.labels(operation=operation).observe(seconds)


class RequestMetricsMiddleware:
    """Counts and times every request by its resolved view ("unresolved" for a path no
    route matched: a 404 from a scanner adds no series)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUESTS.labels(method=method, view=view, status=str(response.status_code)).inc()
        LATENCY.labels(method=method, view=view).observe(time.perf_counter() - started)
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    """The resolved view's name (its route if unnamed); `static` for a static file
    (WhiteNoise answers before any URL is resolved); `unresolved` for anything else."""
    match = getattr(request, "resolver_match", None)
    if match:
        return match.view_name or match.route
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unresolved"


def metrics_view(collectors: Iterable[Collector] = ()) -> Callable[[HttpRequest], HttpResponse]:
    """The `/metrics` view: this process's counters (or every process's, in multiprocess
    mode), then what `collectors` read from the database."""
    collectors = tuple(collectors)

    def view(request: HttpRequest) -> HttpResponse:
        if not authorised(request):
            raise Http404
        scraped = CollectorRegistry(auto_describe=False)
        for collector in collectors:
            scraped.register(collector)
        body = generate_latest(process_registry()) + generate_latest(scraped)
        return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)

    return view


def authorised(request: HttpRequest) -> bool:
    token = getattr(settings, "REMIT_METRICS_TOKEN", "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def process_registry() -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry
