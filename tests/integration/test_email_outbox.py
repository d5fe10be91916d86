"""The outbox: an email exists as soon as its cause commits, is sent by the worker through
a real SMTP server, retried with backoff, and never sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.models import Customer
from remit.notifications.models import Email, EmailStatus, Kind
from remit.notifications.services import notifications_run
from remit.notifications.transport import TryLater, transport_from_url
from remit.payments.services.offline import payment_post
from tests.factories import make_customer, make_invoice
from tests.smtp_server import attachments, body

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk")


def customer_with_email(address: str = "ap@buyer.example") -> Customer:
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(email=address)
    customer.refresh_from_db()
    return customer


def post_check(customer: Customer, amount: str, key: str = "chk-1"):
    return payment_post(
        customer=customer,
        amount=Money.of(amount, customer.currency),
        payment_type="check",
        reference="4411",
        idempotency_key=key,
        actor=CLERK,
        source="backoffice",
    )


def run(later: timedelta = timedelta(0)) -> dict[str, int]:
    return notifications_run(now=timezone.now() + later, clock=False)


def test_a_posted_check_is_emailed_once_with_its_receipt_attached(smtp):
    customer = customer_with_email()
    make_invoice(customer, "120.00", number="INV-OUT-1")
    payment = post_check(customer, "120.00")

    first = run()
    again = run(timedelta(hours=2))

    assert first["sent"] == 1 and again["sent"] == 0
    assert len(smtp.received) == 1
    message = smtp.received[0]
    assert message["To"] == "ap@buyer.example"
    assert message["From"] == "Acme Billing <billing@acme.example>"
    assert message["Reply-To"] == "ar@acme.example"
    assert "$120.00" in message["Subject"]
    assert "INV-OUT-1" in body(message) and "$120.00" in body(message, "html")
    [(name, pdf)] = attachments(message)
    assert name == payment.number.replace("PMT-", "RCT-") + ".pdf" and pdf.startswith(b"%PDF")
    row = Email.objects.get()
    assert row.status == EmailStatus.SENT and row.message_id == message["Message-ID"]
    assert row.smtp_answer.startswith("250 ") and row.sent_at is not None


def test_an_email_queued_before_a_crash_is_sent_by_the_next_worker_once(smtp):
    customer = customer_with_email()
    make_invoice(customer, "50.00")
    post_check(customer, "50.00")
    # The payment committed; the worker that should have sent it died before it ran.
    assert not smtp.received

    run()
    run()

    assert len(smtp.received) == 1


def test_a_row_claimed_by_a_worker_that_died_is_sent_after_its_claim_runs_out(smtp):
    from remit.notifications.derive import events_derive
    from remit.notifications.sender import email_claim

    customer = customer_with_email()
    make_invoice(customer, "50.00")
    post_check(customer, "50.00")
    events_derive()
    assert email_claim(now=timezone.now()) is not None  # and then the worker was killed

    assert run()["sent"] == 0  # still claimed: nobody else sends it meanwhile
    assert run(timedelta(minutes=6))["sent"] == 1
    assert run(timedelta(minutes=20))["sent"] == 0
    assert len(smtp.received) == 1


def test_a_server_that_is_down_is_tried_again_with_backoff_and_sent_once_it_is_back(smtp):
    customer = customer_with_email()
    make_invoice(customer, "75.00")
    post_check(customer, "75.00")
    smtp.refuse("451 4.3.0 Try again later")

    assert run()["retry"] == 1
    row = Email.objects.get()
    assert row.status == EmailStatus.QUEUED and row.tries == 1 and "451" in row.last_error
    assert run(timedelta(seconds=30))["retry"] == 0  # not before its backoff
    assert run(timedelta(minutes=2))["retry"] == 1  # the second try, still refused
    smtp.refuse("")
    assert run(timedelta(minutes=4))["sent"] == 0  # the third waits 5 minutes
    assert run(timedelta(minutes=8))["sent"] == 1
    assert len(smtp.received) == 1 and Email.objects.get().tries == 3


def test_a_permanent_refusal_fails_the_email_without_trying_again(smtp):
    customer = customer_with_email("nobody@buyer.example")
    make_invoice(customer, "75.00")
    post_check(customer, "75.00")
    smtp.refuse("550 5.1.1 No such user")

    assert run()["failed"] == 1
    assert run(timedelta(days=2))["failed"] == 0
    row = Email.objects.get()
    assert row.status == EmailStatus.FAILED and row.last_error.startswith("550")


def test_no_server_at_all_is_a_try_later():
    from remit.notifications.transport import deliver
    from tests.smtp_server import free_port

    transport = transport_from_url(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(TryLater):
        deliver(transport, _message())


def test_the_demo_default_writes_eml_files(settings, tmp_path):
    settings.REMIT_EMAIL_URL = ""
    settings.VAR_DIR = tmp_path
    customer = customer_with_email()
    make_invoice(customer, "10.00")
    post_check(customer, "10.00")

    assert run()["sent"] == 1
    [written] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: Receipt RCT-" in written.read_bytes()
    assert Email.objects.get().smtp_answer == f"written to {written}"


def test_the_email_url_is_read_as_documented():
    tls = transport_from_url("smtp+tls://user%40x:p%3Ass@mail.example")
    assert (tls.scheme, tls.host, tls.port, tls.username, tls.password) == (
        "smtp+tls",
        "mail.example",
        587,
        "user@x",
        "p:ss",
    )
    assert transport_from_url("smtp://mail.example:2525").port == 2525
    assert transport_from_url("smtps://mail.example").port == 465
    assert str(transport_from_url("file:///srv/out").folder) == "/srv/out"
    from remit.core.errors import RemitError

    with pytest.raises(RemitError):
        transport_from_url("http://mail.example")


def test_a_customer_without_an_address_gets_no_email(smtp):
    customer = make_customer()
    make_invoice(customer, "10.00")
    post_check(customer, "10.00")
    run()
    assert not Email.objects.exists() and not smtp.received


def test_contacts_choose_their_kinds(smtp):
    from remit.notifications.models import Contact

    customer = customer_with_email("ignored@buyer.example")
    Contact.objects.create(customer=customer, email="ap@buyer.example", receipt=True)
    Contact.objects.create(customer=customer, email="boss@buyer.example", receipt=False)
    make_invoice(customer, "10.00")
    post_check(customer, "10.00")
    run()
    assert [m["To"] for m in smtp.received] == ["ap@buyer.example"]
    assert Email.objects.get().kind == Kind.RECEIPT


def _message():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.example", "b@x.example", "hi"
    message["Message-ID"] = "<1@x.example>"
    message.set_content("hi")
    return message


def test_an_event_whose_email_cannot_be_made_is_tried_again_and_holds_the_floor(smtp, monkeypatch):
    from remit.notifications import derive
    from remit.notifications.models import EventMark, OutboxFloor

    customer = customer_with_email()
    make_invoice(customer, "30.00")
    post_check(customer, "30.00")

    def broken(payment):
        raise RuntimeError("template missing")

    monkeypatch.setattr(derive, "receipt_queue", broken)
    assert run()["sent"] == 0
    assert not EventMark.objects.filter(event_id__in=_posted_ids(customer)).exists()
    run(timedelta(hours=3))  # the events after it are handled; the floor stays below it
    assert OutboxFloor.objects.get().event_id < min(_posted_ids(customer))

    monkeypatch.undo()
    assert run(timedelta(hours=4))["sent"] == 1
    assert len(smtp.received) == 1


def _posted_ids(customer):
    from remit.payments.models import Event

    return list(
        Event.objects.filter(customer=customer, kind="payment.posted").values_list("id", flat=True)
    )
