"""Several `remit worker` processes on one database, stopped and started again as a
deploy does: each stops on SIGTERM with exit 0 and no task left half-run, and one
started again carries on.

Real processes against the test database; they act on their own clocks, so the test polls
for what they write (bounded by WAIT), never sleeps for a fixed time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 60  # seconds: the longest any condition below may take to come true


def start_worker(tmp_path) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url, "REMIT_VAR_DIR": str(tmp_path)}
    code = "import sys; from remit.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker", "--reconcile-every", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ran_tasks(worker: subprocess.Popen) -> int:
    """How many tasks this worker process has finished."""
    me = f"remit-{socket.gethostname()}-{worker.pid}"[:64]
    finished = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    return sum(1 for ids in finished.values_list("worker_ids", flat=True) if me in ids)


def eventually(condition, what: str, workers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        for worker in workers:
            if worker.poll() is not None:
                pytest.fail(f"a worker stopped ({worker.returncode}): {worker.stderr.read()}")
        assert time.monotonic() < deadline, f"not within {WAIT} s: {what}"
        time.sleep(0.2)


def stop(worker: subprocess.Popen) -> tuple[int, str]:
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=WAIT)
    return worker.returncode, err


@pytest.fixture
def workers():
    started: list[subprocess.Popen] = []
    yield started
    for worker in started:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=WAIT)


def test_two_workers_share_the_work_stop_cleanly_and_one_started_again_carries_on(
    tmp_path, workers
):
    first, second = start_worker(tmp_path), start_worker(tmp_path)
    workers += [first, second]
    eventually(lambda: ran_tasks(first) and ran_tasks(second), "both ran tasks", workers)

    for worker in (first, second):
        code, err = stop(worker)
        assert code == 0, err
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()

    again = start_worker(tmp_path)
    workers.append(again)
    eventually(lambda: ran_tasks(again) >= 2, "the restarted worker reconciled again", [again])
    code, err = stop(again)
    assert code == 0, err
    assert "database connection lost" not in err
