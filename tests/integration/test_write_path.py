"""The money write path (issue 11 §2 and §3): one data path, one transition function.

- The statements a payment runs are counted as production runs them: there is no other
  path for tests or DEBUG to take, so what `CaptureQueriesContext` sees is what runs. A
  query creeping in (an N+1 over a lump sum's invoices, a re-read) fails the count.
- A payment's status moves only through `payment_transition`: it looks the move up in the
  state table, refuses what is undeclared with nothing written, sets the status and
  records the change (history row and integrator event). No other code writes the status.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import remit
from remit.core.audit import Actor
from remit.core.errors import TransitionRefused
from remit.core.money import Money
from remit.core.repository import _INTEGER, _TEXT, _insert_fields, _prepared
from remit.ledger.models import JournalEntry, JournalLine
from remit.payments.models import Allocation, CreditEntry, Event, Payment, PaymentEvent
from remit.payments.services.offline import payment_post
from remit.payments.services.transitions import payment_transition
from remit.payments.services.unit_of_work import money_transaction
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")
# lock, key, invoices, number, payment, its event, its history, allocations, balances,
# invoice events, journal entry, journal lines, audit
STATEMENTS = 13


def post(customer, amount: str, key: str) -> tuple[Payment, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        payment = payment_post(
            customer=customer,
            amount=Money.of(amount, "USD"),
            payment_type="check",
            idempotency_key=key,
            actor=CLERK,
            source="backoffice",
        )
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    return payment, sql


def test_a_check_for_one_invoice_is_thirteen_statements():
    customer = make_customer()
    make_invoice(customer, "120.00")
    payment, sql = post(customer, "120.00", "one")
    assert payment.status == "settled"
    assert len(sql) == STATEMENTS, "\n".join(sql)


def test_a_lump_sum_over_many_invoices_is_the_same_thirteen_statements():
    customer = make_customer()
    for n in range(60):
        make_invoice(customer, "10.00", days_ago=90 - n)
    payment, sql = post(customer, "600.00", "lump")
    assert payment.allocations.count() == 60
    assert len(sql) == STATEMENTS, "\n".join(sql)


def test_a_repeated_key_is_answered_after_the_lock_with_no_write():
    customer = make_customer()
    make_invoice(customer, "120.00")
    first, _ = post(customer, "120.00", "again")
    again, sql = post(customer, "120.00", "again")
    assert again == first
    assert not [s for s in sql if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.fixture
def settled():
    customer = make_customer()
    make_invoice(customer, "50.00")
    payment, _ = post(customer, "50.00", "settled")
    return payment


def test_a_transition_sets_the_status_and_records_the_history_and_the_event(settled):
    history, events = PaymentEvent.objects.count(), Event.objects.count()
    with money_transaction(settled.customer):
        payment_transition(
            settled, action="void", outcome="approved", actor=CLERK, reason="wrong customer"
        )
    settled.refresh_from_db()
    assert settled.status == "voided"
    row = PaymentEvent.objects.latest("id")
    assert (row.from_status, row.action, row.outcome, row.to_status, row.actor, row.detail) == (
        "settled",
        "void",
        "approved",
        "voided",
        "clerk-ann",
        "wrong customer",
    )
    assert PaymentEvent.objects.count() == history + 1
    assert Event.objects.count() == events + 1
    assert Event.objects.latest("id").kind == "payment.voided"


def test_an_undeclared_transition_is_refused_and_writes_nothing(settled):
    history, events = PaymentEvent.objects.count(), Event.objects.count()
    with pytest.raises(TransitionRefused, match="settled; it cannot be charged"):
        payment_transition(settled, action="charge", outcome="approved", actor=CLERK)
    settled.refresh_from_db()
    assert settled.status == "settled"
    assert (PaymentEvent.objects.count(), Event.objects.count()) == (history, events)


def test_no_code_but_the_transition_function_writes_a_payments_status():
    """The rule is structural, so it is checked on the source: a new writer of a payment's
    status anywhere else (an assignment, an update(), raw SQL) fails here."""
    src = Path(remit.__file__).parent
    writes = re.compile(
        r"payment\w*\.status\s*=[^=]|Payment\.objects[^\n]*\.update\([^)]*\bstatus\b"
        r"|UPDATE\s+\S*payment\S*\s+SET[^;]*\bstatus\b",
        re.IGNORECASE,
    )
    found = [
        f"{path.relative_to(src)}:{number}: {line.strip()}"
        for path in src.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert [place.split(":")[0] for place in found] == ["payments/services/transitions.py"], found


@pytest.mark.parametrize(
    "model", [Payment, Allocation, Event, PaymentEvent, CreditEntry, JournalEntry, JournalLine]
)
def test_the_insert_shortcut_writes_what_the_fields_themselves_would(model):
    """`instances_insert` passes a plain str or int to its column unchanged, skipping the
    field's own conversion: for every text and integer column of the rows it writes, that
    conversion must give the value back as it is."""
    texts, numbers = ("PMT-000123", "", "é €"), (0, 42, -7, 10**12)
    shortcut = 0
    for field in _insert_fields(model):
        if isinstance(field, _TEXT):
            samples = texts
        elif isinstance(field, _INTEGER):
            samples = numbers
        else:
            continue  # dates, JSON, booleans go through the field's own conversion
        for sample in samples:
            assert _prepared(field, sample, connection) is sample
            assert field.get_db_prep_save(sample, connection) == sample, (field, sample)
            shortcut += 1
    assert shortcut, "the shortcut is taken for some column of every model"
