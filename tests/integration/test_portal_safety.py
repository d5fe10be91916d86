"""No state change on GET, CSRF on every form, secure cookies, throttled sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from remit.core.money import Money
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_create
from tests.integration.test_portal_access import portal_patterns, their_values, urls_for
from tests.integration.test_portal_support import PASSWORD, SETUP, make_world

pytestmark = pytest.mark.django_db


def every_table() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        snapshot = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            snapshot[table] = sorted(repr(row) for row in cursor.fetchall())
    return snapshot


def test_no_portal_get_changes_any_table():
    world = make_world()
    ours = world.ours
    payment = payment_post(
        customer=ours,
        amount=Money.of("100.00", "USD"),
        payment_type="check",
        invoices=[InvoiceRequest(world.invoices[0].number)],
        idempotency_key="ours-1",
        actor=SETUP,
        source="backoffice",
    )
    held = schedule_create(
        customer=ours,
        method=world.card,
        invoice_numbers=[world.invoices[1].number],
        run_on=timezone.localdate() + timedelta(days=3),
        idempotency_key="ours-schedule",
        actor=SETUP,
        source="portal",
    )
    ours_values = {"number": [payment.number, held.number], "method_id": [world.card.pk]}
    query = {"invoice": [world.invoices[2].number], "q": "INV", "status": "all", "sort": "-due"}
    clients = []
    for user in (world.clerk, world.viewer, None):
        client = Client()
        if user is not None:
            client.force_login(user)
        clients.append(client)
        # The session of a user who may pay keeps the time of its last request (the idle
        # timeout), written on the first request and then at most every 30 seconds.
        client.get(reverse("portal:invoices"))
    before = every_table()
    requests = 0
    for pattern in portal_patterns():
        for values in (ours_values, their_values(world)):
            for url in urls_for(pattern, values):
                for client in clients:
                    for headers in ({}, {"HX-Request": "true"}):
                        client.get(url, query, headers=headers)
                        requests += 1
    assert requests > 100
    assert every_table() == before


def test_forms_without_the_csrf_token_are_refused():
    world = make_world()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk)
    data = {"invoice": [world.invoices[0].number], "method": world.card.pk, "key": "x"}
    for name in ("pay", "schedule", "switch", "method_add", "logout"):
        assert client.post(reverse(f"portal:{name}"), data).status_code == 403, name
    assert Payment.objects.filter(customer=world.ours).count() == 0


def test_the_pay_dialog_carries_the_csrf_token_for_its_post():
    world = make_world()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk)
    dialog = client.get(
        reverse("portal:pay"), {"invoice": world.invoices[0].number}, headers={"HX-Request": "true"}
    )
    assert 'name="csrfmiddlewaretoken"' in dialog.content.decode()


def test_session_and_csrf_cookies_are_secure_and_http_only():
    world = make_world()
    client = Client()
    login = client.get(reverse("portal:login"))
    assert login.cookies["csrftoken"]["secure"]
    response = client.post(
        reverse("portal:login"), {"username": world.clerk.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_ten_failed_sign_ins_lock_the_account_even_against_the_right_password():
    world = make_world()
    client = Client()
    url = reverse("portal:login")
    for attempt in range(10):
        response = client.post(url, {"username": world.clerk.username, "password": "wrong"})
        if attempt < 9:
            assert response.status_code == 200, attempt
            assert "correct username and password" in response.content.decode()
    locked = client.post(url, {"username": world.clerk.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "locked for 30 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:invoices")).status_code == 302  # still signed out


def test_a_good_sign_in_lands_on_open_invoices_and_sign_out_needs_a_post():
    world = make_world()
    client = Client()
    response = client.post(
        reverse("portal:login"), {"username": world.clerk.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("portal:invoices")
    assert client.get(reverse("portal:logout")).status_code == 405
    assert client.get(reverse("portal:invoices")).status_code == 200
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:invoices")).status_code == 302


def test_portal_pages_are_never_cached():
    world = make_world()
    client = Client()
    client.force_login(world.clerk)
    for name in ("invoices", "payments", "methods", "credit", "schedules"):
        cache = client.get(reverse(f"portal:{name}"))["Cache-Control"]
        assert "no-store" in cache and "private" in cache, name
