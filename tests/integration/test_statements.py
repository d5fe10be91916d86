"""Customer statements against figures worked out by hand, as a page, a PDF, JSON and
text (`remit statement`).

The history (USD):
  INV-S1  2026-09-10, due 10-10, $500.00     P1 check  2026-09-25  $200.00 → S1
  INV-S2  2026-10-05, due 11-04, $300.00     P2 check  2026-10-15  $450.00 → S1 $300, S2 $150
  INV-S3  2026-10-20, due 11-19, $120.00     P3 cash   2026-10-28  $25.00  → S3
  INV-S4  2026-11-10, due 12-10, $80.00      P4 check  2026-10-16  $10.00, voided
  INV-SV  2026-10-12, $50.00, voided

October: opening 500 - 200 = $300.00; +300 = 600; -450 = 150; +120 = 270; -25 = $245.00.
Open at Oct 31: S2 $150.00 and S3 $95.00, both not yet due: current $245.00.
November: opening $245.00; +80 (S4) = $325.00. At Nov 30, S2 is 26 days past due and S3
11 (1-30: $245.00); S4 is not due (current: $80.00).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.services import customer_create
from remit.invoices.services import invoice_create, invoice_void
from remit.main import main as remit
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from remit.statements.selectors import statement_for

pytestmark = pytest.mark.django_db
ACTOR = Actor(label="statement-test")
D = date.fromisoformat


def usd(value: str) -> Money:
    return Money.of(value, "USD")


@pytest.fixture
def customer():
    customer = customer_create(number="C-STMT", name="Statement Buyer", actor=ACTOR)
    for number, issued, due, total in (
        ("INV-S1", "2026-09-10", "2026-10-10", "500.00"),
        ("INV-S2", "2026-10-05", "2026-11-04", "300.00"),
        ("INV-S3", "2026-10-20", "2026-11-19", "120.00"),
        ("INV-S4", "2026-11-10", "2026-12-10", "80.00"),
        ("INV-SV", "2026-10-12", "2026-11-11", "50.00"),
    ):
        invoice = invoice_create(
            customer=customer,
            number=number,
            invoice_date=D(issued),
            due_date=D(due),
            total=usd(total),
            actor=ACTOR,
        )
    invoice_void(invoice=invoice, actor=ACTOR)  # INV-SV

    def post(key, kind, amount, day, invoices=None):
        return payment_post(
            customer=customer,
            amount=usd(amount),
            payment_type=kind,
            idempotency_key=key,
            actor=ACTOR,
            source="backoffice",
            post_date=D(day),
            reference="77" if kind == "check" else "",
            invoices=[InvoiceRequest(n) for n in invoices] if invoices else None,
        )

    post("p1", "check", "200.00", "2026-09-25", ["INV-S1"])
    post("p2", "check", "450.00", "2026-10-15", ["INV-S1", "INV-S2"])
    post("p3", "cash", "25.00", "2026-10-28", ["INV-S3"])
    payment_void(payment=post("p4", "check", "10.00", "2026-10-16", ["INV-S3"]), actor=ACTOR)
    return customer


def test_october_is_as_worked_out_by_hand(customer):
    s = statement_for(customer=customer, start=D("2026-10-01"), end=D("2026-10-31"))
    assert s.opening == usd("300.00") and s.closing == usd("245.00")
    assert [
        (str(line.date), line.reference, str(line.amount), str(line.balance)) for line in s.lines
    ] == [
        ("2026-10-05", "INV-S2", "300.00", "600.00"),
        ("2026-10-15", s.lines[1].reference, "-450.00", "150.00"),
        ("2026-10-20", "INV-S3", "120.00", "270.00"),
        ("2026-10-28", s.lines[3].reference, "-25.00", "245.00"),
    ]
    assert s.lines[1].description == "Payment, Check #77"
    assert s.invoiced == usd("420.00") and s.received == usd("475.00")
    assert [(r.invoice, str(r.balance_due)) for r in s.open_invoices] == [
        ("INV-S2", "150.00"),
        ("INV-S3", "95.00"),
    ]
    assert {k: str(v) for k, v in s.aging.items()} == {
        "current": "245.00",
        "1_30": "0.00",
        "31_60": "0.00",
        "61_90": "0.00",
        "over_90": "0.00",
    }


def test_november_ages_what_is_past_due(customer):
    s = statement_for(customer=customer, start=D("2026-11-01"), end=D("2026-11-30"))
    assert s.opening == usd("245.00") and s.closing == usd("325.00")
    assert s.aging["current"] == usd("80.00") and s.aging["1_30"] == usd("245.00")
    assert s.closing == s.open_total - s.credit


def test_the_command_prints_json_and_writes_the_pdf(customer, tmp_path, capsys):
    pdf = tmp_path / "oct.pdf"
    code = remit(
        [
            "statement",
            "--customer",
            "C-STMT",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--pdf",
            str(pdf),
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["opening_balance"], data["closing_balance"]) == ("300.00", "245.00")
    assert (data["invoiced"], data["received"]) == ("420.00", "475.00")
    assert [line["balance"] for line in data["lines"]] == ["600.00", "150.00", "270.00", "245.00"]
    assert data["aging"]["current"] == "245.00"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_command_prints_text_and_refuses_bad_dates(customer, capsys):
    assert (
        remit(["statement", "--customer", "C-STMT", "--from", "2026-10-01", "--to", "2026-10-31"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Opening balance: $300.00" in out and "Closing balance: $245.00" in out
    assert remit(["statement", "--customer", "C-STMT", "--from", "2026-10-32"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert (
        remit(["statement", "--customer", "C-STMT", "--from", "2026-11-01", "--to", "2026-10-01"])
        == 2
    )
    assert "cannot start" in capsys.readouterr().err
    assert remit(["statement", "--customer", "C-NOBODY"]) == 2


# --- the faces -------------------------------------------------------------------------


def test_the_portal_shows_the_statement_and_its_pdf_to_a_viewer(customer):
    from django.test import Client

    from remit.customers.models import Role
    from tests.integration.test_portal_support import portal_user

    client = Client()
    client.force_login(portal_user((customer, Role.VIEWER)))
    page = client.get("/portal/statement/?from=2026-10-01&to=2026-10-31").content.decode()
    assert "Statement of Account" in page and "$245.00" in page and "$300.00" in page
    assert 'data-bucket="current">$245.00' in page
    pdf = client.get("/portal/statement/pdf/?from=2026-10-01&to=2026-10-31")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    bad = client.get("/portal/statement/?from=2026-13-01").content.decode()
    assert "is not a date" in bad


def test_the_back_office_emails_the_statement_with_its_pdf(customer, smtp):
    from django.urls import reverse

    from remit.backoffice.groups import CLERK
    from remit.notifications.models import Contact
    from remit.notifications.services import notifications_run
    from tests.integration.test_backoffice_access import signed_in, staff
    from tests.smtp_server import attachments, body

    client = signed_in(staff("clerk", CLERK))
    url = reverse("backoffice:statement", args=[customer.number])
    page = client.get(url + "?from=2026-10-01&to=2026-10-31").content.decode()
    assert "$245.00" in page and "Email statement" in page and "PO Box 1000" in page

    email_url = reverse("backoffice:statement_email", args=[customer.number])
    refused = client.post(email_url + "?from=2026-10-01&to=2026-10-31", follow=True)
    assert "has no contact who takes statements" in refused.content.decode()

    Contact.objects.create(customer=customer, email="ap@stmt.example", name="Ann")
    done = client.post(email_url + "?from=2026-10-01&to=2026-10-31", follow=True)
    assert "queued for ap@stmt.example" in done.content.decode()
    notifications_run()

    [message] = [m for m in smtp.received if m["Subject"].startswith("Statement")]
    assert message["Subject"] == "Statement October 1, 2026 to October 31, 2026: $245.00 due"
    assert "Closing balance: $245.00" in body(message)
    assert "/pay/" in body(message)  # pays the open invoices
    [(name, pdf)] = attachments(message)
    assert name == "statement-C-STMT-2026-10-31.pdf" and pdf.startswith(b"%PDF")


def pdf_text(pdf: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its page streams, inflated)."""
    import re
    import zlib

    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b""
    for stream in streams:
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return text.decode("latin-1")


def test_the_pdf_says_the_hand_worked_figures(customer):
    from remit.statements.pdf import statement_pdf

    s = statement_for(customer=customer, start=D("2026-10-01"), end=D("2026-10-31"))
    text = pdf_text(statement_pdf(s))
    for figure in ("$300.00", "$245.00", "$600.00", "-$450.00", "$270.00", "-$25.00", "$95.00"):
        assert f"({figure})" in text, figure
    assert "(INV-S2)" in text and "(INV-SV)" not in text
