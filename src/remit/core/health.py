"""/healthz and /readyz, for load balancers and orchestrators: JSON, no login, no data.

/healthz says the process answers (200 while it can run a view at all). /readyz says it
can do its work: the database answers, every migration this code knows is applied, and a
`remit worker` was seen lately (`heartbeat.worker_seen`). 200 when all hold; 503 naming
each check that failed, with a sentence an operator can act on.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from remit.core.heartbeat import STALE_AFTER, worker_seen

log = logging.getLogger("remit.health")

OK = "ok"


@never_cache
@require_safe  # GET, and HEAD for load balancers that probe with it
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


@never_cache
@require_safe  # GET, and HEAD for load balancers that probe with it
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    failing = [name for name, result in checks.items() if result != OK]
    if failing:
        log.warning("not ready: %s", "; ".join(f"{n}: {checks[n]}" for n in failing))
        return JsonResponse(
            {"status": "unavailable", "failing": failing, "checks": checks}, status=503
        )
    return JsonResponse({"status": OK, "checks": checks})


def readiness() -> dict[str, str]:
    """Each check's name and "ok", or the sentence saying what is wrong."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        log.warning("readiness: the database did not answer (%s)", reason)
        return {"database": "The database did not answer."}  # nothing else can be checked
    return {"database": OK, "migrations": _migrations(), "worker": _worker()}


def _migrations() -> str:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return f"{len(pending)} migration(s) not applied: run `remit migrate`."
    return OK


def _worker() -> str:
    if worker_seen():
        return OK
    seconds = int(STALE_AFTER.total_seconds())
    return f"No `remit worker` was seen in the last {seconds} seconds."
