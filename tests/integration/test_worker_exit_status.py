"""`remit worker --once` tells a cron job or a deploy step whether its run went well: exit 0,
or exit 1 with a sentence naming each task that failed.

Real commits (transaction=True), as the worker makes them.
"""

from __future__ import annotations

import pytest
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from remit.main import main as remit
from remit.worker import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def sentences(err: str) -> list[str]:
    """What `remit worker` itself printed on stderr (the log lines go there too)."""
    return [line for line in err.splitlines() if line.startswith("remit worker:")]


@task()
def broken_import_task() -> None:
    """Something enqueued elsewhere that raises: `--once` runs every ready task."""
    raise RuntimeError("the import file is not there")


def test_a_clean_run_exits_0(capsys):
    assert remit(["worker", "--once"]) == 0

    out = capsys.readouterr()
    assert out.out == "Reconciled and settled once.\n"
    assert sentences(out.err) == []


def test_a_task_that_raises_in_the_run_makes_it_exit_1_naming_the_task(capsys):
    broken_import_task.enqueue()

    assert remit(["worker", "--once"]) == 1

    (said,) = sentences(capsys.readouterr().err)
    assert said.startswith("remit worker: the task broken_import_task failed (RuntimeError)")
    assert "task results" in said
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "the import file is not there" in failed.traceback
    # The worker went on: the reconcile and the settlement still ran.
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2


def test_a_failing_reconcile_exits_1(monkeypatch, capsys):
    def broken(**kwargs):
        raise RuntimeError("the gateway's certificate expired")

    monkeypatch.setattr(tasks, "payments_reconcile", broken)

    assert remit(["worker", "--once"]) == 1

    (said,) = sentences(capsys.readouterr().err)
    assert "the task reconcile_task failed (RuntimeError)" in said


def test_a_failure_of_an_earlier_run_does_not_fail_the_next(capsys):
    broken_import_task.enqueue()
    assert remit(["worker", "--once"]) == 1
    capsys.readouterr()

    assert remit(["worker", "--once"]) == 0
    assert sentences(capsys.readouterr().err) == []


def test_metrics_show_when_each_task_last_ran_and_how_it_ended(client, settings):
    settings.REMIT_METRICS_TOKEN = "t"
    broken_import_task.enqueue()
    remit(["worker", "--once"])

    page = client.get("/metrics", headers={"Authorization": "Bearer t"}).content.decode()
    ran = {
        line.split("{", 1)[1].split("}", 1)[0]
        for line in page.splitlines()
        if line.startswith("remit_worker_last_run_timestamp_seconds{")
    }
    assert ran == {
        'status="successful",task="reconcile"',
        'status="successful",task="settle"',
        'status="failed",task="broken_import"',
    }
