"""A process that sends the outbox and dies on purpose, for tests/integration/test_email_crashes.py.

It runs against its own SQLite file (pytest's test database cannot be seen by another
process):

    python tests/email_driver.py migrate DB
    python tests/email_driver.py pay     DB             # a check for a customer with an email
    python tests/email_driver.py send    DB URL POINT LATER   # SIGKILLs itself at POINT
    python tests/email_driver.py report  DB             # the outbox's rows, as JSON

POINT is where the sender dies: `after_derive` (the emails are queued and committed,
nothing sent), `after_claim` (a row claimed, the server never reached), `after_accept`
(the server accepted the message, remit never recorded it), or `none`. LATER is seconds
added to the clock (a worker started after a claim has run out).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta


def _setup(db: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.setdefault("REMIT_VAR_DIR", os.path.dirname(db))
    import django

    django.setup()


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def migrate(db: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pay(db: str) -> None:
    from datetime import date

    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.services import customer_create
    from remit.invoices.services import invoice_create
    from remit.payments.services.offline import payment_post

    actor = Actor(label="driver")
    customer = customer_create(
        number="C-CRASH", name="Crash Buyer", email="ap@crash.example", actor=actor
    )
    invoice_create(
        customer=customer,
        number="INV-CRASH-1",
        invoice_date=date.today(),
        due_date=date.today(),
        total=Money.of("99.00", "USD"),
        actor=actor,
    )
    payment_post(
        customer=customer,
        amount=Money.of("99.00", "USD"),
        payment_type="check",
        idempotency_key="crash-1",
        actor=actor,
        source="backoffice",
    )


def send(db: str, url: str, point: str, later: str) -> None:
    os.environ["REMIT_EMAIL_URL"] = url
    _setup(db)
    from django.utils import timezone

    from remit.notifications import sender, services
    from remit.notifications.transport import deliver

    def dying_deliver(transport, message):
        if point == "after_claim":
            _die()
        answer = deliver(transport, message)
        if point == "after_accept":
            _die()
        return answer

    sender.deliver_message = dying_deliver
    if point == "after_derive":
        services.emails_send = lambda **_: _die()
    counts = services.notifications_run(
        now=timezone.now() + timedelta(seconds=int(later)), clock=False
    )
    print(json.dumps(counts))


def report(db: str) -> None:
    from remit.notifications.models import Email

    rows = list(Email.objects.values("kind", "to", "status", "message_id", "tries"))
    print(json.dumps(rows))


if __name__ == "__main__":
    command, db, *rest = sys.argv[1:]
    if command != "send":
        _setup(db)
    {"migrate": migrate, "pay": pay, "send": send, "report": report}[command](db, *rest)
