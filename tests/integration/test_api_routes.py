"""Every route of the API, used as an ERP would: invoices in, payments out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.invoices.models import Invoice
from remit.payments.models import Event, Payment, PaymentMethod, ScheduledPayment
from remit.payments.services.reconcile import payments_settle
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import (
    assert_error,
    sandbox_token,
    save_card,
)

MASTERCARD = "5555555555554444"
pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]

DECLINED_CARD = "4000000000000002"


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


def pay(erp, body: dict, **kwargs):
    return erp.post("/payments", {"type": "check", **body}, **kwargs)


# --- the schema --------------------------------------------------------------------------


def test_the_schema_is_at_api_v1_openapi_json_and_the_docs_at_api_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "remit API"
    assert "/api/v1/payments" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_every_operation_declares_the_error_shape_for_its_errors(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "422", "500"} <= statuses, (method, path)
            if method == "post":
                assert {"400", "409", "413"} <= statuses, (method, path)
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/Error"), (method, path, status)


def test_an_unknown_route_and_a_wrong_method_answer_in_the_error_shape(erp):
    assert_error(erp.get("/nowhere"), 404, "not_found")
    response = erp.client.put("/api/v1/customers", headers={"Authorization": f"Bearer {erp.key}"})
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"]


# --- customers ---------------------------------------------------------------------------


def test_an_integration_creates_lists_reads_and_renames_a_customer(erp):
    created = erp.post(
        "/customers", {"number": "C-NEW", "name": "New Co", "email": "ap@new.example"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "USD"
    assert [c["number"] for c in erp.get("/customers").json()["items"]] == ["C-NEW"]
    assert erp.get("/customers/C-NEW").json()["name"] == "New Co"
    renamed = erp.patch("/customers/C-NEW", {"name": "New Company"})
    assert renamed.status_code == 200
    assert renamed.json() | {"created_at": None} == created.json() | {
        "name": "New Company",
        "created_at": None,
    }


def test_a_customer_number_already_taken_is_refused_naming_the_field(erp, acme):
    body = assert_error(erp.post("/customers", {"number": "C-ACME", "name": "Again"}), 422)
    assert body["fields"] == {"number": "taken"}


def test_customers_are_paged_with_a_cursor(erp):
    for n in range(5):
        make_customer(number=f"C-PAGE{n}")
    first = erp.get("/customers", limit=2).json()
    second = erp.get("/customers", limit=2, cursor=first["next_cursor"]).json()
    third = erp.get("/customers", limit=2, cursor=second["next_cursor"]).json()
    numbers = [c["number"] for page in (first, second, third) for c in page["items"]]
    assert numbers == [f"C-PAGE{n}" for n in range(5)]
    assert third["next_cursor"] is None


# --- invoices ----------------------------------------------------------------------------


def invoice_body(number: str, total: str = "120.00", customer: str = "C-ACME", **extra):
    return {
        "customer": customer,
        "number": number,
        "invoice_date": "2026-01-05",
        "due_date": "2026-02-04",
        "total": total,
        **extra,
    }


def test_an_invoice_pushed_in_is_open_with_its_total_due(erp, acme):
    response = erp.post("/invoices", invoice_body("INV-9001", description="Widgets"))
    assert response.status_code == 201, response.content
    assert response.json() == {
        "number": "INV-9001",
        "customer": "C-ACME",
        "invoice_date": "2026-01-05",
        "due_date": "2026-02-04",
        "currency": "USD",
        "total": "120.00",
        "balance_due": "120.00",
        "status": "open",
        "partly_paid": False,
        "description": "Widgets",
        "terms": None,
        "discount": None,
    }
    assert erp.get("/invoices/INV-9001").json() == response.json()


def test_bulk_invoices_are_all_written_or_none_and_each_refusal_is_named(erp, acme):
    twice = [invoice_body("INV-B1"), invoice_body("INV-B1")]
    body = assert_error(erp.post("/invoices/bulk", {"invoices": twice}), 422, "invalid")
    assert "INV-B1" in body["message"]
    early = [invoice_body("INV-B1"), invoice_body("INV-B2", due_date="2025-12-01")]
    body = assert_error(erp.post("/invoices/bulk", {"invoices": early}), 422, "invalid")
    assert list(body["fields"]) == ["invoices[1]"]
    taken = [invoice_body("INV-B1"), invoice_body("INV-A1"), invoice_body("INV-A2")]
    body = assert_error(erp.post("/invoices/bulk", {"invoices": taken}), 422, "import_rejected")
    assert set(body["fields"]) == {"invoices[1]", "invoices[2]"}
    assert not Invoice.objects.filter(number__startswith="INV-B").exists()
    good = erp.post("/invoices/bulk", {"invoices": [invoice_body(f"INV-B{n}") for n in range(3)]})
    assert good.status_code == 201
    assert [i["number"] for i in good.json()] == ["INV-B0", "INV-B1", "INV-B2"]


def test_invoices_are_listed_with_filters_and_a_cursor(erp, acme, globex):
    everything = erp.get("/invoices").json()
    assert [i["number"] for i in everything["items"]] == ["INV-A1", "INV-A2", "INV-G1"]
    assert everything["next_cursor"] is None
    only_acme = erp.get("/invoices", customer="C-ACME", limit=1).json()
    assert [i["number"] for i in only_acme["items"]] == ["INV-A1"]
    rest = erp.get("/invoices", customer="C-ACME", cursor=only_acme["next_cursor"]).json()
    assert [i["number"] for i in rest["items"]] == ["INV-A2"]
    pay(erp, {"customer": "C-ACME", "amount": "100.00", "invoices": [{"number": "INV-A1"}]})
    paid = erp.get("/invoices", status="paid").json()["items"]
    assert [i["number"] for i in paid] == ["INV-A1"]
    due_soon = erp.get("/invoices", due_before=date.today().isoformat()).json()["items"]
    assert [i["number"] for i in due_soon] == ["INV-A1", "INV-G1"]  # INV-A2 is due later


def test_an_invoice_with_nothing_applied_is_voided_and_a_paid_one_is_not(erp, acme):
    voided = erp.post("/invoices/INV-A2/void", {"reason": "duplicate"})
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    pay(erp, {"customer": "C-ACME", "amount": "100.00"})
    assert_error(erp.post("/invoices/INV-A1/void", {}), 409, "void_refused")


# --- payments ----------------------------------------------------------------------------


def test_a_check_is_applied_to_the_invoices_named_with_the_amounts_given(erp, acme):
    response = pay(
        erp,
        {
            "customer": "C-ACME",
            "amount": "130.00",
            "reference": "4411",
            "invoices": [{"number": "INV-A2", "amount": "30.00"}, {"number": "INV-A1"}],
        },
    )
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["status"] == "settled"
    assert payment["allocation_policy"] == "explicit"
    assert {(a["invoice"], a["amount"]) for a in payment["allocations"]} == {
        ("INV-A1", "100.00"),
        ("INV-A2", "30.00"),
    }
    assert payment["credit_created"] == "0.00"


def test_a_lump_sum_is_spread_oldest_first_and_the_rest_becomes_credit(erp, acme):
    payment = pay(erp, {"customer": "C-ACME", "amount": "400.00", "notes": "lump"}).json()
    assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
        ("INV-A1", "100.00"),
        ("INV-A2", "250.00"),
    ]
    assert payment["credit_created"] == "50.00"
    assert payment["notes"] == "lump"
    assert erp.get("/credit", customer="C-ACME").json() == {
        "customer": "C-ACME",
        "balances": {"USD": "50.00"},
    }
    entries = erp.get("/credit/entries", customer="C-ACME").json()["items"]
    assert [(e["kind"], e["amount"], e["payment"]) for e in entries] == [
        ("created", "50.00", payment["number"])
    ]


def test_the_preview_shows_the_split_and_writes_nothing(erp, acme):
    before = Payment.objects.count()
    preview = erp.post("/payments/preview", {"customer": "C-ACME", "amount": "120.00"})
    assert preview.status_code == 200
    assert preview.json() == {
        "customer": "C-ACME",
        "amount": "120.00",
        "currency": "USD",
        "policy": "oldest_first",
        "allocations": [
            {"invoice": "INV-A1", "amount": "100.00", "discount": None},
            {"invoice": "INV-A2", "amount": "20.00", "discount": None},
        ],
        "credit_created": "0.00",
    }
    assert Payment.objects.count() == before


def test_payments_are_listed_filtered_and_read_back(erp, acme, globex):
    first = pay(erp, {"customer": "C-ACME", "amount": "10.00"}).json()["number"]
    second = pay(erp, {"customer": "C-GLOBEX", "amount": "20.00"}).json()["number"]
    listed = erp.get("/payments").json()["items"]
    assert [p["number"] for p in listed] == [first, second]
    assert [p["number"] for p in erp.get("/payments", customer="C-GLOBEX").json()["items"]] == [
        second
    ]
    assert erp.get("/payments", status="voided").json()["items"] == []
    assert erp.get(f"/payments/{first}").json()["amount"] == "10.00"


def test_voiding_a_check_reopens_its_invoices(erp, acme):
    number = pay(erp, {"customer": "C-ACME", "amount": "100.00"}).json()["number"]
    voided = erp.post(f"/payments/{number}/void", {"reason": "bounced"})
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided"
    assert voided.json()["void_reason"] == "bounced"
    assert all(a["reversed"] for a in voided.json()["allocations"])
    assert erp.get("/invoices/INV-A1").json()["status"] == "open"
    assert_error(erp.post(f"/payments/{number}/void", {}), 409, "transition_refused")


def test_a_card_payment_is_charged_to_a_saved_card_and_pending_until_settled(erp, acme):
    card = save_card(acme)
    response = erp.post(
        "/payments",
        {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk},
    )
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["status"] == "pending"
    assert payment["method"] == {"id": card.pk, "display": "Visa •••• 4242"}
    assert erp.get("/invoices/INV-A1").json()["status"] == "pending"


def test_a_declined_card_answers_the_failed_payment_with_its_reason(erp, acme):
    card = save_card(acme, DECLINED_CARD)
    payment = erp.post(
        "/payments", {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk}
    ).json()
    assert payment["status"] == "failed"
    assert payment["failure_reason"]
    assert erp.get("/invoices/INV-A1").json()["status"] == "open"


def test_a_settled_card_payment_cannot_be_voided_and_is_refunded_once(erp, acme):
    card = save_card(acme)
    number = erp.post(
        "/payments", {"customer": "C-ACME", "amount": "100.00", "type": "card", "method": card.pk}
    ).json()["number"]
    payments_settle(actor=Actor(label="test"))
    offer = assert_error(erp.post(f"/payments/{number}/void", {}), 409, "refund_required")
    assert offer["fields"] == {"payment": number, "amount": "$100.00", "method": "Visa •••• 4242"}
    refunded = erp.post(f"/payments/{number}/refund", {})
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["status"] == "refunded"
    assert_error(erp.post(f"/payments/{number}/refund", {}), 409, "transition_refused")


def test_a_card_payment_names_a_method_of_its_own_customer_and_kind(erp, acme, globex):
    theirs = save_card(globex)
    body = {"customer": "C-ACME", "amount": "10.00", "type": "card"}
    assert_error(erp.post("/payments", body), 422)
    assert assert_error(erp.post("/payments", body | {"method": theirs.pk}), 422)["fields"] == {
        "method": "unknown"
    }
    mine = save_card(acme)
    assert_error(erp.post("/payments", body | {"type": "bank", "method": mine.pk}), 422)
    assert_error(erp.post("/payments", {**body, "type": "check", "method": mine.pk}), 422)


# --- credit ------------------------------------------------------------------------------


def test_credit_is_applied_to_open_invoices_and_can_be_given_back(erp, acme):
    pay(erp, {"customer": "C-ACME", "amount": "150.00", "invoices": [{"number": "INV-A1"}]})
    applied = erp.post("/credit/apply", {"customer": "C-ACME"})
    assert applied.status_code == 201, applied.content
    assert applied.json()["type"] == "credit"
    assert applied.json()["allocations"] == [
        {"invoice": "INV-A2", "amount": "50.00", "reversed": False}
    ]
    assert erp.get("/credit", customer="C-ACME").json()["balances"] == {"USD": "0.00"}
    assert_error(erp.post("/credit/apply", {"customer": "C-ACME"}), 422)


# --- payment methods ---------------------------------------------------------------------


def test_a_method_is_added_from_a_gateway_token_with_what_the_gateway_holds(erp, acme):
    token = sandbox_token("5555555555554444")
    added = erp.post("/payment-methods", {"customer": "C-ACME", "token": token, "label": "AP card"})
    assert added.status_code == 201, added.content
    method = added.json()
    assert (method["brand"], method["last4"], method["exp_year"]) == ("Mastercard", "4444", 2035)
    assert method["default"] is True
    assert erp.get("/payment-methods", customer="C-ACME").json()["items"] == [method]
    again = erp.post("/payment-methods", {"customer": "C-ACME", "token": token})
    assert (again.status_code, again.json()) == (200, method)  # the method on file
    removed = erp.delete(f"/payment-methods/{method['id']}")
    assert removed.status_code == 204
    assert erp.get("/payment-methods", customer="C-ACME").json()["items"] == []
    assert_error(erp.delete(f"/payment-methods/{method['id']}"), 404, "not_found")


def test_the_same_card_under_a_new_token_answers_200_with_the_method_on_file(erp, acme):
    first = erp.post("/payment-methods", {"customer": "C-ACME", "token": sandbox_token()})
    again = erp.post("/payment-methods", {"customer": "C-ACME", "token": sandbox_token()})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = erp.post("/payment-methods", {"customer": "C-ACME", "token": sandbox_token(MASTERCARD)})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert [
        m["display"] for m in erp.get("/payment-methods", customer="C-ACME").json()["items"]
    ] == [
        "Visa •••• 4242",
        "Mastercard •••• 4444",
    ]


def test_a_card_number_sent_as_the_token_is_refused_and_nothing_is_kept(erp, acme):
    refused = erp.post("/payment-methods", {"customer": "C-ACME", "token": "4242424242424242"})
    assert "did not return a token" in assert_error(refused, 422)["message"]
    assert PaymentMethod.objects.count() == 0


def test_an_unknown_token_or_another_customers_token_is_refused_alike(erp, acme, globex):
    theirs = save_card(globex).token
    unknown = assert_error(erp.post("/payment-methods", {"customer": "C-ACME", "token": "x"}), 422)
    taken = assert_error(erp.post("/payment-methods", {"customer": "C-ACME", "token": theirs}), 422)
    assert unknown["message"] == taken["message"]
    assert PaymentMethod.objects.filter(customer=acme).count() == 0


# --- scheduled payments ------------------------------------------------------------------


def test_a_schedule_holds_its_invoices_until_it_is_cancelled(erp, acme):
    card = save_card(acme)
    run_on = (date.today() + timedelta(days=10)).isoformat()
    created = erp.post(
        "/scheduled-payments",
        {"customer": "C-ACME", "method": card.pk, "invoices": ["INV-A2"], "run_on": run_on},
    )
    assert created.status_code == 201, created.content
    schedule = created.json()
    assert schedule["status"] == "scheduled"
    assert schedule["invoices"] == [{"invoice": "INV-A2", "left_out": ""}]
    assert erp.get("/invoices/INV-A2").json()["status"] == "scheduled"
    assert erp.get("/scheduled-payments").json()["items"] == [schedule]
    assert erp.get(f"/scheduled-payments/{schedule['number']}").json() == schedule
    cancelled = erp.post(f"/scheduled-payments/{schedule['number']}/cancel", {})
    assert cancelled.json()["status"] == "cancelled"
    assert erp.get("/invoices/INV-A2").json()["status"] == "open"
    assert ScheduledPayment.objects.get().status == "cancelled"


def test_a_schedule_needs_a_date_ahead_and_a_method_of_the_customer(erp, acme, globex):
    theirs = save_card(globex)
    today = date.today().isoformat()
    body = {"customer": "C-ACME", "method": theirs.pk, "invoices": ["INV-A1"], "run_on": today}
    assert assert_error(erp.post("/scheduled-payments", body), 422)["fields"] == {
        "method": "unknown"
    }
    body["method"] = save_card(acme).pk
    assert assert_error(erp.post("/scheduled-payments", body), 422)["fields"] == {
        "run_on": "out of range"
    }


# --- receipts and events -----------------------------------------------------------------


def test_a_receipt_is_read_as_json_and_as_a_pdf(erp, acme):
    number = pay(erp, {"customer": "C-ACME", "amount": "120.00", "reference": "77"}).json()[
        "number"
    ]
    receipt = erp.get(f"/payments/{number}/receipt").json()
    assert receipt["number"] == number.replace("PMT-", "RCT-")
    assert receipt["method"] == "Check #77"
    assert [(line["invoice"], line["amount"]) for line in receipt["lines"]] == [
        ("INV-A1", "100.00"),
        ("INV-A2", "20.00"),
    ]
    assert receipt["total"] == "120.00"
    pdf = erp.get(f"/payments/{number}/receipt.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_events_are_read_in_order_with_a_cursor(erp, acme):
    number = pay(erp, {"customer": "C-ACME", "amount": "100.00"}).json()["number"]
    first = erp.get("/events", customer="C-ACME", limit=2).json()
    assert [(e["kind"], e["object"]) for e in first["items"]] == [
        ("payment.posted", number),
        ("payment.settled", number),  # a check is final at once
    ]
    erp.post(f"/payments/{number}/void", {})
    rest = erp.get("/events", customer="C-ACME", after=first["next_cursor"]).json()
    assert [(e["kind"], e["object"]) for e in rest["items"]] == [
        ("invoice.paid", "INV-A1"),
        ("invoice.reopened", "INV-A1"),
        ("payment.voided", number),
    ]
    again = erp.get("/events", customer="C-ACME", after=rest["next_cursor"]).json()
    assert again == {"items": [], "next_cursor": rest["next_cursor"]}
    assert [
        e["kind"]
        for e in erp.get("/events", kind="payment.voided", customer="C-ACME").json()["items"]
    ] == ["payment.voided"]


def test_events_of_several_customers_are_served_once_they_are_a_few_seconds_old(erp, acme, globex):
    pay(erp, {"customer": "C-ACME", "amount": "100.00"})
    pay(erp, {"customer": "C-GLOBEX", "amount": "80.00"})
    assert erp.get("/events").json() == {"items": [], "next_cursor": "0"}  # too fresh
    old = timezone.now() - timedelta(seconds=6)
    first_three = Event.objects.order_by("pk")[:3].values_list("pk", flat=True)
    Event.objects.filter(pk__in=list(first_three)).update(at=old)
    page = erp.get("/events").json()
    assert [e["customer"] for e in page["items"]] == ["C-ACME"] * 3
    assert page["next_cursor"] == str(first_three[2])
    # An older event behind a fresh one is not passed over: the page stops at the fresh one.
    Event.objects.filter(pk=Event.objects.order_by("-pk")[0].pk).update(at=old)
    assert erp.get("/events", after=page["next_cursor"]).json()["items"] == []


def test_an_invoice_of_a_jpy_customer_takes_whole_yen_only(erp):
    make_customer(number="C-JP", currency="JPY")
    assert_error(erp.post("/invoices", invoice_body("INV-JP1", "1500.5", "C-JP")), 422)
    created = erp.post("/invoices", invoice_body("INV-JP1", "1500", "C-JP"))
    assert created.json()["total"] == "1500"
    make_invoice(make_customer(number="C-BH", currency="BHD"), "10.125")
    assert erp.get("/invoices", customer="C-BH").json()["items"][0]["total"] == "10.125"
