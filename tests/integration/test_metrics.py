"""`/metrics`: Prometheus' text format for an operator's scraper, behind a bearer token.

Without REMIT_METRICS_TOKEN, or without the token, the page is the site's ordinary 404.
The counters are read as a scraper reads them, from the page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from remit.core.audit import Actor
from remit.core.heartbeat import heartbeat_record
from remit.payments.models import Payment, Source
from remit.payments.services.card import card_payment_submit
from remit.payments.services.offline import payment_post
from remit.payments.states import PaymentStatus
from tests.conftest import usd
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import save_card

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests"
CLERK = Actor(label="clerk")


@pytest.fixture
def token(settings):
    settings.REMIT_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """Every sample on the page, by name and labels."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_without_a_configured_token_the_page_is_not_there(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}],
)
def test_without_the_token_the_page_is_the_ordinary_404(client, token, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert b"remit_" not in response.content
    assert response.content == client.get("/no-such-page").content


def test_with_the_token_it_lists_every_series(client, token):
    login = {"method": "GET", "view": "portal:login", "status": "200"}
    before = value(scrape(client), "remit_http_requests_total", **login)
    client.get("/portal/login/")
    samples = scrape(client)
    names = {name for name, _ in samples}
    assert value(samples, "remit_http_requests_total", **login) == before + 1
    assert "remit_http_request_duration_seconds_bucket" in names
    assert value(samples, "remit_payments_pending", type="card", age="under_5m") == 0
    # The page lists these families even before anything was counted.
    page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content
    for family in (
        "remit_payments_posted_total",
        "remit_payments_failed_total",
        "remit_gateway_calls_total",
        "remit_worker_last_run_timestamp_seconds",
        "remit_worker_tasks_waiting",
    ):
        assert f"# TYPE {family} ".encode() in page


def test_a_path_no_route_matches_is_counted_as_unresolved_not_by_its_path(client, token):
    before = value(scrape(client), "remit_http_requests_total", method="GET",
                   view="unresolved", status="404")  # fmt: skip
    client.get("/wp-admin/setup.php")
    samples = scrape(client)
    assert value(samples, "remit_http_requests_total", method="GET", view="unresolved",
                 status="404") == before + 1  # fmt: skip
    assert not any("wp-admin" in str(labels) for _, labels in samples)


def test_a_posted_check_is_counted_once_committed(
    client, token, new_key, django_capture_on_commit_callbacks
):
    customer = make_customer()
    make_invoice(customer, "100.00")
    before = value(scrape(client), "remit_payments_posted_total", type="check")
    with django_capture_on_commit_callbacks(execute=True):
        payment_post(
            customer=customer, amount=usd("100.00"), payment_type="check",
            idempotency_key=new_key(), actor=CLERK, source=Source.BACKOFFICE,
        )  # fmt: skip
    assert value(scrape(client), "remit_payments_posted_total", type="check") == before + 1


def test_a_declined_card_is_counted_as_failed_and_its_gateway_call_as_declined(
    client, token, new_key, django_capture_on_commit_callbacks
):
    customer = make_customer()
    make_invoice(customer, "80.00")
    card = save_card(customer, "4000000000000002")  # declines
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        payment = card_payment_submit(
            customer=customer, method=card, amount=usd("80.00"), idempotency_key=new_key(),
            actor=CLERK, source=Source.PORTAL,
        )  # fmt: skip
    assert payment.status == PaymentStatus.FAILED
    after = scrape(client)
    for name, labels in (
        ("remit_payments_posted_total", {"type": "card"}),
        ("remit_payments_failed_total", {"type": "card"}),
        ("remit_gateway_calls_total", {"operation": "charge", "outcome": "declined"}),
    ):
        assert value(after, name, **labels) == value(before, name, **labels) + 1, name


def test_pending_payments_are_shown_by_age(client, token, new_key):
    customer = make_customer()
    make_invoice(customer, "50.00")
    make_invoice(customer, "60.00")
    card = save_card(customer)
    for amount in ("50.00", "60.00"):
        card_payment_submit(
            customer=customer, method=card, amount=usd(amount), idempotency_key=new_key(),
            actor=CLERK, source=Source.PORTAL,
        )  # fmt: skip
    older = Payment.objects.filter(amount_minor=6000)
    older.update(created_at=timezone.now() - timedelta(days=2))

    samples = scrape(client)
    assert value(samples, "remit_payments_pending", type="card", age="under_5m") == 1
    assert value(samples, "remit_payments_pending", type="card", age="1d_to_3d") == 1
    assert value(samples, "remit_payments_pending", type="bank", age="over_3d") == 0


def test_static_files_are_one_series_however_many_there_are(client, token):
    client.get("/static/portal/portal.css")
    client.get("/static/remit/base.css")
    views = {dict(labels).get("view") for name, labels in scrape(client)}
    assert "static" in views
    assert not any(view and "css" in view for view in views)


def test_the_workers_heartbeat_shows_who_is_alive(client, token):
    assert value(scrape(client), "remit_workers_alive") == 0
    heartbeat_record(worker="remit-host-1")
    heartbeat_record(worker="remit-host-2")
    samples = scrape(client)
    assert value(samples, "remit_workers_alive") == 2
    beat = value(samples, "remit_worker_heartbeat_timestamp_seconds")
    assert abs(beat - timezone.now().timestamp()) < 60
