"""A portal session that may pay ends after REMIT_PORTAL_IDLE_MINUTES (30) without a
request, as a staff session does after 15: the user is sent to sign in, and a payment
asked for after that is refused with nothing written. Time is moved with time-machine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from remit.payments.models import Payment
from tests.integration.test_api_support import Api, row_counts
from tests.integration.test_portal_support import World, make_world

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("portal:invoices")).status_code == 200  # the clock starts
    return client


def written() -> dict[str, int]:
    """Every table's rows but the sessions' (signing out deletes the idle one)."""
    counts = row_counts()
    counts.pop("sessions.Session")
    return counts


def pay(client: Client, world: World):
    data = {"invoice": [world.invoices[0].number], "method": world.card.pk, "key": uuid.uuid4()}
    return client.post(reverse("portal:pay"), data, headers=HTMX)


def test_after_31_idle_minutes_the_clerk_is_sent_to_sign_in(world, clock):
    client = signed_in(world.clerk)
    clock.shift(timedelta(minutes=31))

    answer = client.get(reverse("portal:payments"))

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("portal:login") + "?next=/portal/payments/")
    login = client.get(answer["Location"])
    assert "You were signed out after 30 minutes without activity." in login.content.decode()
    assert client.get(reverse("portal:invoices")).status_code == 302  # signed out for good


def test_a_payment_asked_for_after_31_idle_minutes_is_refused_with_nothing_written(world, clock):
    client = signed_in(world.clerk)
    clock.shift(timedelta(minutes=31))
    before = written()

    answer = pay(client, world)

    assert answer.status_code == 204 and answer["HX-Redirect"] == reverse("portal:login")
    assert not Payment.objects.filter(customer=world.ours).exists()
    assert written() == before


def test_a_session_in_use_stays_open(world, clock):
    client = signed_in(world.clerk)
    for _ in range(3):  # an hour and a half, a request every 29 minutes
        clock.shift(timedelta(minutes=29))
        assert client.get(reverse("portal:invoices")).status_code == 200
    paid = pay(client, world)
    assert "/confirmation/" in paid["HX-Redirect"]
    assert Payment.objects.filter(customer=world.ours).count() == 1


def test_the_idle_time_is_a_setting(world, clock, settings):
    settings.REMIT_PORTAL_IDLE_MINUTES = 5
    client = signed_in(world.clerk)
    clock.shift(timedelta(minutes=4))
    assert client.get(reverse("portal:invoices")).status_code == 200
    clock.shift(timedelta(minutes=6))
    assert client.get(reverse("portal:invoices")).status_code == 302


def test_a_view_only_session_cannot_pay_so_it_is_not_timed_out(world, clock):
    client = signed_in(world.viewer)
    clock.shift(timedelta(hours=3))
    assert client.get(reverse("portal:invoices")).status_code == 200


def test_the_api_refuses_an_idle_portal_session_too(world, clock):
    client = signed_in(world.clerk)
    api = Api(client)
    assert api.get("/invoices").status_code == 200
    clock.shift(timedelta(minutes=31))
    before = written()
    body = {"customer": world.ours.number, "amount": "100.00", "type": "card"}

    answer = api.post("/payments", body | {"method": world.card.pk})

    assert answer.status_code == 401
    assert written() == before
    assert client.get(reverse("portal:invoices")).status_code == 302


def test_the_page_of_a_user_who_may_pay_knows_when_to_take_the_screen_back(world, clock):
    meta = '<meta name="remit-idle-seconds" content="1800">'
    assert meta in signed_in(world.clerk).get(reverse("portal:invoices")).content.decode()
    viewer_page = signed_in(world.viewer).get(reverse("portal:invoices")).content.decode()
    assert "remit-idle-seconds" not in viewer_page
