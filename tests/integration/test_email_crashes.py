"""A sender killed anywhere loses no email; a retry sends none twice.

tests/email_driver.py runs in a subprocess against its own SQLite file: it records a
payment (the email's cause, committed), then a sender that SIGKILLs itself after queuing
the emails, after claiming one, or after the SMTP server accepted it; a second sender
started later finishes the work. The real local SMTP server counts what arrived.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.smtp_server import SmtpSink

DRIVER = Path(__file__).resolve().parents[1] / "email_driver.py"


def driver(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("email-crash") / "template.sqlite3"
    done = driver("migrate", str(db))
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def paid(template, tmp_path) -> Path:
    db = tmp_path / "remit.sqlite3"
    shutil.copy(template, db)
    done = driver("pay", str(db))
    assert done.returncode == 0, done.stderr
    return db


def rows(db: Path) -> list[dict]:
    done = driver("report", str(db))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("point", ["after_derive", "after_claim"])
def test_a_sender_killed_before_the_server_answered_loses_nothing_and_sends_once(
    paid, server, point
):
    killed = driver("send", str(paid), server.url, point, "0")
    assert killed.returncode == -signal.SIGKILL
    assert server.received == []
    assert [r["status"] for r in rows(paid)] == ["queued" if point == "after_derive" else "sending"]

    # Another worker, after any claim has run out (5 minutes), then again much later.
    for later in ("360", "7200"):
        done = driver("send", str(paid), server.url, "none", later)
        assert done.returncode == 0, done.stderr

    [row] = rows(paid)
    assert row["status"] == "sent"
    assert [m["Message-ID"] for m in server.received] == [row["message_id"]]
    assert "INV-CRASH-1" in server.received[0].get_body(("plain",)).get_content()


def test_a_sender_killed_after_the_server_accepted_sends_it_again_under_the_same_message_id(
    paid, server
):
    killed = driver("send", str(paid), server.url, "after_accept", "0")
    assert killed.returncode == -signal.SIGKILL
    assert len(server.received) == 1

    for later in ("360", "7200"):
        assert driver("send", str(paid), server.url, "none", later).returncode == 0

    [row] = rows(paid)
    assert row["status"] == "sent"
    # The one window SMTP leaves: accepted, then killed before remit wrote it down. The
    # repeat is the same message (one Message-ID), which mail systems count once.
    assert {m["Message-ID"] for m in server.received} == {row["message_id"]}
    assert len(server.received) == 2


def test_two_senders_one_after_the_other_send_once(paid, server):
    assert driver("send", str(paid), server.url, "none", "0").returncode == 0
    assert driver("send", str(paid), server.url, "none", "0").returncode == 0
    assert len(server.received) == 1
