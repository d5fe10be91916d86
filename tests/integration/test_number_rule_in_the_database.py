"""The number rule is held by the database too (`core.constraints.number_rule`): a write
that goes around the services cannot store a number that breaks it, on SQLite and on
PostgreSQL alike (the CHECK uses only trim, substr and length, which both have)."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import DataError, IntegrityError, connection, transaction

from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
REFUSED = (IntegrityError, DataError)
"""The CHECK's refusal; PostgreSQL's varchar refuses an over-long number first."""

BAD = ["a/b", "a b796", "-A1", "INV\u00e91", "", ".x", "x%y"]


@pytest.mark.parametrize("number", [*BAD, "C" * 33])
def test_a_customer_number_that_breaks_the_rule_cannot_be_stored(number):
    with pytest.raises(REFUSED), transaction.atomic():
        Customer.objects.create(number=number, name="Around the services", currency="USD")


@pytest.mark.parametrize("number", [*BAD, "I" * 65])
def test_an_invoice_number_that_breaks_the_rule_cannot_be_stored(number):
    customer = make_customer()
    with pytest.raises(REFUSED), transaction.atomic():
        Invoice.objects.create(
            number=number,
            customer=customer,
            invoice_date=date(2026, 1, 1),
            due_date=date(2026, 1, 31),
            currency="USD",
            total_minor=100,
            balance_due_minor=100,
        )


def test_an_invoice_number_can_be_renamed_only_within_the_rule():
    invoice = make_invoice(make_customer(), "10.00", number="INV-OK-1")
    Invoice.objects.filter(pk=invoice.pk).update(number="INV_OK.2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(number="INV OK 3")
    assert Invoice.objects.get(pk=invoice.pk).number == "INV_OK.2"


def test_a_payment_number_that_breaks_the_rule_cannot_be_stored():
    customer = make_customer()
    fields = {
        "customer": customer,
        "type": "check",
        "amount_minor": 100,
        "currency": "USD",
        "post_date": date(2026, 1, 1),
        "status": "settled",
        "allocation_policy": "oldest_first",
        "actor": "test",
        "source": "backoffice",
        "idempotency_key": "k",
        "request_fingerprint": "f",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(number="PMT/1", **fields)
    assert Payment.objects.create(number="PMT-000001", **fields).pk


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="only SQLite can be told to skip its CHECKs"
)
def test_the_migration_names_the_rows_that_break_the_rule_before_adding_it():
    migration = importlib.import_module("remit.invoices.migrations.0003_number_rule")
    invoice = make_invoice(make_customer(), "10.00", number="INV-OLD-1")
    with connection.cursor() as cursor:  # a row written before the rule existed
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        Invoice.objects.filter(pk=invoice.pk).update(number="INV OLD/1")
        cursor.execute("PRAGMA ignore_check_constraints = OFF")
    with pytest.raises(RuntimeError, match=r"break the number rule .*: 'INV OLD/1'\. Rename"):
        migration.name_the_rows_that_break_it(django_apps, None)
