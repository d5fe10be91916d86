"""A `remit bank import` killed half-way, for tests/integration/test_bank_crash.py.

It runs against a database of its own (a SQLite file, or a PostgreSQL database the test
made), given as a URL, so the test can kill it and look afterwards:

    python tests/bank_crash_driver.py setup  DATABASE_URL CSV_PATH   # migrate, book, file
    python tests/bank_crash_driver.py import DATABASE_URL CSV_PATH K # dies in line K+1's post
    python tests/bank_crash_driver.py report DATABASE_URL CSV_PATH   # imports again, reports

`import` SIGKILLs itself inside the transaction of the (K+1)th posting, after the payment
service returned and before the commit: K payments are committed, the next one is not.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import date, timedelta

CUSTOMERS = 6
INVOICES = 4


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    import django

    django.setup()


def setup(path: str) -> None:
    from django.core.management import call_command

    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.services import customer_create
    from remit.invoices.services import invoice_create

    call_command("migrate", verbosity=0)
    actor = Actor(label="crash-driver")
    today = date.today()
    rows = ["date,amount,currency,bank_reference,payer,text"]
    for c in range(CUSTOMERS):
        customer = customer_create(number=f"C-{c:04d}", name=f"Company {c} Ltd", actor=actor)
        for n in range(INVOICES):
            number = f"INV-{c}{n:03d}"
            minor = 10000 + 137 * c + 11 * n
            invoice_create(
                customer=customer,
                number=number,
                invoice_date=today - timedelta(days=40 - n),
                due_date=today,
                total=Money.from_minor(minor, "USD"),
                actor=actor,
            )
            amount = Money.from_minor(minor, "USD")
            rows.append(f"{today},{amount},USD,BR-{c}-{n},Company {c},Invoice {number}")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


def crash_import(path: str, after: int) -> None:
    from remit.bank import services
    from remit.core.audit import Actor

    real = services.payment_take
    made = 0

    def dying(**kwargs):
        nonlocal made
        payment = real(**kwargs)
        made += 1
        if made > after:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return payment

    services.payment_take = dying
    with open(path, "rb") as f:
        services.bank_statement_import(data=f.read(), filename="crash.csv", actor=Actor("crash"))
    raise SystemExit("the import ended without a crash")


def report(path: str) -> None:
    from collections import Counter

    from remit.bank.models import BankLine, Statement
    from remit.bank.services import bank_statement_import
    from remit.books.audit import books_audit
    from remit.core.audit import Actor
    from remit.payments.models import Payment

    before = Payment.objects.count()
    with open(path, "rb") as f:
        data = f.read()
    first = bank_statement_import(data=data, filename="crash.csv", actor=Actor("again"))
    again = bank_statement_import(data=data, filename="crash.csv", actor=Actor("again"))
    audit = books_audit()
    print(
        json.dumps(
            {
                "payments_before": before,
                "payments": Payment.objects.count(),
                "per_reference": Counter(Payment.objects.values_list("reference", flat=True)),
                "statuses": Counter(BankLine.objects.values_list("status", flat=True)),
                "statements": Statement.objects.count(),
                "rerun": first.counts,
                "second_duplicate_of": again.duplicate_of,
                "audit": audit.problems,
            }
        )
    )


if __name__ == "__main__":
    command, url, csv_path, *rest = sys.argv[1:]
    _setup_django(url)
    if command == "setup":
        setup(csv_path)
    elif command == "import":
        crash_import(csv_path, int(rest[0]))
    elif command == "report":
        report(csv_path)
