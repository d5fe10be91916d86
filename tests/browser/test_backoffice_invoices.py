"""Invoices in the back office, in Chromium: search, create by hand, import a CSV with a
report of every bad line, void one that has nothing applied; and a clerk sees no Void."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import Page, expect

from remit.backoffice.groups import CLERK, MANAGER
from remit.customers.services import customer_create
from remit.invoices.models import Invoice
from remit.payments.models import PaymentType, Source
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice

CSV = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
    "description\n"
    "INV-20001,C-0001,,2026-05-01,2026-05-31,USD,100.00,Gaskets\n"
    "INV-20002,C-0001,,2026-05-01,2026-04-01,USD,80.00,Due before it was issued\n"
    "INV-20003,C-0009,,2026-05-02,2026-06-01,USD,55.00,Unknown customer and no name\n"
    "INV-20004,C-0001,,2026-05-03,2026-06-02,USD,12.345,Too many decimals\n"
)


def user_in(group: str, username: str) -> User:
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=group))
    return user


def sign_in(page: Page, user: User, server) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])


@pytest.fixture
def acme(transactional_db):
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    make_invoice(customer, "1200.00", days_ago=60, number="INV-10001")
    make_invoice(customer, "430.00", days_ago=20, number="INV-10002")
    other = customer_create(number="C-0002", name="Brightwater Foods Co.", actor=ACTOR)
    make_invoice(other, "99.00", days_ago=10, number="INV-10003")
    return customer


def test_invoices_are_searched_created_by_hand_imported_and_voided(
    page: Page, shot, live_server, acme
):
    sign_in(page, user_in(MANAGER, "manager"), live_server)
    page.goto("/staff/invoices/")
    expect(page.locator("#invoice-table tbody tr")).to_have_count(3)
    page.get_by_label("Search").press_sequentially("bright", delay=20)
    expect(page.locator("#invoice-table tbody tr")).to_have_count(1)
    expect(page.locator("#invoice-table")).to_contain_text("INV-10003")
    shot(page, "01-search")

    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Customer number").fill("C-0001")
    page.get_by_label("Invoice number").fill("INV-10001")  # taken
    page.get_by_label("Total").fill("640.25")
    page.get_by_label("Description").fill("Conveyor belt repair parts")
    page.get_by_label("Description").press("Enter")
    expect(page.locator("#id_number_error")).to_have_text("Invoice INV-10001 already exists.")
    expect(page.get_by_label("Invoice number")).to_have_attribute("aria-invalid", "true")
    shot(page, "02-error-next-to-the-field")
    page.get_by_label("Invoice number").fill("INV-10004")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".message.success")).to_contain_text("INV-10004 created: $640.25")
    shot(page, "03-created")

    page.goto("/staff/invoices/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "invoices.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Nothing was imported: 3 lines to fix")
    for line, words in (
        (3, "due_date: The due date is before the invoice date"),
        (4, "customer C-0009 does not exist and customer_name is empty"),
        (5, "USD amounts have 2 decimal places"),
    ):
        expect(report.locator("tr", has_text=words)).to_contain_text(str(line))
    shot(page, "04-import-report")
    assert not Invoice.objects.filter(number__startswith="INV-2").exists()

    page.goto("/staff/customers/C-0001/invoices/INV-10004/")
    page.get_by_role("button", name="Void invoice…").click()
    dialog = page.locator("#void-dialog")
    expect(dialog.get_by_label("Reason")).to_be_focused()
    dialog.get_by_label("Reason").fill("Billed twice")
    shot(page, "05-void-invoice-confirmation")
    dialog.get_by_label("Reason").press("Enter")
    expect(page.locator("#invoice-status")).to_have_text("Void")
    expect(page.locator("#void-invoice-button")).to_have_count(0)
    shot(page, "06-invoice-void")


def test_a_clerk_sees_no_void_and_no_invoice_management(page: Page, live_server, acme):
    payment = payment_post(
        customer=acme,
        amount=usd("100.00"),
        payment_type=PaymentType.CASH,
        idempotency_key="clerk-view",
        actor=ACTOR,
        source=Source.CLI,
    )
    sign_in(page, user_in(CLERK, "clerk"), live_server)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(payment.number)
    expect(page.get_by_role("button", name=re.compile("Void"))).to_have_count(0)
    page.goto("/staff/customers/C-0001/")
    expect(page.get_by_role("button", name=re.compile("Payment"))).to_be_visible()
    expect(page.get_by_role("link", name="New invoice")).to_have_count(0)
    page.goto("/staff/customers/C-0001/invoices/INV-10002/")
    expect(page.get_by_role("button", name=re.compile("Void"))).to_have_count(0)
