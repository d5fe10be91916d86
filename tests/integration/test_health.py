"""/healthz and /readyz, as a load balancer asks them: no login, JSON, 200 or 503 naming
what is wrong, and nothing about the books."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import Now

from remit.core.heartbeat import HEARTBEAT_SECONDS, Heartbeat, heartbeat_record
from remit.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_running():
    heartbeat_record(worker="remit-host-123")


def test_healthz_answers_ok_without_a_login(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert "no-cache" in answer["Cache-Control"]


def test_readyz_is_200_when_the_database_is_migrated_and_a_worker_beat(client, worker_running):
    answer = client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }


def test_readyz_is_503_naming_the_worker_when_none_was_seen_while_healthz_stays_200(client):
    answer = client.get("/readyz")

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"] == "No `remit worker` was seen in the last 90 seconds."
    assert client.get("/healthz").status_code == 200


def test_a_worker_whose_last_beat_is_older_than_three_beats_is_not_seen(client, worker_running):
    WorkerHeartbeat.objects.update(seen_at=Now() - timedelta(seconds=3 * HEARTBEAT_SECONDS + 5))

    assert client.get("/readyz").json()["failing"] == ["worker"]

    heartbeat_record(worker="remit-host-123")  # it beats again
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_naming_the_migrations_when_one_is_not_applied(client, worker_running):
    MigrationRecorder.Migration.objects.filter(app="core", name="0004_worker_heartbeats").delete()

    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["failing"] == ["migrations"]
    assert answer.json()["checks"]["migrations"] == (
        "1 migration(s) not applied: run `remit migrate`."
    )


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(
    client, worker_running, monkeypatch
):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)

    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable",
        "failing": ["database"],
        "checks": {"database": "The database did not answer."},
    }


def test_the_checks_reveal_no_worker_name_and_refuse_a_post(client, worker_running):
    assert "remit-host-123" not in client.get("/readyz").content.decode()
    assert client.post("/readyz").status_code == 405
    assert client.post("/healthz").status_code == 405


def test_behind_https_the_checks_answer_over_plain_http_while_pages_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/portal/login/").status_code == 301


def test_a_worker_writes_its_beat_at_most_every_heartbeat_interval():
    now = [1000.0]
    heartbeat = Heartbeat("remit-host-7", clock=lambda: now[0])

    heartbeat.beat()
    first = WorkerHeartbeat.objects.get(worker="remit-host-7").seen_at
    WorkerHeartbeat.objects.update(seen_at=first - timedelta(minutes=1))
    now[0] += HEARTBEAT_SECONDS - 1
    heartbeat.beat()  # too soon: nothing written
    assert WorkerHeartbeat.objects.get().seen_at == first - timedelta(minutes=1)

    now[0] += 1
    heartbeat.beat()
    assert WorkerHeartbeat.objects.get().seen_at >= first


def _through_wsgi(method: str, path: str) -> tuple[dict[str, str], bytes]:
    """The answer as a WSGI server receives it (Django's test client drops HEAD bodies
    itself, so it cannot show what the server gets)."""
    from wsgiref.util import setup_testing_defaults

    from django.core.wsgi import get_wsgi_application

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
    setup_testing_defaults(environ)
    started: dict[str, str] = {}

    def start_response(status, headers, exc_info=None):
        started.update(headers)

    return started, b"".join(get_wsgi_application()(environ, start_response))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/portal/login/"])
def test_a_head_request_gets_the_get_headers_and_no_body_so_the_server_drops_nothing(path):
    get_headers, get_body = _through_wsgi("GET", path)
    head_headers, head_body = _through_wsgi("HEAD", path)
    assert get_body and head_body == b""
    assert head_headers["Content-Length"] == get_headers["Content-Length"]
