"""Each kind of email, through the real local SMTP server: what a customer's contact
receives, when, and never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.money import Money
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.notifications.models import Contact, Email, EmailStatus, Kind
from remit.notifications.services import notifications_run
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.checkout import checkout_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_create, schedules_run_due
from tests.factories import make_invoice
from tests.integration.test_email_outbox import customer_with_email
from tests.smtp_server import attachments, body

pytestmark = pytest.mark.django_db
CLERK = Actor(label="ap-clerk")
TODAY = timezone.localdate()
APPROVES, DECLINES = "4242424242424242", "4000000000000002"


def run(days: int = 0) -> dict[str, int]:
    return notifications_run(now=timezone.now() + timedelta(days=days))


def card(customer, number=APPROVES, *, month=12, year=None):
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=month, exp_year=year or TODAY.year + 3, cvc="123")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)


def portal_pay(customer, invoices, method, key="pay-1"):
    return checkout_submit(
        customer=customer,
        invoice_numbers=[i.number for i in invoices],
        method=method,
        use_credit=False,
        key=key,
        actor=CLERK,
    )


def schedule(customer, invoices, *, days, method=None, key="sch-1"):
    return schedule_create(
        customer=customer,
        method=method or card(customer),
        invoice_numbers=[i.number for i in invoices],
        run_on=TODAY + timedelta(days=days),
        idempotency_key=key,
        actor=CLERK,
        source="portal",
    )


# --- receipts and failures -------------------------------------------------------------


def test_an_approved_card_payment_from_the_portal_is_receipted_with_the_pdf(smtp):
    customer = customer_with_email()
    invoices = [make_invoice(customer, "40.00"), make_invoice(customer, "2.50")]
    checkout = portal_pay(customer, invoices, card(customer))

    run()

    [message] = smtp.received
    assert (
        message["Subject"]
        == f"Receipt {checkout.payment.number.replace('PMT-', 'RCT-')}: $42.50 received"
    )
    text = body(message)
    assert "Visa •••• 4242" in text and invoices[0].number in text and "$2.50" in text
    [(name, pdf)] = attachments(message)
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF")


def test_a_declined_card_sends_the_failure_with_a_pay_link_and_no_receipt(smtp):
    customer = customer_with_email()
    invoice = make_invoice(customer, "80.00")
    checkout = portal_pay(customer, [invoice], card(customer, DECLINES))
    assert checkout.declined

    run()
    run(days=1)

    [message] = smtp.received
    assert message["Subject"] == "Your payment of $80.00 did not go through"
    text = body(message)
    assert "declined" in text.lower() and invoice.number in text and "Nothing was charged" in text
    assert "/pay/" in text  # a link to pay the same invoices without signing in
    receipt = Email.objects.get(kind=Kind.RECEIPT)
    assert receipt.status == EmailStatus.CANCELLED  # queued at posting, never sent


def test_a_check_posted_in_the_back_office_is_receipted_from_any_face(smtp):
    customer = customer_with_email()
    make_invoice(customer, "15.00")
    for source, key in (("api", "a-1"), ("cli", "c-1")):
        payment_post(
            customer=customer,
            amount=customer_money("7.50"),
            payment_type="cash",
            idempotency_key=key,
            actor=CLERK,
            source=source,
        )
    run()
    assert len(smtp.received) == 2
    assert all("$7.50" in m["Subject"] for m in smtp.received)


def customer_money(value):
    return Money.of(value, "USD")


# --- scheduled payments ------------------------------------------------------------------


def test_a_scheduled_payment_is_announced_three_days_before_it_runs(smtp):
    customer = customer_with_email()
    invoice = make_invoice(customer, "300.00")
    schedule(customer, [invoice], days=7)

    run()
    assert smtp.received == []  # seven days ahead: not yet
    run(days=3)
    assert smtp.received == []
    run(days=4)
    run(days=5)

    [message] = smtp.received
    run_on = TODAY + timedelta(days=7)
    assert message["Subject"] == f"A payment of $300.00 is scheduled for {run_on:%B %-d, %Y}"
    assert invoice.number in body(message) and "Visa •••• 4242" in body(message)
    assert message["List-Unsubscribe"].startswith("<http")


def test_a_scheduled_payment_that_ran_says_so_and_one_that_failed_says_why(smtp):
    customer = customer_with_email()
    good, bad = make_invoice(customer, "10.00"), make_invoice(customer, "20.00")
    schedule(customer, [good], days=1, key="good")
    schedule(customer, [bad], days=1, key="bad", method=card(customer, DECLINES))
    schedules_run_due(actor=Actor.system("worker"), today=TODAY + timedelta(days=1))

    run(days=1)
    run(days=2)

    results = [m for m in smtp.received if "scheduled payment" in m["Subject"]]
    subjects = sorted(m["Subject"] for m in results)
    assert subjects == [
        "Your scheduled payment did not go through",
        "Your scheduled payment of $10.00 was made",
    ]
    failed = next(m for m in results if "did not" in m["Subject"])
    assert "declined" in body(failed).lower()
    # The payment that ran is receipted too; the failed one is told once, by its result.
    assert [m["Subject"] for m in smtp.received if m["Subject"].startswith("Receipt")] != []
    assert not [m for m in smtp.received if m["Subject"].startswith("Your payment of")]


def test_a_card_that_expires_before_its_scheduled_payment_is_pointed_out_once(smtp):
    customer = customer_with_email()
    invoice = make_invoice(customer, "55.00")
    expiring = card(customer, month=TODAY.month, year=TODAY.year)
    schedule(customer, [invoice], days=60, method=expiring)

    run()
    run(days=1)

    [message] = [m for m in smtp.received if "expires" in m["Subject"]]
    assert message["Subject"].startswith("Visa •••• 4242 expires before your payment on")
    assert f"{TODAY.month:02d}/{TODAY.year}" in body(message)


# --- overdue reminders ---------------------------------------------------------------------


def overdue_invoice(customer, total, days_overdue):
    return make_invoice(customer, total, days_ago=30 + days_overdue, due_in=30)


def test_overdue_reminders_follow_the_sequence_once_a_step(smtp, settings):
    settings.REMIT_OVERDUE_REMINDERS = "7,14,30"
    customer = customer_with_email()
    invoice = overdue_invoice(customer, "500.00", 7)

    run()  # 7 days past due
    run()  # the same day again
    run(days=1)  # 8 days: no new step
    run(days=7)  # 14 days

    subjects = [m["Subject"] for m in smtp.received]
    assert subjects == ["Overdue: $500.00 on 1 invoice", "Overdue: $500.00 on 1 invoice"]
    first = smtp.received[0]
    assert invoice.number in body(first) and "7 days ago" in body(first)
    assert "14 days ago" in body(smtp.received[1])
    assert first["List-Unsubscribe"] and first["List-Unsubscribe-Post"]
    assert "/pay/" in body(first)


def test_several_overdue_invoices_make_one_email_a_day(smtp):
    customer = customer_with_email()
    overdue_invoice(customer, "100.00", 7)
    overdue_invoice(customer, "25.00", 30)
    run()
    assert [m["Subject"] for m in smtp.received] == ["Overdue: $125.00 on 2 invoices"]

    overdue_invoice(customer, "1.00", 7)  # reaches a step later the same day
    run()
    assert len(smtp.received) == 1  # it waits for tomorrow
    run(days=1)
    assert [m["Subject"] for m in smtp.received][1] == "Overdue: $1.00 on 1 invoice"


def test_payment_and_a_schedule_stop_the_reminders(smtp):
    customer = customer_with_email()
    paid = overdue_invoice(customer, "100.00", 7)
    held = overdue_invoice(customer, "50.00", 7)
    payment_post(
        customer=customer,
        amount=customer_money("100.00"),
        payment_type="check",
        invoices=[InvoiceRequest(paid.number)],
        idempotency_key="paid",
        actor=CLERK,
        source="backoffice",
    )
    schedule(customer, [held], days=20)

    run()

    assert not [m for m in smtp.received if m["Subject"].startswith("Overdue")]


def test_the_unsubscribe_link_stops_that_kind_for_that_address(smtp):
    customer = customer_with_email("ap@buyer.example")
    overdue_invoice(customer, "100.00", 7)
    run()
    [message] = smtp.received
    link = message["List-Unsubscribe"].strip("<>")
    path = link.split("8000", 1)[1] if "8000" in link else link

    page = Client().get(path)
    assert "Stop these emails to ap@buyer.example?" in page.content.decode()
    done = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert "will get no more overdue reminder emails" in done.content.decode()
    assert Contact.objects.get(customer=customer).overdue is False

    overdue_invoice(customer, "5.00", 14)
    run(days=1)
    assert len(smtp.received) == 1
    assert Client().get(path[:-5] + "xxxx/").status_code == 404


# --- monthly statements ----------------------------------------------------------------


def test_last_month_s_statement_goes_out_once_from_the_first(smtp, settings):
    from remit.notifications.derive import clock_derive
    from remit.notifications.sender import emails_send

    settings.REMIT_MONTHLY_STATEMENTS = True
    settings.REMIT_OVERDUE_REMINDERS = ""
    customer = customer_with_email()
    quiet = customer_with_email("quiet@buyer.example")  # nothing last month, nothing owed
    invoice = make_invoice(customer, "70.00", days_ago=0)
    first_of_next = (invoice.invoice_date.replace(day=28) + timedelta(days=4)).replace(day=1)

    clock_derive(today=first_of_next)
    clock_derive(today=first_of_next + timedelta(days=3))
    emails_send()

    [message] = smtp.received
    month_start = invoice.invoice_date.replace(day=1)
    assert message["Subject"].startswith(f"Statement {month_start:%B %-d, %Y} to ")
    assert message["Subject"].endswith(": $70.00 due")
    assert message["To"] == "ap@buyer.example" and quiet.email not in message["To"]
    [(name, pdf)] = attachments(message)
    assert name.startswith(f"statement-{customer.number}-") and pdf.startswith(b"%PDF")
