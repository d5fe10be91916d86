"""An import killed half-way and run again posts every line once (DESIGN rule 9).

tests/bank_crash_driver.py imports a file of 24 certain lines and SIGKILLs itself inside
the transaction of a posting (after the payment service returned, before the commit);
the file is then imported again, and again. On SQLite (a file of its own) and, when the
suite runs on PostgreSQL, on a PostgreSQL database of its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

DRIVER = Path(__file__).resolve().parents[1] / "bank_crash_driver.py"
LINES = 24


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database_url(tmp_path):
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"remit_bank_crash_{uuid.uuid4().hex[:8]}"
    admin = (
        f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname=postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("after", [0, 1, 11, LINES - 1])
def test_an_import_killed_half_way_and_run_again_posts_each_line_once(
    database_url, tmp_path, after
):
    csv_path = str(tmp_path / "statement.csv")
    setup = run("setup", database_url, csv_path)
    assert setup.returncode == 0, setup.stderr
    killed = run("import", database_url, csv_path, str(after))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    done = run("report", database_url, csv_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["payments_before"] == after  # the killed posting left nothing
    assert report["payments"] == LINES
    assert set(report["per_reference"].values()) == {1}
    assert report["statuses"] == {"posted": LINES}
    assert report["statements"] == 1
    assert report["second_duplicate_of"] is not None
    assert report["audit"] == []
