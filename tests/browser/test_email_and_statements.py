"""The demo's sent mail, a customer's Emails and Statement in the back office, and the
portal's Statement, in Chromium (no Content-Security-Policy violation on any of them)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from remit.cli.demo_data import AP_CLERK, STAFF, demo_load
from remit.notifications.models import Email, EmailStatus, Kind
from remit.notifications.services import notifications_run


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    settings.REMIT_EMAIL_URL = f"file://{tmp_path}/mail"
    demo_load()
    notifications_run()  # what `make run`'s worker does within seconds
    return tmp_path / "mail"


def sign_in(page: Page, path: str, login) -> None:
    page.goto(path)
    page.get_by_label("Username").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()


def test_the_demo_shows_its_sent_mail_and_statements(page: Page, shot, demo):
    sent = Email.objects.filter(status=EmailStatus.SENT)
    assert sent.filter(kind=Kind.OVERDUE).exists()
    assert len(list(demo.glob("*.eml"))) == sent.count()
    reminder = sent.filter(kind=Kind.OVERDUE).select_related("customer").first()
    customer = reminder.customer

    sign_in(page, "/staff/login/", STAFF)
    page.goto(f"/staff/customers/{customer.number}/")
    page.get_by_role("link", name="Emails").click()
    expect(page.get_by_role("heading", name=f"Emails to {customer.name}")).to_be_visible()
    row = page.locator(f'tr[data-email="{reminder.pk}"]')
    expect(row).to_contain_text(reminder.subject)
    expect(row).to_contain_text("Sent")
    shot(page, "1-emails")
    row.get_by_role("link", name=reminder.subject).click()
    expect(page.locator("#email-body")).to_contain_text("These invoices are past due")
    expect(page.locator("#email-facts")).to_contain_text("written to")
    shot(page, "2-one-email")

    page.goto(f"/staff/customers/{customer.number}/")
    page.get_by_role("link", name="Statement").click()
    expect(page.get_by_role("heading", name="Statement of Account")).to_be_visible()
    expect(page.get_by_role("button", name="Email statement")).to_be_visible()
    shot(page, "3-back-office-statement")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "/portal/login/", AP_CLERK)
    page.get_by_role("link", name="Payments").click()
    page.get_by_role("link", name="Statement").click()
    expect(page.get_by_role("heading", name="Statement of Account")).to_be_visible()
    expect(page.locator("#closing-balance")).to_have_text(re.compile(r"\$[\d,]+\.\d\d"))
    shot(page, "4-portal-statement")
