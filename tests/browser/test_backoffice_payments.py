"""The back-office seed, walked in Chromium: find the customer, F8, the Customer Payment
window, the payment window, cards through the gateway, void and refund, credit."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import Page, expect

from remit.backoffice.groups import MANAGER
from remit.core.audit import Actor
from remit.customers.services import customer_create
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import CreditEntry, Payment, PaymentType, Source
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payments_settle
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice

PASSWORD = "a-long-test-password"


@pytest.fixture
def manager(transactional_db) -> User:
    user = User.objects.create_user(
        "sam", password=PASSWORD, is_staff=True, first_name="Sam", last_name="Staff"
    )
    user.groups.set(Group.objects.filter(name=MANAGER))
    return user


@pytest.fixture
def acme(transactional_db):
    """Acme with three open invoices, oldest first: $1,200.00, $850.50, $430.00."""
    customer = customer_create(
        number="C-0001",
        name="Acme Industrial Supply",
        email="ap@acme-industrial.example",
        actor=ACTOR,
    )
    for number, total, days in (
        ("INV-10001", "1200.00", 75),
        ("INV-10002", "850.50", 45),
        ("INV-10003", "430.00", 15),
    ):
        make_invoice(customer, total, days_ago=days, number=number)
    customer_create(number="C-0002", name="Brightwater Foods Co.", actor=ACTOR)
    return customer


def sign_in(page: Page, user: User, server) -> None:
    """A session made on the server, handed to the browser (the login form has its own test)."""
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])


def open_customer(page: Page, query: str = "acme") -> None:
    page.goto("/staff/")
    page.get_by_label("Find a customer").fill(query)
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    page.get_by_label("Find a customer").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Industrial Supply")
    page.wait_for_load_state()  # the page's scripts are ready for the keyboard


def test_sign_in_find_the_customer_by_typing_and_spread_one_check_oldest_first(
    page: Page, shot, manager, acme
):
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    shot(page, "01-login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    search = page.get_by_label("Find a customer")
    expect(search).to_be_focused()
    search.press_sequentially("acm", delay=30)
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    expect(page.locator("#customer-results")).to_contain_text("Acme Industrial Supply")
    shot(page, "02-search-as-you-type")
    page.locator("#customer-results tbody tr").first.dblclick()

    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Industrial Supply")
    expect(page.locator("#balance-due")).to_have_text("$2,480.50")
    shot(page, "03-customer-record")

    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    expect(window).to_be_visible()
    expect(window.get_by_role("heading", name=re.compile("Customer Payment"))).to_be_visible()
    amount = window.get_by_label("Total Payment Amount")
    expect(amount).to_be_focused()
    rows = window.locator("table.split tbody tr")
    expect(rows.nth(0)).to_contain_text("INV-10001")
    expect(rows.nth(2)).to_contain_text("INV-10003")

    window.get_by_label("Check/Money Order #").fill("4411")
    amount.fill("2,750.00")
    expect(window.locator("#applied-0")).to_have_text("$1,200.00")
    expect(window.locator("#applied-1")).to_have_text("$850.50")
    expect(window.locator("#applied-2")).to_have_text("$430.00")
    expect(window.locator("#credit-left")).to_have_text("$269.50")
    window.get_by_label("Notes").fill("Customer mailed one check for the account.")
    shot(page, "04-customer-payment-split-live")

    # Changing one row's amount keeps it; the rest re-spreads oldest first.
    window.get_by_label("Amount for INV-10003").fill("100.00")
    expect(window.locator("#applied-2")).to_have_text("$100.00")
    expect(window.locator("#credit-left")).to_have_text("$599.50")
    shot(page, "05-row-changed-rest-re-spreads")
    window.get_by_label("Amount for INV-10003").fill("")
    expect(window.locator("#credit-left")).to_have_text("$269.50")

    amount.press("Enter")  # Enter saves
    expect(window).to_be_hidden()
    expect(page.locator(".message.success")).to_contain_text("$269.50 to the customer")
    expect(page.locator("#credit-balance")).to_have_text("$269.50")
    expect(page.locator("#balance-due")).to_have_text("$0.00")
    expect(page.locator("#payment-history tbody tr")).to_have_count(1)
    shot(page, "06-saved-with-credit")
    payment = Payment.objects.get()
    assert (payment.type, payment.reference, payment.amount) == ("check", "4411", usd("2750.00"))
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}


def test_esc_closes_the_window_and_focus_returns_to_the_payment_button(
    page: Page, live_server, manager, acme
):
    sign_in(page, manager, live_server)
    open_customer(page)
    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    expect(window.get_by_label("Total Payment Amount")).to_be_focused()
    page.keyboard.press("Escape")
    expect(window).to_be_hidden()
    expect(page.locator("#payment-button")).to_be_focused()
    assert not Payment.objects.exists()


def test_an_overpayment_of_one_invoice_goes_to_credit_with_a_note_of_where_it_came_from(
    page: Page, shot, live_server, manager, acme
):
    sign_in(page, manager, live_server)
    open_customer(page)
    page.locator("tr[data-invoice=INV-10002]").get_by_role("button", name=re.compile("Pay")).click()
    window = page.locator("dialog#window")
    expect(window.get_by_role("heading", name=re.compile("Payment"))).to_contain_text("INV-10002")
    expect(window.locator("#balance-due")).to_have_text("$850.50")
    amount = window.get_by_label("Total Payment Amount")
    expect(amount).to_be_focused()
    expect(amount).to_have_value("850.50")
    expect(window.locator("#applied-0")).to_have_text("$850.50")
    amount.press_sequentially("900", delay=20)  # the balance was selected: typing replaces it
    expect(window.locator("#applied-0")).to_have_text("$850.50")
    expect(window.locator("#credit-note")).to_contain_text(
        "$49.50 is more than the balance due and will go to Acme Industrial Supply's credit."
    )
    window.get_by_label("Check/Money Order #").fill("5150")
    shot(page, "01-payment-window-overpayment")
    window.get_by_label("Check/Money Order #").press("Enter")

    expect(page.locator("#credit-balance")).to_have_text("$49.50")
    payment = Payment.objects.get()
    note = f"Overpayment of {payment.number}, check #5150, on INV-10002"
    expect(page.locator("#credit-entries")).to_contain_text(note)
    expect(page.locator("tr[data-invoice=INV-10002]")).to_have_count(0)  # paid
    shot(page, "02-credit-entry-with-its-note")
    assert CreditEntry.objects.get().note == note


def test_a_money_order_from_the_customer_payment_window_keeps_its_number(
    page: Page, shot, live_server, manager, acme
):
    sign_in(page, manager, live_server)
    open_customer(page)
    page.get_by_role("button", name=re.compile("Payment")).click()
    window = page.locator("dialog#window")
    # Clicking an invoice in the Customer Payment window opens its payment window.
    window.get_by_role("link", name="INV-10001").click()
    expect(window.get_by_role("heading", name=re.compile("Payment"))).to_contain_text("INV-10001")
    number = window.get_by_label("Check/Money Order #")
    window.get_by_label("Payment Type").select_option(label="Cash")
    expect(number).to_be_disabled()
    window.get_by_label("Payment Type").select_option(label="Money Order")
    expect(number).to_be_enabled()
    expect(number).to_be_focused()
    number.fill("MO-7730012")
    window.get_by_label("Post Date").fill("2026-03-02")
    shot(page, "01-money-order")
    window.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".message.success")).to_contain_text("by Money Order #MO-7730012")
    page.locator("#payment-history a").first.click()
    expect(page.locator(".page-head")).to_contain_text("Money Order #MO-7730012")
    expect(page.locator(".page-head")).to_contain_text("Mar 2, 2026")
    shot(page, "02-payment-detail")


@pytest.mark.slow_gateway  # a real gateway takes a moment; the clerk must see it working
def test_a_card_through_the_gateways_form_with_the_progress_indicator_while_it_works(
    page: Page, shot, live_server, manager, acme
):
    sent: list[tuple[str, str]] = []
    page.on("request", lambda r: sent.append((r.url, r.post_data or "")))
    sign_in(page, manager, live_server)
    open_customer(page)
    page.locator("tr[data-invoice=INV-10003]").get_by_role("button", name=re.compile("Pay")).click()
    window = page.locator("dialog#window")
    window.get_by_label("Payment Type").select_option(label="Credit Card")
    expect(window.get_by_label("Check/Money Order #")).to_be_disabled()
    expect(window.get_by_label("Card", exact=True)).to_be_disabled()  # none on file yet
    window.get_by_label("Card number").fill("4242 4242 4242 4242")
    window.get_by_label("Expiry (MM/YY)").fill("12/34")
    window.get_by_label("CVC").fill("123")
    window.get_by_label("Name on card").fill("Pat Lopez")
    window.get_by_label("Save this card for later payments").check()
    shot(page, "01-hosted-card-form")
    window.get_by_role("button", name="Add card").click()
    expect(window.locator("#saved-cards")).to_contain_text("Visa •••• 4242 added and selected.")
    expect(window.get_by_label("Card number")).to_have_value("")
    expect(window.get_by_label("Total Payment Amount")).to_be_focused()

    window.get_by_role("button", name=re.compile("Save")).click()
    progress = window.locator("#save-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Contacting the payment gateway")
    shot(page, "02-progress-while-the-gateway-works")
    expect(page.locator(".message.success")).to_contain_text("by Visa •••• 4242")
    expect(page.locator("tr[data-invoice=INV-10003]")).to_contain_text("Pending")
    shot(page, "03-card-payment-pending")

    to_remit = [body for url, body in sent if "/staff/" in url]
    assert to_remit and not any("4242424242424242" in b or "4242 4242" in b for b in to_remit)
    assert any("/sandbox-gateway/v1/tokens" in url for url, _ in sent)
    payment = Payment.objects.get()
    assert (payment.type, payment.status) == ("card", "pending")


def test_a_void_after_a_confirmation_reopens_the_invoice(
    page: Page, shot, live_server, manager, acme
):
    payment = payment_post(
        customer=acme,
        amount=usd("1200.00"),
        payment_type=PaymentType.CHECK,
        reference="3303",
        idempotency_key="to-void",
        actor=ACTOR,
        source=Source.CLI,
        notes="Internal: customer asked us to hold the check.",
    )
    sign_in(page, manager, live_server)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    expect(page.locator("#allocations")).to_contain_text("INV-10001")
    expect(page.locator("#journal")).to_contain_text("Undeposited funds")
    expect(page.locator("#audit-trail")).to_contain_text("Payment posted")
    shot(page, "01-payment-detail")
    page.get_by_role("button", name="Void…").click()
    dialog = page.locator("#void-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    dialog.get_by_label("Reason").fill("Check returned by the bank")
    shot(page, "02-void-confirmation")
    dialog.get_by_role("button", name="Void payment").click()

    expect(page.locator("#payment-status")).to_have_text("Void")
    expect(page.locator(".message.success")).to_contain_text(
        f"{payment.number} is void. INV-10001 is open again."
    )
    expect(page.locator("#allocations tr.reversed")).to_have_count(1)
    expect(page.locator("#void-button")).to_have_count(0)
    shot(page, "03-voided")
    assert Invoice.objects.get(number="INV-10001").status == "open"


def test_a_settled_card_payment_ends_in_the_refund_prompt_and_a_refund(
    page: Page, shot, live_server, manager, acme
):
    gateway = SandboxGateway()
    card = payment_method_add(
        customer=acme,
        kind="card",
        tokenized=gateway.tokenize_card(
            CardDetails(number="4242424242424242", exp_month=12, exp_year=2034, cvc="123")
        ),
        actor=ACTOR,
    )
    payment = card_payment_submit(
        customer=acme,
        method=card,
        amount=usd("430.00"),
        idempotency_key="card-to-refund",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[],
    )
    payments_settle(actor=Actor.system("test"))  # the daily cut-off: a void is too late now
    sign_in(page, manager, live_server)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    expect(page.locator("#payment-status")).to_have_text("Settled")
    page.get_by_role("button", name="Void…").click()
    page.locator("#void-dialog").get_by_role("button", name="Void payment").click()

    refund = page.locator("#refund-dialog")
    expect(refund).to_be_visible()
    expect(refund.locator("#refund-prompt")).to_have_text(
        "The gateway could not void this payment (it has settled). "
        "Refund $430.00 to Visa •••• 4242 instead?"
    )
    expect(refund.get_by_role("button", name="No, keep it")).to_be_focused()
    shot(page, "01-refund-prompt")
    refund.get_by_role("button", name="Refund $430.00").click()

    expect(page.locator("#payment-status")).to_have_text("Refunded")
    expect(page.locator(".message.success")).to_contain_text("Refunded $430.00 to Visa •••• 4242.")
    expect(page.locator("#journal")).to_contain_text("Refunds")
    shot(page, "02-refunded")
    assert gateway.calls("refund") == 1
    assert Invoice.objects.get(number="INV-10001").status == "open"


def test_the_customers_credit_is_applied_to_the_invoices_chosen(
    page: Page, shot, live_server, manager, acme
):
    payment_post(
        customer=acme,
        amount=usd("1300.00"),
        payment_type=PaymentType.CHECK,
        reference="9001",
        idempotency_key="credit-maker",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[InvoiceRequest("INV-10001")],
    )  # $100.00 of credit
    sign_in(page, manager, live_server)
    open_customer(page)
    expect(page.locator("#credit-balance")).to_have_text("$100.00")
    page.get_by_role("button", name="Apply credit").click()
    window = page.locator("dialog#window")
    expect(window.locator("#credit-available")).to_have_text("$100.00")
    window.get_by_role("checkbox", name="INV-10003").check()
    shot(page, "01-apply-credit")
    window.get_by_role("button", name=re.compile("Apply credit")).click()

    expect(page.locator("#credit-balance")).to_have_text("$0.00")
    expect(page.locator("tr[data-invoice=INV-10003]")).to_contain_text("$330.00")
    expect(page.locator("tr[data-invoice=INV-10002]")).to_contain_text("$850.50")
    shot(page, "02-credit-applied")


def test_enter_straight_after_typing_opens_the_customer_typed_not_the_one_shown_before(
    page: Page, live_server, manager, acme
):
    sign_in(page, manager, live_server)
    page.goto("/staff/")
    expect(page.locator("#customer-results tbody tr")).to_have_count(2)
    search = page.get_by_label("Find a customer")
    search.fill("bright")
    search.press("Enter")  # before the results for "bright" arrive
    expect(page.get_by_role("heading", level=1)).to_have_text("Brightwater Foods Co.")


def test_a_window_opened_as_a_page_of_its_own_saves_too(
    page: Page, shot, live_server, manager, acme
):
    sign_in(page, manager, live_server)
    page.goto("/staff/customers/C-0001/invoices/INV-10001/payment/")
    amount = page.get_by_label("Total Payment Amount")
    amount.fill("1,000")
    page.get_by_label("Payment Type").select_option(label="Cash")
    page.get_by_label("Total Payment Amount").fill("")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator("#id_amount_error")).to_have_text("Enter the Total Payment Amount.")
    expect(page.get_by_label("Total Payment Amount")).to_be_focused()
    shot(page, "01-error-next-to-the-amount")
    page.get_by_label("Total Payment Amount").fill("1000")
    page.get_by_label("Total Payment Amount").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Industrial Supply")
    expect(page.locator(".message.success")).to_contain_text("$1,000.00 by Cash")
