"""Pay by link in Chromium: from the link in an overdue reminder, through the gateway's
card entry and Make Payment, to the receipt; then the same link, used, and a forged one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from remit.customers.models import Customer
from remit.invoices.models import InvoiceStatus
from remit.notifications.services import notifications_run
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reminder_s_link_pays_its_invoices_without_a_login(page: Page, shot, smtp):
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(email="ap@buyer.example")
    first = make_invoice(customer, "240.00", days_ago=40, due_in=30)
    second = make_invoice(customer, "60.25", days_ago=45, due_in=30)
    notifications_run()
    [reminder] = smtp.received
    text = reminder.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/pay/\S+/", text).group(0)

    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name=re.compile("Pay invoices of"))).to_be_visible()
    expect(page.get_by_role("cell", name=first.number)).to_be_visible()
    expect(page.get_by_role("cell", name=second.number)).to_be_visible()
    expect(page.locator("#paylink-total")).to_have_text("$300.25")
    shot(page, "1-the-link-opens-the-invoices")

    def enter(number: str, last4: str) -> None:
        page.get_by_label("Name on card").fill("Pat Payer")
        page.get_by_label("Card number").fill(number)
        page.get_by_label("Expiry (MM/YY)").fill("12/34")
        page.get_by_label("Security code (CVC)").fill("123")
        page.get_by_role("button", name="Use this").click()
        expect(page.get_by_text(f"Paying with Visa •••• {last4}")).to_be_visible()

    enter("4000 0000 0000 0002", "0002")  # a card the gateway declines
    page.get_by_role("button", name="Make Payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was charged")
    shot(page, "2-declined")

    enter("4242 4242 4242 4242", "4242")
    shot(page, "2-card-entered")

    page.get_by_role("button", name="Make Payment").click()
    expect(page.get_by_role("heading", name="Payment Receipt")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/receipt/$"))
    payment = Payment.objects.get(customer=customer, status="pending")
    expect(page.get_by_text(payment.number.replace("PMT-", "RCT-"))).to_be_visible()
    expect(page.locator(".receipt-lines tfoot")).to_contain_text("$300.25")
    shot(page, "3-the-receipt")
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PENDING

    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_text(f"already been used: payment {payment.number}")).to_be_visible()
    shot(page, "4-the-used-link")

    page.goto(urlsplit(link).path.replace("/pay/", "/pay/x"))
    expect(page.get_by_text("This payment link is not valid.")).to_be_visible()
