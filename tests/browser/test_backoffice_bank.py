"""The Bank screen walked in Chromium: make a deposit slip, upload a statement (the
deposit's line matched to the slip, a certain line posted), work the review queue from
the keyboard (Enter accepts the suggestion; another customer found by typing, an invoice
ticked with the split previewed), and the books stay right."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import Page, expect

from remit.backoffice.groups import MANAGER
from remit.bank.models import BankLine, Deposit
from remit.books.audit import books_audit
from remit.customers.services import customer_create
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice

PASSWORD = "a-long-test-password"


@pytest.fixture
def clerk(transactional_db) -> User:
    user = User.objects.create_user("sam", password=PASSWORD, is_staff=True, first_name="Sam")
    user.groups.set(Group.objects.filter(name=MANAGER))
    return user


@pytest.fixture
def book(transactional_db):
    acme = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    globex = customer_create(number="C-0002", name="Globex LLC", actor=ACTOR)
    make_invoice(acme, "430.00", number="INV-10045", days_ago=60)
    make_invoice(acme, "120.00", number="INV-10046", days_ago=50)
    make_invoice(acme, "80.00", number="INV-10047", days_ago=40)
    make_invoice(globex, "250.00", number="INV-20001", days_ago=30)
    make_invoice(globex, "600.00", number="INV-20002", days_ago=20)
    for customer, amount, check, invoice in (
        (acme, "80.00", "1001", "INV-10047"),
        (globex, "600.00", "2002", "INV-20002"),
    ):
        payment_post(
            customer=customer,
            amount=usd(amount),
            payment_type="check",
            idempotency_key=f"check-{check}",
            actor=ACTOR,
            source="backoffice",
            reference=check,
            invoices=[InvoiceRequest(invoice)],
        )
    return acme, globex


def sign_in(page: Page, user: User, server) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )


def test_upload_review_accept_with_the_keyboard_and_a_deposit_matched(
    page: Page, shot, clerk, book, live_server, tmp_path
):
    sign_in(page, clerk, live_server)
    page.goto("/staff/bank/deposits/")
    page.get_by_label(re.compile(r"PMT-\d+")).first.check()
    page.get_by_label(re.compile(r"PMT-\d+")).nth(1).check()
    page.get_by_role("button", name="Make deposit slip").click()
    expect(page.get_by_role("status")).to_contain_text("2 item(s), $680.00")
    deposit = Deposit.objects.get().number
    shot(page, "01-deposit-slip")

    statement = tmp_path / "statement-2026-11-30.csv"
    statement.write_text(
        "date,amount,currency,bank_reference,payer,text\n"
        "2026-11-30,430.00,USD,WIRE-1,ACME INDUSTRIAL SUPPLY,INV-10045\n"
        "2026-11-30,240.00,USD,WIRE-2,Globex LLC,Invoice 20001 less fees\n"
        "2026-11-30,127.00,USD,WIRE-3,A. N. Other,remittance\n"
        f"2026-11-30,680.00,USD,DEP-LINE,,DEPOSIT {deposit}\n"
        "2026-11-30,-15.00,USD,FEE-1,,Wire fees\n"
    )
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Bank").click()
    page.get_by_label(re.compile("Bank file")).set_input_files(str(statement))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text(
        "5 lines, 2 posted, 1 to review, 1 unmatched, 1 ignored"
    )
    lines = page.get_by_role("table", name="Bank lines")
    expect(lines).to_contain_text(deposit)
    expect(lines).to_contain_text("A debit")
    shot(page, "02-statement-imported")

    page.get_by_role("link", name=re.compile("Review queue")).click()
    expect(page.locator("#line-reason")).to_contain_text("short by $10.00")
    accept = page.get_by_role("button", name="Accept (Enter)")
    expect(accept).to_be_focused()
    shot(page, "03-review-suggestion")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("posted to C-0002 for $240.00")

    expect(page.locator("#line-reason")).to_contain_text("No customer is named")
    search = page.get_by_label("Customer", exact=True)
    search.press_sequentially("acme", delay=30)
    expect(page.locator("#bank-customer-results")).to_contain_text("Acme Industrial Supply")
    search.press("Enter")
    expect(page.get_by_role("table", name=re.compile("Open invoices of C-0001"))).to_be_visible()
    page.get_by_label("INV-10046", exact=True).check()
    page.get_by_label("Amount applied to INV-10046").fill("120.00")
    expect(page.locator("#bank-split")).to_contain_text("INV-10046 $120.00; $7.00 to credit")
    shot(page, "04-another-customer-split-previewed")
    page.get_by_role("button", name="Accept (Enter)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("posted to C-0001 for $127.00")
    expect(page.get_by_text("Nothing to review")).to_be_visible()

    page.goto("/staff/bank/deposits/")
    expect(page.get_by_role("table", name="Deposit slips")).to_contain_text("(matched)")
    shot(page, "05-deposit-matched")
    assert BankLine.objects.get(bank_reference="DEP-LINE").deposit.number == deposit
    assert Payment.objects.get(reference="WIRE-3").customer.number == "C-0001"
    assert books_audit().ok, books_audit().problems
