"""Corrections walked in Chromium (issue 14): a short pay's small difference written off
with one key, a write-off by the manager, and a misapplied check moved to the right
invoice and then partly to credit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from remit.backoffice.groups import CLERK, MANAGER
from remit.books.audit import books_audit
from remit.customers.services import customer_create
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.offline import payment_post
from tests.browser.conftest import ProductionServer
from tests.browser.test_backoffice_payments import PASSWORD, sign_in
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice


def staff(name: str, group: str) -> User:
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    user.groups.set(Group.objects.filter(name=group))
    return user


@pytest.fixture
def acme(transactional_db):
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    make_invoice(customer, "1000.37", days_ago=60, number="INV-20001")
    make_invoice(customer, "500.00", days_ago=30, number="INV-20002")
    make_invoice(customer, "250.00", days_ago=10, number="INV-20003")
    return customer


def check(customer, amount: str, invoice: str, key: str):
    return payment_post(
        customer=customer,
        amount=usd(amount),
        payment_type="check",
        reference="4411",
        idempotency_key=key,
        actor=ACTOR,
        source="backoffice",
        invoices=[InvoiceRequest(invoice)],
    )


def balance(number: str) -> str:
    return str(Invoice.objects.get(number=number).balance_due)


@pytest.fixture(scope="module")
def tolerant_server(_server_var):
    """A production server whose clerks may write off up to $1.00."""
    server = ProductionServer(*_server_var, REMIT_WRITE_OFF_TOLERANCE="USD=1.00")
    yield server
    server.stop()


def test_a_clerk_writes_off_a_short_pays_difference_with_one_key(
    page: Page, shot, tolerant_server, acme
):
    check(acme, "1000.00", "INV-20001", "short")
    sign_in(page, staff("clara", CLERK), tolerant_server)
    page.goto(f"{tolerant_server.url}/staff/customers/C-0001/invoices/INV-20001/")
    offer = page.locator("#write-off-difference")
    expect(offer).to_contain_text("Write off the $0.37 difference")
    shot(page, "write-off-difference-offered")
    page.keyboard.press("w")
    expect(page.locator(".message").first).to_contain_text(
        "$0.37 of INV-20001 written off (small balance)."
    )
    expect(page.locator("#invoice-balance")).to_have_text("$0.00")
    expect(page.locator("#invoice-status")).to_contain_text("Paid")
    shot(page, "write-off-difference-done")
    assert books_audit().ok


def test_a_manager_writes_off_a_balance_for_bad_debt(page: Page, shot, live_server, acme):
    sign_in(page, staff("sam", MANAGER), live_server)
    page.goto("/staff/customers/C-0001/invoices/INV-20003/")
    page.get_by_role("button", name="Write off…").click()
    dialog = page.locator("#write-off-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Amount to write off").fill("2,50.00")
    dialog.get_by_label("Reason").select_option("bad_debt")
    dialog.get_by_role("button", name="Write off").click()
    dialog = page.locator("#write-off-dialog")
    expect(dialog).to_be_visible()  # reopened with the refusal next to the field
    expect(dialog.locator(".error")).to_contain_text("is not an amount")
    shot(page, "write-off-refused-amount")
    dialog.get_by_label("Amount to write off").fill("")
    dialog.get_by_label("Reason").select_option("bad_debt")
    shot(page, "write-off-dialog")
    dialog.get_by_role("button", name="Write off").click()
    expect(page.locator(".message").first).to_contain_text(
        "$250.00 of INV-20003 written off (bad debt)."
    )
    expect(page.locator("#invoice-balance")).to_have_text("$0.00")
    page.get_by_role("link", name="PMT-000001").click()
    expect(page.locator("#write-off-reason")).to_contain_text("Write-off: Bad debt")
    expect(page.locator("#journal")).to_contain_text("Bad debt")
    shot(page, "write-off-payment-page")
    assert balance("INV-20003") == "0.00" and books_audit().ok


def test_a_clerk_moves_a_misapplied_check_then_part_of_it_to_credit(
    page: Page, shot, live_server, acme
):
    payment = check(acme, "500.00", "INV-20001", "misapplied")
    sign_in(page, staff("clara", CLERK), live_server)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    page.get_by_role("button", name="Move money…").click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Move from").select_option("INV-20001")
    dialog.get_by_label("Move to").select_option("INV-20002")
    shot(page, "move-dialog")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator(".message").first).to_contain_text(
        "Everything applied moved from INV-20001 to INV-20002."
    )
    rows = page.locator("#allocations tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Moved")
    expect(rows.nth(1)).to_contain_text("INV-20002")
    expect(page.get_by_text("$500.00 from INV-20001 to INV-20002")).to_be_visible()
    shot(page, "move-reallocated")
    # now $100.00 of it to the customer's credit
    page.get_by_role("button", name="Move money…").click()
    dialog = page.locator("#move-dialog")
    dialog.get_by_label("Move to").select_option("credit")
    dialog.get_by_label("Amount").fill("100.00")
    dialog.get_by_label("Amount").press("Enter")
    expect(page.locator(".message").first).to_contain_text(
        "$100.00 moved from INV-20002 to customer credit."
    )
    expect(page.locator("#payment-credit")).to_contain_text("Unapplied from INV-20002")
    shot(page, "move-unapplied")
    assert (balance("INV-20001"), balance("INV-20002")) == ("1000.37", "100.00")
    assert books_audit().ok


def test_a_manager_credits_an_invoice_and_sees_the_credit_note(page: Page, shot, live_server, acme):
    check(acme, "500.00", "INV-20002", "paid")
    sign_in(page, staff("sam", MANAGER), live_server)
    page.goto("/staff/customers/C-0001/invoices/INV-20002/")
    page.get_by_role("button", name="Credit note…").click()
    dialog = page.locator("#credit-note-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Amount to credit").fill("120.00")
    dialog.get_by_label("Reason").fill("Two pallets arrived damaged")
    shot(page, "credit-note-dialog")
    dialog.get_by_role("button", name="Issue credit note").click()
    expect(page.locator(".message").first).to_contain_text(
        "Credit note CN-000001: $120.00 off INV-20002."
    )
    expect(page.locator("#credit-notes")).to_contain_text("Two pallets arrived damaged")
    shot(page, "credit-note-listed")
    page.get_by_role("link", name="CN-000001").click()
    expect(page.locator("#credit-note-of")).to_contain_text("Credit note for INV-20002")
    expect(page.locator("#journal")).to_contain_text("Credit notes")
    expect(page.locator("#payment-credit")).to_contain_text("$120.00")  # the invoice was paid
    shot(page, "credit-note-page")
    assert books_audit().ok


def test_a_manager_refunds_part_of_a_settled_card_payment(page: Page, shot, live_server, acme):
    from datetime import date

    from remit.gateways.protocol import CardDetails
    from remit.gateways.sandbox import SandboxGateway
    from remit.payments.services.card import card_payment_submit
    from remit.payments.services.method import payment_method_add
    from remit.payments.services.reconcile import payments_settle

    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=acme, kind="card", tokenized=tokenized, actor=ACTOR)
    payment = card_payment_submit(
        customer=acme,
        method=method,
        amount=usd("750.00"),
        idempotency_key="card",
        actor=ACTOR,
        source="portal",
        invoices=[InvoiceRequest("INV-20002"), InvoiceRequest("INV-20003")],
    )
    payments_settle(actor=ACTOR)
    sign_in(page, staff("sam", MANAGER), live_server)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    page.get_by_role("button", name="Refund…").click()
    dialog = page.locator("#partial-refund-dialog")
    expect(dialog).to_contain_text("$750.00 of $750.00 is left to refund to Visa •••• 4242")
    dialog.get_by_label("Amount to refund").fill("100.00")
    dialog.get_by_label("Reopen").select_option("INV-20002")
    shot(page, "partial-refund-dialog")
    dialog.get_by_role("button", name="Refund").click()
    expect(page.locator(".message").first).to_contain_text(
        f"$100.00 refunded to Visa •••• 4242 ({payment.number})."
    )
    expect(page.locator("#payment-status")).to_have_text("Settled")
    expect(page.get_by_text("$100.00 refunded (INV-20002 $100.00)")).to_be_visible()
    expect(page.locator("#journal")).to_contain_text("Partial refund")
    shot(page, "partial-refund-done")
    page.get_by_role("button", name="Refund…").click()
    expect(page.locator("#partial-refund-dialog")).to_contain_text("$650.00 of $750.00 is left")
    assert balance("INV-20002") == "100.00" and books_audit().ok
