"""The back office's Bank screen through Django's test client: upload, lines by status,
the review queue (accept the suggestion, choose another customer and invoices, ignore),
deposits and their slip; who may do what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import CLERK
from remit.bank.models import BankLine, Deposit
from remit.books.audit import books_audit
from remit.customers.services import customer_create
from remit.payments.models import Payment
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice

pytestmark = pytest.mark.django_db
FILE = (
    "date,amount,currency,bank_reference,payer,text\n"
    "2026-11-30,430.00,USD,R1,ACME CORP,INV-10045\n"
    "2026-11-30,240.00,USD,R2,Globex LLC,INV-20001\n"
    "2026-11-30,57.00,USD,R3,Nobody,hello\n"
)


@pytest.fixture
def book():
    acme = customer_create(number="C-0001", name="Acme Corporation", actor=ACTOR)
    globex = customer_create(number="C-0002", name="Globex LLC", actor=ACTOR)
    make_invoice(acme, "430.00", number="INV-10045", days_ago=60)
    make_invoice(acme, "120.00", number="INV-10046", days_ago=50)
    make_invoice(globex, "250.00", number="INV-20001", days_ago=30)
    return acme, globex


def staff(group: str | None = CLERK) -> Client:
    user = User.objects.create_user(
        f"u{User.objects.count()}", password="a-long-test-password", is_staff=True
    )
    if group:
        user.groups.set(Group.objects.filter(name=group))
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, text: str = FILE):
    return client.post(
        reverse("backoffice:bank_upload"),
        {"file": SimpleUploadedFile("nov.csv", text.encode(), content_type="text/csv")},
        follow=True,
    )


def test_an_upload_says_what_happened_and_lists_the_lines_by_status(book):
    client = staff()
    page = upload(client).content.decode()
    assert "3 lines, 1 posted, 1 to review, 1 unmatched, 0 ignored" in page
    review = client.get(reverse("backoffice:bank"), {"status": "review"}).content.decode()
    assert "Globex LLC" in review and "ACME CORP" not in review
    again = upload(client).content.decode()
    assert "was imported before" in again and Payment.objects.count() == 1


def test_a_bad_file_is_refused_with_the_line_and_nothing_written(book):
    page = upload(staff(), FILE.replace("57.00", "57.001")).content.decode()
    assert "line 4: amount: USD amounts have 2 decimal places" in page
    assert not BankLine.objects.exists()


def test_the_queue_shows_the_suggestion_and_accepting_posts_it(book):
    client = staff()
    upload(client)
    page = client.get(reverse("backoffice:bank_review")).content.decode()
    assert "short by $10.00" in page and 'value="INV-20001" id="pay-INV-20001" checked' in page
    line = BankLine.objects.get(bank_reference="R2")
    response = client.post(
        reverse("backoffice:bank_accept", args=[line.pk]),
        {
            "customer": "C-0002",
            "invoice": ["INV-20001"],
            "amount-INV-20001": "240.00",
            "as_suggested": "1",
        },
        follow=True,
    )
    assert "posted to C-0002 for $240.00" in response.content.decode()
    line.refresh_from_db()
    assert line.status == "posted" and line.payment.amount_minor == 24000


def test_another_customer_and_invoices_are_previewed_then_posted(book):
    client = staff()
    upload(client)
    line = BankLine.objects.get(bank_reference="R3")
    found = client.get(reverse("backoffice:bank_customers", args=[line.pk]), {"q": "acme"})
    assert "C-0001" in found.content.decode()
    chosen = client.get(
        reverse("backoffice:bank_review_line", args=[line.pk]), {"customer": "C-0001"}
    )
    assert "INV-10046" in chosen.content.decode()
    form = {
        "customer": "C-0001",
        "invoice": ["INV-10046"],
        "amount-INV-10046": "50.00",
        "as_suggested": "0",
    }
    preview = client.post(reverse("backoffice:bank_preview", args=[line.pk]), form)
    assert "INV-10046 $50.00; $7.00 to credit" in preview.content.decode()
    assert not Payment.objects.filter(reference="R3").exists()
    client.post(reverse("backoffice:bank_accept", args=[line.pk]), form)
    payment = Payment.objects.get(reference="R3")
    assert payment.customer.number == "C-0001" and payment.amount_minor == 5700
    assert books_audit().ok


def test_ignore_needs_a_reason(book):
    client = staff()
    upload(client)
    line = BankLine.objects.get(bank_reference="R3")
    page = client.post(
        reverse("backoffice:bank_ignore", args=[line.pk]), {"reason": ""}, follow=True
    )
    assert "Say why the line is ignored." in page.content.decode()
    client.post(reverse("backoffice:bank_ignore", args=[line.pk]), {"reason": "Owner's transfer"})
    line.refresh_from_db()
    assert line.status == "ignored"


def test_a_deposit_slip_moves_checks_to_the_bank_and_its_statement_line_matches_it(book):
    acme, globex = book
    client = staff()
    checks = [
        payment_post(
            customer=c,
            amount=usd(a),
            payment_type="check",
            idempotency_key=f"k{a}",
            actor=ACTOR,
            source="backoffice",
            reference=r,
        )
        for c, a, r in ((acme, "430.00", "1001"), (globex, "250.00", "2002"))
    ]
    page = client.get(reverse("backoffice:bank_deposits")).content.decode()
    assert checks[0].number in page and checks[1].number in page
    client.post(reverse("backoffice:bank_deposit_save"), {"payment": [p.number for p in checks]})
    deposit = Deposit.objects.get()
    assert deposit.total_minor == 68000
    pdf = client.get(reverse("backoffice:bank_deposit_pdf", args=[deposit.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert books_audit().ok
    upload(
        client,
        "date,amount,currency,bank_reference,payer,text\n"
        f"2026-12-01,680.00,USD,D1,,DEPOSIT {deposit.number}\n",
    )
    line = BankLine.objects.get(bank_reference="D1")
    assert (line.status, line.deposit_id) == ("posted", deposit.pk)
    assert "matched" in client.get(reverse("backoffice:bank_deposits")).content.decode()
    assert books_audit().ok


def test_staff_without_the_post_permission_may_look_but_not_upload_or_accept(book):
    client = staff(group=None)
    assert client.get(reverse("backoffice:bank")).status_code == 403
    viewer = User.objects.create_user("viewer", password="a-long-test-password", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_customer", "view_invoice", "view_payment"])
    )
    client = Client()
    client.force_login(viewer)
    assert client.get(reverse("backoffice:bank")).status_code == 200
    assert upload(client).status_code == 403
    assert not BankLine.objects.exists()
