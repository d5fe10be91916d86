"""Who may call what: API keys (hashed, revocable, scoped, limited to a customer) and portal
users (their own customers only, and paying only with the Accounts Payable role)."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from remit.core.errors import NotFound, RemitError
from remit.core.models import AuditEvent
from remit.customers.models import Membership, Role
from remit.integrations.keys import api_key_create, api_key_revoke
from remit.integrations.models import ApiKey
from remit.payments.models import Payment
from tests.integration.test_api_support import (
    ADMIN,
    Api,
    assert_error,
    key_for,
    row_counts,
    save_card,
)

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]


# --- API keys ------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_the_hash_of_its_secret_is_kept(erp):
    new = api_key_create(name="ERP", scope="write", actor=ADMIN)
    _, prefix, secret = new.key.split("_", 2)
    stored = ApiKey.objects.get(pk=new.api_key.pk)
    assert stored.prefix == prefix
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    kept = [str(v) for row in ApiKey.objects.values() for v in row.values()]
    kept += [str(row) for row in AuditEvent.objects.values_list("before", "after")]
    assert not [value for value in kept if secret in value]
    assert Api(erp.client, new.key).get("/customers").status_code == 200


def test_a_revoked_key_is_refused(client):
    key = key_for()
    api = Api(client, key)
    assert api.get("/customers").status_code == 200
    api_key_revoke(prefix=key.split("_")[1], actor=ADMIN)
    assert_error(api.get("/customers"), 401, "unauthenticated")
    with pytest.raises(RemitError):
        api_key_revoke(prefix=key.split("_")[1], actor=ADMIN)
    with pytest.raises(NotFound):
        api_key_revoke(prefix="nosuchkey", actor=ADMIN)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer rk_",
        "Bearer rk_deadbeef_wrong",
        "Basic dXNlcjpwYXNz",
        "Bearer sk_live_123",
    ],
)
def test_a_missing_or_wrong_key_is_answered_401(client, acme, header):
    key = key_for()
    if header == "Bearer rk_deadbeef_wrong":
        header = f"Bearer rk_{key.split('_')[1]}_wrong"
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/invoices", headers=headers)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_read_key_reads_and_may_not_write(client, acme):
    reader = Api(client, key_for(scope="read"))
    assert reader.get("/invoices").status_code == 200
    before = row_counts()
    body = {"customer": "C-ACME", "amount": "10.00", "type": "check"}
    assert_error(reader.post("/payments", body), 403, "forbidden")
    assert_error(reader.patch("/customers/C-ACME", {"name": "X"}), 403, "forbidden")
    assert row_counts() == before


def test_a_key_limited_to_one_customer_sees_nothing_of_another(client, acme, globex, caplog):
    acme_key = Api(client, key_for(customer=acme))
    assert [c["number"] for c in acme_key.get("/customers").json()["items"]] == ["C-ACME"]
    assert [i["number"] for i in acme_key.get("/invoices").json()["items"]] == ["INV-A1", "INV-A2"]
    with caplog.at_level(logging.WARNING, logger="remit.security"):
        hidden = assert_error(acme_key.get("/invoices/INV-G1"), 404, "not_found")
    assert hidden["message"] == "There is no invoice INV-G1."
    assert assert_error(acme_key.get("/invoices/INV-NONE"), 404)["message"].startswith("There is")
    assert "another customer" in caplog.text
    before = row_counts()
    assert_error(acme_key.get("/customers/C-GLOBEX"), 404)
    assert_error(
        acme_key.post("/payments", {"customer": "C-GLOBEX", "amount": "1.00", "type": "cash"}), 404
    )
    assert_error(acme_key.post("/invoices/INV-G1/void", {}), 404)
    assert_error(acme_key.post("/customers", {"number": "C-X", "name": "X"}), 403)
    assert row_counts() == before


# --- portal sessions ------------------------------------------------------------------------


def portal_user(username: str, **roles) -> Client:
    """A signed-in portal user with `customer=role` memberships."""
    from remit.customers.models import Customer

    user = get_user_model().objects.create_user(username=username, password="x-long-password-1")
    for number, role in roles.items():
        customer = Customer.objects.get(number=number.replace("_", "-"))
        Membership.objects.create(user=user, customer=customer, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_a_viewer_sees_their_customer_and_nothing_else(acme, globex):
    viewer = Api(portal_user("vera", C_ACME=Role.VIEWER))
    assert [c["number"] for c in viewer.get("/customers").json()["items"]] == ["C-ACME"]
    assert viewer.get("/invoices/INV-A1").status_code == 200
    assert_error(viewer.get("/invoices/INV-G1"), 404)
    assert_error(viewer.get("/credit", customer="C-GLOBEX"), 404)


def test_a_viewer_may_not_pay_apply_credit_or_manage_methods(acme):
    card = save_card(acme)
    viewer = Api(portal_user("vic", C_ACME=Role.VIEWER))
    before = row_counts()
    card_payment = {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk}
    assert_error(viewer.post("/payments", card_payment), 403, "forbidden")
    assert_error(viewer.post("/credit/apply", {"customer": "C-ACME"}), 403)
    assert_error(viewer.delete(f"/payment-methods/{card.pk}"), 403)
    assert row_counts() == before


def test_accounts_payable_pays_with_a_saved_card_but_posts_no_checks(acme):
    card = save_card(acme)
    clerk = Api(portal_user("ada", C_ACME=Role.ACCOUNTS_PAYABLE))
    body = {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    refused = assert_error(
        clerk.post("/payments", body | {"notes": "hi", "post_date": yesterday}), 403
    )
    assert set(refused["fields"]) == {"notes", "post_date"}
    paid = clerk.post("/payments", body)
    assert paid.status_code == 201, paid.content
    assert paid.json()["notes"] is None  # internal notes are never shown to the portal
    assert Payment.objects.get().actor == "ada"
    assert_error(clerk.post("/payments", {**body, "type": "check", "method": None}), 403)


def test_a_user_of_two_customers_pays_where_they_are_accounts_payable_only(acme, globex):
    both = Api(portal_user("bo", C_ACME=Role.VIEWER, C_GLOBEX=Role.ACCOUNTS_PAYABLE))
    assert {c["number"] for c in both.get("/customers").json()["items"]} == {"C-ACME", "C-GLOBEX"}
    for customer, expected in (("C-ACME", 403), ("C-GLOBEX", 201)):
        token_body = {"customer": customer, "amount": "10.00", "type": "card"}
        method = save_card(acme if customer == "C-ACME" else globex)
        response = both.post("/payments", token_body | {"method": method.pk})
        assert response.status_code == expected, response.content


def test_a_portal_session_cannot_call_the_integration_routes(acme):
    clerk = Api(portal_user("ann", C_ACME=Role.ACCOUNTS_PAYABLE))
    invoice = {
        "customer": "C-ACME",
        "number": "INV-P1",
        "invoice_date": "2026-01-01",
        "due_date": "2026-01-31",
        "total": "5.00",
    }
    assert_error(clerk.post("/invoices", invoice), 401)
    assert_error(clerk.post("/invoices/INV-A1/void", {}), 401)
    assert_error(clerk.patch("/customers/C-ACME", {"name": "Mine now"}), 401)


def test_a_portal_write_needs_the_csrf_token(acme):
    user = get_user_model().objects.create_user(username="cs", password="x-long-password-1")
    Membership.objects.create(user=user, customer=acme, role=Role.ACCOUNTS_PAYABLE)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    api = Api(strict)
    assert api.get("/invoices").status_code == 200
    assert_error(api.post("/credit/apply", {"customer": "C-ACME"}), 403, "forbidden")
    strict.get("/admin/login/")  # any page that sets the CSRF cookie
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/api/v1/credit/apply",
        data={"customer": "C-ACME"},
        content_type="application/json",
        headers={"Idempotency-Key": "csrf-1", "X-CSRFToken": token},
    )
    assert_error(response, 422)  # past the CSRF check: no credit to apply


def test_a_user_without_memberships_sees_nothing(acme):
    staff = Api(portal_user("sam"))
    assert staff.get("/customers").json()["items"] == []
    assert staff.get("/invoices").json()["items"] == []
    assert_error(staff.get("/invoices/INV-A1"), 404)


def test_staff_see_keys_in_the_admin_without_their_hash(admin_client):
    new = api_key_create(name="Netsuite", scope="read", actor=ADMIN)
    listing = admin_client.get("/admin/integrations/apikey/")
    assert listing.status_code == 200
    assert b"Netsuite" in listing.content
    page = admin_client.get(f"/admin/integrations/apikey/{new.api_key.pk}/change/")
    assert page.status_code == 200
    assert new.api_key.secret_hash.encode() not in page.content
