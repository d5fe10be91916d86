"""axe-core on every page of both faces, over the demo data: a serious or critical
violation fails the test, naming the rule and the elements.

axe-core comes from PyPI (axe-playwright-python bundles its `axe.min.js`; no CDN) and is
injected into each page by Playwright, which the Content-Security-Policy does not block.
The walk also opens the dialogs (Customer Payment, Void, Pay Selected Invoices, the
confirmation). A route of either face that this walk neither visits nor names as not a
page (a POST, a PDF, a CSV, a fragment) fails the coverage test, so a new page cannot go
unchecked.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, get_resolver, resolve
from django.utils import timezone
from playwright.sync_api import Page, expect

from remit.bank.models import BankLine
from remit.bank.services import bank_statement_import
from remit.cli.demo_data import AP_CLERK, STAFF, demo_load
from remit.invoices.models import Invoice, InvoiceStatus
from remit.notifications.models import Email
from remit.notifications.services import notifications_run
from remit.payments.models import Payment, PaymentMethod
from tests.factories import ACTOR

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING = {"serious", "critical"}
AXE = Axe()

NOT_PAGES = {
    # POSTs (they answer with a redirect or the page they came from)
    "backoffice:logout", "backoffice:customer_create", "backoffice:payment_batch_save",
    "backoffice:payment_single_save", "backoffice:card_add", "backoffice:credit_apply_save",
    "backoffice:payment_void", "backoffice:payment_refund", "backoffice:invoice_create",
    "backoffice:invoice_import_run", "backoffice:invoice_void",
    "backoffice:bank_upload", "backoffice:bank_accept", "backoffice:bank_ignore",
    "backoffice:bank_deposit_save", "backoffice:credit_payout", "backoffice:email_contact",
    "backoffice:invoice_cancel", "backoffice:invoice_credit_note",
    "backoffice:invoice_write_off", "backoffice:payment_move",
    "backoffice:payment_refund_part", "backoffice:statement_email",
    "portal:logout", "portal:switch", "portal:method_add", "portal:method_default",
    "portal:schedule_cancel",
    # files and fragments (the fragment is checked inside its window)
    "backoffice:receipt_pdf", "backoffice:report_aging_csv", "backoffice:payment_preview",
    "backoffice:bank_customers", "backoffice:bank_preview", "backoffice:bank_deposit_pdf",
    "backoffice:email_download", "backoffice:statement_pdf",
    "portal:receipt_pdf", "portal:statement_pdf",
}  # fmt: skip

VISITED: set[str] = set()


def route_names(namespace: str) -> set[str]:
    resolver = get_resolver()
    _, inner = resolver.namespace_dict[namespace]
    return {
        f"{namespace}:{p.name}" for p in inner.url_patterns if isinstance(p, URLPattern) and p.name
    }


def check(page: Page, what: str) -> list[str]:
    """axe on the page as it is now; the serious and critical violations, in words."""
    VISITED.add(_route(page.url))
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    assert results.response["testEngine"]["name"] == "axe-core"  # it ran, on this page
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        found.append(
            f"{what}: {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{len(violation['nodes'])}] {'; '.join(targets)}"
        )
    return found


def _route(url: str) -> str:
    match = resolve(urlparse(url).path)
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("axe-core found:\n" + "\n".join(f"  {p}" for p in problems), pytrace=False)


# A bank file with a line a clerk must review (a payer and an amount, no reference).
BANK_FILE = b"""date,amount,currency,bank_reference,payer,text
2026-11-30,123.45,USD,AXE-1,Someone Unknown,thanks
"""


def _an_email(customer: str) -> Email:
    return Email.objects.filter(customer__number=customer).order_by("pk").first()


@pytest.fixture
def demo(transactional_db):
    demo_load()
    # The back office's Bank review and Emails pages with something on them.
    bank_statement_import(data=BANK_FILE, filename="axe.csv", actor=ACTOR)
    notifications_run(now=timezone.now(), clock=True)


def test_every_back_office_page_passes_axe(page: Page, demo):
    problems: list[str] = []
    page.goto("/staff/login/")
    problems += check(page, "staff sign-in")
    page.get_by_label("Username").fill(STAFF.username)
    page.get_by_label("Password").fill(STAFF.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    problems += check(page, "customers (home, with the trend)")

    page.goto("/staff/customers/C-0001/")
    problems += check(page, "customer record")
    page.keyboard.press("F8")
    expect(page.locator("dialog#window").get_by_label("Total Payment Amount")).to_be_visible()
    problems += check(page, "Customer Payment window")
    page.goto("/staff/customers/C-0001/?invoices=paid")
    problems += check(page, "customer record, paid invoices")

    invoice = Invoice.objects.filter(customer__number="C-0001", status=InvoiceStatus.OPEN).first()
    payment = Payment.objects.filter(customer__number="C-0001").first()
    credit_customer = "C-0003"
    pages = [
        ("/staff/customers/new/", "new customer"),
        ("/staff/customers/C-0001/payment/", "Customer Payment as a page"),
        (f"/staff/customers/C-0001/invoices/{invoice.number}/payment/", "payment window"),
        (f"/staff/customers/{credit_customer}/credit/apply/", "apply credit"),
        (f"/staff/customers/C-0001/payments/{payment.number}/", "payment"),
        (f"/staff/customers/C-0001/payments/{payment.number}/receipt/", "receipt"),
        ("/staff/invoices/", "invoices"),
        ("/staff/invoices/?status=partly_paid", "invoices, partly paid"),
        ("/staff/invoices/new/", "new invoice"),
        ("/staff/invoices/import/", "import invoices"),
        (f"/staff/customers/C-0001/invoices/{invoice.number}/", "invoice"),
        ("/staff/reports/aging/", "AR aging"),
        ("/staff/reports/aging/C-0001/", "AR aging of a customer"),
        ("/staff/reports/cash/", "cash received"),
        ("/staff/bank/", "bank"),
        ("/staff/bank/review/", "bank review"),
        (f"/staff/bank/review/{BankLine.objects.order_by('pk').first().pk}/", "a bank line"),
        ("/staff/bank/deposits/", "deposits"),
        ("/staff/customers/C-0001/emails/", "emails"),
        ("/staff/customers/C-0001/statement/", "statement"),
        (f"/staff/customers/C-0001/emails/{_an_email('C-0001').pk}/", "an email"),
    ]
    for url, what in pages:
        page.goto(url)
        problems += check(page, what)
    page.goto(f"/staff/customers/C-0001/payments/{payment.number}/")
    if page.get_by_role("button", name="Void…").count():
        page.get_by_role("button", name="Void…").click()
        expect(page.locator("#void-dialog")).to_be_visible()
        problems += check(page, "void confirmation")
    fail_on(problems)


def test_every_portal_page_passes_axe(page: Page, demo):
    problems: list[str] = []
    page.goto("/portal/login/")
    problems += check(page, "portal sign-in")
    page.get_by_label("Username").fill(AP_CLERK.username)
    page.get_by_label("Password").fill(AP_CLERK.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open Invoices")).to_be_visible()
    problems += check(page, "Open Invoices")

    customer = page.locator(".portal-top").get_attribute("data-customer") or "C-0001"
    invoice = (
        Invoice.objects.filter(customer__number=customer, status=InvoiceStatus.OPEN)
        .order_by("invoice_date", "number")
        .first()
    )
    page.get_by_label(f"Select {invoice.number}").check()
    page.locator("summary", has_text="Actions").click()
    page.get_by_role("button", name="Pay Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("button", name="Make Payment")).to_be_visible()
    problems += check(page, "Pay Selected Invoices")
    dialog.get_by_text("Add a payment method").click()
    problems += check(page, "Pay Selected Invoices, adding a card")
    dialog.get_by_role("link", name="Cancel").click()

    pages = [
        (f"/portal/pay/?invoice={invoice.number}", "Pay Selected Invoices as a page"),
        (f"/portal/schedule/?invoice={invoice.number}", "Schedule Payment as a page"),
        ("/portal/payments/", "payments"),
        ("/portal/methods/", "payment methods"),
        ("/portal/schedules/", "scheduled payments"),
        ("/portal/credit/", "credit"),
        ("/portal/statement/", "statement"),
    ]
    method = PaymentMethod.objects.filter(
        customer__number=customer, removed=False, saved=True
    ).first()
    if method is not None:
        pages.append((f"/portal/methods/{method.pk}/remove/", "remove a method"))
    for url, what in pages:
        page.goto(url)
        problems += check(page, what)

    page.goto("/portal/")
    page.get_by_label(f"Select {invoice.number}").check()
    page.locator("summary", has_text="Actions").click()
    page.get_by_role("button", name="Pay Selected Invoices").click()
    page.locator("#modal").get_by_role("button", name="Make Payment").click()
    expect(page.locator("#confirmation")).to_be_visible()
    problems += check(page, "payment confirmation")
    page.locator("#confirmation").get_by_role("link", name="View Receipt").click()
    expect(page.get_by_role("heading", name="Payment Receipt")).to_be_visible()
    problems += check(page, "receipt")
    fail_on(problems)


def test_the_walks_cover_every_page_of_both_faces():
    """Runs after the walks (file order): every GET page was checked by axe."""
    if not VISITED:
        pytest.skip("the walks did not run (deselected)")
    pages = (route_names("backoffice") | route_names("portal")) - NOT_PAGES
    assert sorted(pages - VISITED) == []
