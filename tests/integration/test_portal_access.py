"""Who reaches what in the portal, walked over every URL pattern the resolver knows.

A new portal page is covered without anyone remembering to: the walks read the patterns
from `get_resolver()`, fill each URL parameter with another customer's ids, and fail on
a parameter they do not know yet.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from remit.customers.models import Role
from remit.invoices.models import Invoice
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment
from remit.portal.access import SESSION_KEY
from tests.factories import make_customer, make_invoice
from tests.integration.test_portal_support import make_world, portal_user

pytestmark = pytest.mark.django_db

READS_IDS_FROM_REQUEST = {"invoices", "payments", "pay", "schedule", "switch"}
"""Patterns without URL parameters that look up ids sent in the query or the form."""


def portal_patterns() -> list[URLPattern]:
    """Every URL pattern under the `portal` namespace, includes flattened."""

    def walk(entries):
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            else:
                yield entry

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "portal":
            return list(walk(entry.url_patterns))
    raise AssertionError("no portal namespace in the URL configuration")


def urls_for(pattern: URLPattern, values: dict[str, list]) -> list[str]:
    """The pattern's URL with each combination of candidate values for its parameters."""
    names = list(pattern.pattern.converters)
    for name in names:
        if name not in values:
            pytest.fail(f"portal:{pattern.name} has a parameter {name!r} this test does not know")
    combos = [{}]
    for name in names:
        combos = [{**c, name: value} for c in combos for value in values[name]]
    return [reverse(f"portal:{pattern.name}", kwargs=kwargs) for kwargs in combos]


def their_values(world) -> dict[str, list]:
    return {
        "number": [
            world.their_payment.number,
            world.their_schedule.number,
            world.their_invoice.number,
        ],
        "method_id": [world.their_card.pk],
    }


def their_data(world) -> dict:
    """Ids of theirs for every field a portal form or query might read."""
    return {
        "invoice": [world.their_invoice.number],
        "method": str(world.their_card.pk),
        "customer": world.theirs.number,
        "before": world.their_payment.number,
        "after": world.their_invoice.number,
        "key": str(uuid.uuid4()),
        "run_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }


def state(world) -> dict:
    return {
        "their_invoices": sorted(
            Invoice.objects.filter(customer=world.theirs).values_list(
                "number", "status", "balance_due_minor"
            )
        ),
        "payments": Payment.objects.count(),
        "methods": sorted(
            PaymentMethod.objects.values_list("pk", "removed", "is_default", "customer_id")
        ),
        "schedules": sorted(ScheduledPayment.objects.values_list("number", "status")),
    }


@pytest.fixture
def security_log():
    """Records of `remit.security` (which does not propagate to the root logger)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("remit.security")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def logged(records, path: str) -> bool:
    return any(path in record.getMessage() for record in records)


def test_every_portal_url_answers_404_to_another_customers_ids_and_logs_it(security_log):
    world = make_world()
    client = Client()
    before = state(world)
    with_parameters = [p for p in portal_patterns() if p.pattern.converters]
    assert {p.name for p in with_parameters} >= {"receipt", "method_remove", "schedule_cancel"}
    for pattern in with_parameters:
        for url in urls_for(pattern, their_values(world)):
            for method in ("get", "post"):
                client.force_login(world.clerk)
                response = getattr(client, method)(url, their_data(world))
                if response.status_code == 405:
                    continue  # this method is not served at all
                assert response.status_code == 404, (method, url, response.status_code)
                assert logged(security_log, url), f"no security log line for {method} {url}"
    assert state(world) == before


def test_ids_sent_in_a_query_or_a_form_are_looked_up_through_the_customer(security_log):
    world = make_world()
    client = Client()
    before = state(world)
    secrets = [
        world.theirs.number,
        world.theirs.name,
        world.their_invoice.number,
        world.their_payment.number,
        world.their_schedule.number,
    ]
    for pattern in portal_patterns():
        if pattern.pattern.converters or pattern.name == "logout":
            continue
        url = reverse(f"portal:{pattern.name}")
        for method in ("get", "post"):
            client.force_login(world.clerk)
            response = getattr(client, method)(url, their_data(world))
            body = response.content.decode(errors="replace")
            assert not [s for s in secrets if s in body], (method, url)
            if pattern.name in READS_IDS_FROM_REQUEST and response.status_code != 405:
                assert response.status_code == 404, (method, url, response.status_code)
                assert logged(security_log, url)
    assert state(world) == before


def test_a_view_only_user_is_refused_every_pay_action_with_403_and_a_log_line(security_log):
    world = make_world()
    ours = {
        "number": [world.invoices[0].number],
        "method_id": [world.card.pk],
    }
    data = {"invoice": [world.invoices[0].number], "method": str(world.card.pk)}
    data |= {"key": str(uuid.uuid4()), "run_on": "2099-01-01", "kind": "card", "token": "tok"}
    data |= {"brand": "Visa", "last4": "4242"}
    client = Client()
    client.force_login(world.viewer)
    before = state(world)
    pay_patterns = [p for p in portal_patterns() if getattr(p.callback, "portal_pay", False)]
    assert {p.name for p in pay_patterns} == {
        "pay",
        "schedule",
        "schedule_cancel",
        "method_add",
        "method_default",
        "method_remove",
    }
    for pattern in pay_patterns:
        for url in urls_for(pattern, ours):
            assert client.post(url, data).status_code == 403, url
            assert client.get(url, data).status_code in (403, 405), url
            assert logged(security_log, url)
    assert state(world) == before


def test_a_view_only_user_sees_invoices_payments_and_receipts_but_no_pay_action():
    world = make_world()
    client = Client()
    client.force_login(world.viewer)
    page = client.get(reverse("portal:invoices")).content.decode()
    assert world.invoices[0].number in page
    for offer in ("Pay Selected Invoices", "Schedule Payment", "Actions", 'name="invoice"'):
        assert offer not in page
    methods = client.get(reverse("portal:methods")).content.decode()
    assert world.card.display in methods
    assert "Add a payment method" not in methods and "Remove" not in methods
    clerk = Client()
    clerk.force_login(world.clerk)
    page = clerk.get(reverse("portal:invoices")).content.decode()
    assert "Pay Selected Invoices" in page and "Cancel Scheduled Payment" in page


def test_every_portal_page_sends_a_visitor_who_is_not_signed_in_to_the_login():
    world = make_world()
    client = Client()
    for pattern in portal_patterns():
        if pattern.name == "login":
            continue
        for url in urls_for(pattern, their_values(world)):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code == 405:
                    continue
                assert response.status_code == 302, (method, url)
                assert response["Location"].startswith(reverse("portal:login")), url


def test_every_portal_view_goes_through_the_portal_access_check():
    for pattern in portal_patterns():
        if pattern.name in ("login", "logout"):
            continue  # Django's own views: the login is throttled by django-axes
        assert getattr(pattern.callback, "portal_view", False), pattern.name


def test_a_clerk_switches_only_between_their_own_customers(security_log):
    first, second, stranger = make_customer(), make_customer(), make_customer()
    make_invoice(first, "10.00", number="INV-FIRST-1")
    make_invoice(second, "20.00", number="INV-SECOND-1")
    make_invoice(stranger, "30.00", number="INV-STRANGER-1")
    clerk = portal_user((first, Role.ACCOUNTS_PAYABLE), (second, Role.VIEWER))
    client = Client()
    client.force_login(clerk)
    landing = client.get(reverse("portal:invoices")).content.decode()
    assert "INV-FIRST-1" in landing and "INV-SECOND-1" not in landing
    assert first.name in landing and second.name in landing  # the switcher offers both

    response = client.post(reverse("portal:switch"), {"customer": second.number})
    assert response.status_code == 303
    page = client.get(reverse("portal:invoices")).content.decode()
    assert "INV-SECOND-1" in page and "INV-FIRST-1" not in page
    assert "Pay Selected Invoices" not in page  # view only at the second customer

    response = client.post(reverse("portal:switch"), {"customer": stranger.number})
    assert response.status_code == 404
    assert logged(security_log, reverse("portal:switch"))
    assert client.session[SESSION_KEY] == second.pk
    assert "INV-STRANGER-1" not in client.get(reverse("portal:invoices")).content.decode()


def test_a_login_without_any_customer_is_told_so():
    user = portal_user()
    client = Client()
    client.force_login(user)
    response = client.get(reverse("portal:invoices"))
    assert response.status_code == 403
    assert "not linked to any customer" in response.content.decode()


def test_a_session_pointing_at_a_customer_the_user_left_falls_back_to_their_own():
    world = make_world()
    client = Client()
    client.force_login(world.clerk)
    session = client.session
    session[SESSION_KEY] = world.theirs.pk
    session.save()
    page = client.get(reverse("portal:invoices")).content.decode()
    assert world.invoices[0].number in page and world.their_invoice.number not in page
