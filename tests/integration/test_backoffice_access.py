"""Who may use the back office: staff with permissions, signed in, not idle too long."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from remit.backoffice.access import IDLE_LIMIT, SEEN_KEY
from remit.backoffice.groups import CLERK, MANAGER
from remit.core.models import AuditEvent
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def staff(username: str, *groups: str, is_staff: bool = True) -> User:
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=is_staff)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def signed_in(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def security_log():
    """What remit.security logged (it does not propagate to pytest's root handler)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("remit.security")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture
def paid():
    """A customer with one invoice paid by a check."""
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = payment_post(
        customer=customer,
        amount=usd("100.00"),
        payment_type=PaymentType.CHECK,
        reference="4411",
        idempotency_key="access-1",
        actor=ACTOR,
        source=Source.CLI,
    )
    return customer, invoice, payment


def urls_for(customer, invoice, payment) -> dict[str, list[str]]:
    c, i, p = customer.number, invoice.number, payment.number
    return {
        "get": [
            reverse("backoffice:home"),
            reverse("backoffice:customer", args=[c]),
            reverse("backoffice:payment_batch", args=[c]),
            reverse("backoffice:payment_single", args=[c, i]),
            reverse("backoffice:payment_preview", args=[c]) + "?amount=5",
            reverse("backoffice:credit_apply", args=[c]),
            reverse("backoffice:payment", args=[c, p]),
            reverse("backoffice:receipt", args=[c, p]),
            reverse("backoffice:receipt_pdf", args=[c, p]),
            reverse("backoffice:invoices"),
            reverse("backoffice:invoice", args=[c, i]),
            reverse("backoffice:invoice_new"),
            reverse("backoffice:invoice_import"),
            reverse("backoffice:customer_new"),
        ],
        "post": [
            reverse("backoffice:payment_batch_save", args=[c]),
            reverse("backoffice:payment_single_save", args=[c, i]),
            reverse("backoffice:card_add", args=[c]),
            reverse("backoffice:credit_apply_save", args=[c]),
            reverse("backoffice:payment_void", args=[c, p]),
            reverse("backoffice:payment_refund", args=[c, p]),
            reverse("backoffice:invoice_void", args=[c, i]),
            reverse("backoffice:invoice_create"),
            reverse("backoffice:invoice_import_run"),
            reverse("backoffice:customer_create"),
        ],
    }


# --- groups -----------------------------------------------------------------------------


def test_the_migration_creates_a_clerk_group_that_views_and_posts_but_cannot_void():
    codenames = set(Group.objects.get(name=CLERK).permissions.values_list("codename", flat=True))
    assert {"view_customer", "view_invoice", "view_payment", "post_payment"} <= codenames
    assert not codenames & {"void_payment", "manage_invoices", "manage_customers"}


def test_the_migration_creates_a_manager_group_with_every_staff_permission():
    codenames = set(Group.objects.get(name=MANAGER).permissions.values_list("codename", flat=True))
    assert {
        "view_payment",
        "post_payment",
        "void_payment",
        "manage_invoices",
        "manage_customers",
        "configure_gateway",
    } <= codenames


# --- who gets in ------------------------------------------------------------------------


def test_every_page_sends_an_anonymous_visitor_to_the_staff_login(paid):
    client = Client()
    for url in urls_for(*paid)["get"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/login/?next="), url


def test_an_htmx_request_without_a_session_is_told_to_go_to_the_login(paid):
    customer, _, _ = paid
    url = reverse("backoffice:payment_batch", args=[customer.number])
    response = Client().get(url, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/staff/login/"


def test_every_view_refuses_a_signed_in_user_who_is_not_staff_and_logs_it(paid, security_log):
    client = signed_in(staff("portal-user", MANAGER, is_staff=False))
    urls = urls_for(*paid)
    for url in urls["get"]:
        assert client.get(url).status_code == 403, url
    for url in urls["post"]:
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    assert len(security_log) == len(urls["get"]) + len(urls["post"])
    assert "portal-user" in security_log[0].getMessage()


def test_staff_without_the_view_permissions_are_refused(paid):
    client = signed_in(staff("nobody"))
    assert client.get(reverse("backoffice:home")).status_code == 403


def test_a_clerk_sees_every_page(paid):
    client = signed_in(staff("clerk", CLERK))
    refused = {
        reverse("backoffice:invoice_new"),
        reverse("backoffice:invoice_import"),
        reverse("backoffice:customer_new"),
    }
    for url in urls_for(*paid)["get"]:
        expected = 403 if url in refused else 200
        assert client.get(url).status_code == expected, url


# --- void needs its permission ------------------------------------------------------------


def test_a_clerk_is_not_offered_void(paid):
    customer, _, payment = paid
    client = signed_in(staff("clerk", CLERK))
    page = client.get(reverse("backoffice:payment", args=[customer.number, payment.number]))
    assert page.status_code == 200
    assert b"Void" not in page.content.replace(b"Voided", b"")
    assert b'id="void-button"' not in page.content


def test_a_manager_is_offered_void(paid):
    customer, _, payment = paid
    client = signed_in(staff("manager", MANAGER))
    page = client.get(reverse("backoffice:payment", args=[customer.number, payment.number]))
    assert b'id="void-button"' in page.content


def test_a_clerks_direct_void_is_refused_logged_and_changes_nothing(paid, security_log):
    customer, invoice, payment = paid
    client = signed_in(staff("clerk", CLERK))
    url = reverse("backoffice:payment_void", args=[customer.number, payment.number])
    response = client.post(url, {"reason": "trying"})
    assert response.status_code == 403
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == "settled" and invoice.status == "paid"
    assert not AuditEvent.objects.filter(action="payment.voided").exists()
    (record,) = security_log
    assert "clerk" in record.getMessage() and "payments.void_payment" in record.getMessage()


def test_a_clerks_direct_refund_and_invoice_void_are_refused(paid):
    customer, invoice, payment = paid
    client = signed_in(staff("clerk", CLERK))
    c, p, i = customer.number, payment.number, invoice.number
    assert client.post(reverse("backoffice:payment_refund", args=[c, p])).status_code == 403
    assert client.post(reverse("backoffice:invoice_void", args=[c, i])).status_code == 403


# --- requests that change state -----------------------------------------------------------


def test_no_state_change_is_reachable_by_get(paid):
    client = signed_in(staff("manager", MANAGER))
    before = (Payment.objects.count(), AuditEvent.objects.count())
    for url in urls_for(*paid)["post"]:
        assert client.get(url).status_code == 405, url
    assert (Payment.objects.count(), AuditEvent.objects.count()) == before


def test_pages_and_windows_change_nothing(paid):
    client = signed_in(staff("manager", MANAGER))
    before = (Payment.objects.count(), AuditEvent.objects.count())
    for url in urls_for(*paid)["get"]:
        client.get(url)
    assert (Payment.objects.count(), AuditEvent.objects.count()) == before


def test_a_post_without_the_csrf_token_is_refused(paid):
    customer, _, payment = paid
    client = signed_in(staff("manager", MANAGER), enforce_csrf_checks=True)
    url = reverse("backoffice:payment_void", args=[customer.number, payment.number])
    assert client.post(url, {"reason": "x"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == "settled"


def test_another_customers_payment_is_not_found_through_this_customer(paid):
    _, _, payment = paid
    other = make_customer()
    client = signed_in(staff("manager", MANAGER))
    url = reverse("backoffice:payment", args=[other.number, payment.number])
    assert client.get(url).status_code == 404
    void = reverse("backoffice:payment_void", args=[other.number, payment.number])
    assert client.post(void).status_code == 404
    payment.refresh_from_db()
    assert payment.status == "settled"


# --- signing in and out -------------------------------------------------------------------


def test_staff_sign_in_at_the_staff_login_and_land_on_the_customer_search():
    staff("clerk", CLERK)
    client = Client()
    page = client.get(reverse("backoffice:login"))
    assert b'<label for="id_username">' in page.content
    response = client.post(
        reverse("backoffice:login"), {"username": "clerk", "password": "a-long-test-password"}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_portal_user_cannot_sign_in_to_the_back_office():
    staff("portal", is_staff=False)
    response = Client().post(
        reverse("backoffice:login"), {"username": "portal", "password": "a-long-test-password"}
    )
    assert response.status_code == 200
    assert "cannot sign in to the back office" in response.content.decode()


def test_a_wrong_password_says_so_in_a_sentence():
    staff("clerk", CLERK)
    response = Client().post(reverse("backoffice:login"), {"username": "clerk", "password": "no"})
    assert "The username or password is not right" in response.content.decode()


def test_repeated_failed_logins_lock_the_account_through_axes():
    staff("clerk", CLERK)
    client = Client()
    for _ in range(10):
        client.post(reverse("backoffice:login"), {"username": "clerk", "password": "wrong"})
    response = client.post(
        reverse("backoffice:login"), {"username": "clerk", "password": "a-long-test-password"}
    )
    assert response.status_code == 429


def test_sign_out_is_a_post_and_ends_the_session():
    client = signed_in(staff("clerk", CLERK))
    assert client.post(reverse("backoffice:logout")).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_staff_session_ends_after_15_idle_minutes():
    client = signed_in(staff("clerk", CLERK))
    assert client.get("/staff/").status_code == 200
    session = client.session
    session[SEEN_KEY] = int(time.time()) - IDLE_LIMIT - 1
    session.save()
    response = client.get("/staff/invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    login = client.get(response["Location"])
    assert "signed out after 15 minutes without activity" in login.content.decode()
    assert client.get("/staff/").status_code == 302


def test_a_session_in_use_stays_open():
    client = signed_in(staff("clerk", CLERK))
    client.get("/staff/")
    session = client.session
    session[SEEN_KEY] = int(time.time()) - IDLE_LIMIT + 60
    session.save()
    assert client.get("/staff/").status_code == 200


def test_the_idle_timeout_applies_only_under_staff():
    user = staff("admin", MANAGER)
    user.is_superuser = True
    user.save()
    client = signed_in(user)
    session = client.session
    session[SEEN_KEY] = int(time.time()) - IDLE_LIMIT - 1
    session.save()
    assert client.get("/admin/").status_code == 200
