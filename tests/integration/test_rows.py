"""remit.core.rows writes and reads rows exactly as the ORM would, only faster.

The money write path uses it instead of `objects.create` (see its docstring), so a row it
writes must be the row the ORM would have written, on SQLite and on PostgreSQL (the
PostgreSQL pass of `make test` runs this file too).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.core import rows
from remit.core.models import AuditEvent
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.models import JournalEntry
from remit.payments.models import Event, PaymentStatus
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def _row(model, pk):
    """Every field of a row as the ORM reads it back."""
    return model.objects.filter(pk=pk).values().get()


def test_insert_rows_writes_what_objects_create_writes():
    values = {
        "actor": "clerk",
        "action": "payment.posted",
        "object_type": "Payment",
        "object_id": "PMT-000001",
        "after": {"amount": "10.00", "allocations": {"INV-1": "10.00"}, "note": "café"},
    }
    by_orm = AuditEvent.objects.create(**values)
    [pk] = rows.insert_rows(AuditEvent, [values], return_ids=True)

    ours, theirs = _row(AuditEvent, pk), _row(AuditEvent, by_orm.pk)
    assert abs(ours.pop("at") - theirs.pop("at")) < timedelta(seconds=5)  # auto_now_add, aware
    assert ours.pop("id") != theirs.pop("id")
    assert ours == theirs  # JSON, NULLs and the blank defaults alike


def test_insert_rows_takes_the_model_defaults_and_foreign_keys_by_attname():
    customer = make_customer()
    [pk] = rows.insert_rows(
        Event,
        [{"kind": "payment.posted", "customer_id": customer.pk, "object_number": "P-1"}],
        return_ids=True,
    )
    event = Event.objects.get(pk=pk)
    assert event.customer == customer
    assert event.data == {}  # JSONField(default=dict)
    assert event.at is not None and timezone.is_aware(event.at)


def test_insert_rows_returns_the_ids_in_order_for_many_rows():
    # More rows than SQLite's 999 parameters allow in one statement; PostgreSQL unnests.
    references = [f"R-{i:05d}" for i in range(1500)]
    ids = rows.insert_rows(
        JournalEntry,
        [{"posted_on": date(2026, 1, 2), "reference": r, "description": r} for r in references],
        return_ids=True,
    )
    stored = dict(JournalEntry.objects.filter(pk__in=ids).values_list("pk", "reference"))
    assert [stored[pk] for pk in ids] == references


def test_a_misspelt_field_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError, match="no field"):
        rows.insert_rows(AuditEvent, [{"actor": "x", "acton": "typo"}])
    assert not AuditEvent.objects.exists()


def test_insert_sets_the_primary_key_and_refuses_saved_rows():
    customer = Customer(number="C-9001", name="Nine", currency="EUR")
    rows.insert([customer])
    assert customer.pk is not None and not customer._state.adding
    assert Customer.objects.get(pk=customer.pk).currency == "EUR"
    with pytest.raises(ValueError, match="new Customer rows only"):
        rows.insert([customer])


def test_a_constraint_violation_is_djangos_integrity_error_and_rolls_back():
    make_customer(number="C-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert([Customer(number="C-0001", name="Twin", currency="USD")])
    assert Customer.objects.filter(number="C-0001").count() == 1


def test_lock_finds_the_row_or_says_it_does_not_exist():
    customer = make_customer()
    with transaction.atomic():
        rows.lock(Customer, customer.pk)
        with pytest.raises(Customer.DoesNotExist):
            rows.lock(Customer, customer.pk + 1000)


def test_update_where_id_in_changes_exactly_the_rows_named():
    customer = make_customer()
    invoices = [make_invoice(customer, "10.00", number=f"INV-{i:04d}") for i in range(1100)]
    chosen = [i.pk for i in invoices[::2]]
    rows.update_where_id_in(Invoice, chosen, balance_due_minor=0, status="paid")
    paid = set(Invoice.objects.filter(status="paid").values_list("pk", flat=True))
    assert paid == set(chosen)
    assert set(Invoice.objects.filter(balance_due_minor=0).values_list("pk", flat=True)) == paid


def test_statements_are_visible_to_whoever_captures_queries():
    with CaptureQueriesContext(connection) as captured:
        rows.query("SELECT 1")
        rows.insert_rows(AuditEvent, [{"actor": "x", "action": "y"}])
    assert len(captured.captured_queries) == 2
    assert "core_auditevent" in captured.captured_queries[1]["sql"]


def test_plain_values_skip_only_conversions_that_would_change_nothing():
    # rows._db_value passes str to text columns and int to integer and foreign-key
    # columns as they are; that must be exactly what the field itself would send.
    samples = {
        "CharField": "PMT-000001",
        "TextField": "a note",
        "BigIntegerField": 12345,
        "PositiveIntegerField": 7,
        "ForeignKey": 3,
    }
    checked = set()
    for model in (AuditEvent, Event, Invoice, JournalEntry, Customer):
        for field in model._meta.concrete_fields:
            assert rows._db_value(field, None, connection) == field.get_db_prep_save(
                None, connection
            )
            kind = field.get_internal_type() if not field.is_relation else "ForeignKey"
            if kind in samples:
                value = samples[kind]
                assert rows._db_value(field, value, connection) == field.get_db_prep_save(
                    value, connection
                )
                checked.add(kind)
    assert {"CharField", "BigIntegerField", "ForeignKey"} <= checked
    status = Event._meta.get_field("kind")  # an enum member, as the services pass them
    member = PaymentStatus.SETTLED
    assert rows._db_value(status, member, connection) == status.get_db_prep_save(member, connection)


def test_rows_inserted_without_asking_for_ids_are_written_all_the_same():
    assert rows.insert_rows(AuditEvent, [{"actor": "a", "action": "b"}] * 3) == []
    assert AuditEvent.objects.filter(actor="a", action="b").count() == 3


def test_a_payment_to_one_invoice_is_thirteen_statements_and_a_lump_sum_no_more():
    # The write path's throughput (`make bench`) rests on its statement count: lock,
    # replay check, invoices, number, payment, allocations, balances, invoice event,
    # journal entry, lines, payment event, payment events, audit. One query added here
    # (an ORM lookup creeping back in, say) is a measurable slowdown: count them.
    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.services import payment_post

    customer = make_customer()
    invoices = [make_invoice(customer, "50.00", days_ago=40 - i) for i in range(30)]

    def statements(**kwargs) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            payment_post(
                customer=customer,
                payment_type="check",
                actor=Actor(label="clerk"),
                source="backoffice",
                **kwargs,
            )
        return [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].split()[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
        ]

    one = statements(
        amount=Money.of("50.00", "USD"),
        idempotency_key="one",
        invoices=[InvoiceRequest(invoices[0].number)],
    )
    assert len(one) == 13, "\n".join(one)
    lump = statements(amount=Money.of("1450.00", "USD"), idempotency_key="lump")  # 29 invoices
    assert len(lump) == 13, "\n".join(lump)
    assert Invoice.objects.filter(customer=customer, status="paid").count() == 30
