"""A large, consistent set of books for `bench.audit_scale`, written set-based on PostgreSQL.

Every table is filled by one `INSERT ... SELECT` over `generate_series` (no row is built
in Python), with table and column names from the models' `_meta`. The rows are the ones
remit's services write, so `books_audit` finds nothing to report:

- `customers` customers (C-0001 ...), each with a saved Visa; invoice i belongs to customer
  (i - 1) % customers + 1, dated over the last two years, $50.00 to $5,000.00, issued by
  one journal entry per customer (receivable against sales), as an import writes them;
- each invoice gets a slot, (j * 37 + k) % 100 for the customer's j-th invoice: a
  permutation of every 100 consecutive invoices of a customer, so every customer has the
  same mix, below. A payment pays one invoice and takes the invoice's id as its own id
  (and as its journal entry's id), with the allocations, credit entries, gateway attempts
  and journal lines `payment_record` writes (`payment_postings`: the money's source
  debited, receivables and customer credit credited);
- void entries (an invoice voided, a check voided) have id invoices + i; the issue entries
  invoices * 2 + customer; the identity sequences and the payment counter are moved past
  them, so the services can post into the same database afterwards.

| slots | share | what |
|---|---|---|
| 0-39 | 40% | paid in full by one check: invoice paid |
| 40-47 | 8% | paid in full by a card, settled: paid |
| 48-57 | 10% | a check for two fifths of the total: open, partly paid |
| 58-62 | 5% | a check for the total + $25.00, the $25.00 into credit: paid |
| 63-65 | 3% | $20.00 of credit applied to it, named with its amount: open, partly paid (*) |
| 66-67 | 2% | a card payment of the total, pending: invoice pending |
| 68 | 1% | a check of the total, voided: allocation reversed, a reversing entry; open |
| 69-70 | 2% | invoice voided before any payment: a reversing entry; void |
| 71 | 1% | in a customer's first 100 invoices: held by a scheduled card payment; scheduled |
| the rest | ~30% | open, nothing paid |

(*) Only in a customer's whole blocks of 100 invoices, each with five overpayments
($125.00 of credit) for three applications ($60.00), so no customer's credit goes below
zero; elsewhere those slots stay open.

Not written (no check reads them): the payments' status history (PaymentEvent), the
integrator events and the audit trail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection

from remit.core.models import Counter
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import Account, JournalEntry, JournalLine
from remit.payments.allocation import EXPLICIT, OLDEST_FIRST
from remit.payments.models import (
    Allocation,
    CreditEntry,
    CreditKind,
    GatewayAttempt,
    GatewayOperation,
    MethodKind,
    Payment,
    PaymentMethod,
    PaymentType,
    ScheduledInvoice,
    ScheduledPayment,
    ScheduleStatus,
    Source,
)
from remit.payments.states import Outcome, PaymentStatus

OVERPAY_MINOR = 2500  # $25.00 into credit
CREDIT_USE_MINOR = 2000  # $20.00 of it applied
ACTOR = "system:bench"


class _Names:
    """A model's table, and its fields' columns as attributes: `INV.customer` is the column
    of Invoice.customer ("customer_id")."""

    def __init__(self, model) -> None:
        self._model = model
        self.table = model._meta.db_table

    def __getattr__(self, field: str) -> str:
        return self._model._meta.get_field(field).column

    def cols(self, *fields: str) -> str:
        return ", ".join(getattr(self, f) for f in fields)


CU, PM, INV = _Names(Customer), _Names(PaymentMethod), _Names(Invoice)
PAY, AL, CE = _Names(Payment), _Names(Allocation), _Names(CreditEntry)
GA, SP, SI = _Names(GatewayAttempt), _Names(ScheduledPayment), _Names(ScheduledInvoice)
JE, JL, CO = _Names(JournalEntry), _Names(JournalLine), _Names(Counter)


@dataclass(frozen=True)
class Size:
    invoices: int
    customers: int

    @property
    def per_customer(self) -> int:
        return -(-self.invoices // self.customers)

    @property
    def credit_until(self) -> int:
        """Credit is applied only among a customer's invoices j < this (whole blocks)."""
        return (self.invoices // self.customers) // 100 * 100


def default_customers(invoices: int) -> int:
    """2,000 customers for 200,000 invoices or more; fewer, 100 invoices each, below."""
    return max(1, min(2000, invoices // 100))


def _number(prefix: str, value: str, width: int) -> str:
    """SQL for f"{prefix}{value:0{width}d}" (remit's numbering), wider when it must be."""
    return f"'{prefix}' || lpad({value}::text, greatest({width}, length({value}::text)), '0')"


def _plan(size: Size) -> str:
    """The temporary view every statement reads: one row per invoice, with what it is
    and the payment it gets, if any."""
    n, k = size.invoices, size.customers
    return f"""
CREATE TEMPORARY VIEW bench_plan AS
WITH g AS (
  SELECT i, (i - 1) % {k} + 1 AS k, (i - 1) / {k} AS j, 5000 + (i * 7919) % 495001 AS total
  FROM generate_series(1::bigint, {n}::bigint) AS s(i)
), slotted AS (
  SELECT g.*, (j * 37 + k) % 100 AS slot,
         CURRENT_DATE - 760 + (j * 730 / {size.per_customer})::int AS invoice_date
  FROM g
), kinds AS (
  SELECT slotted.*, CASE
      WHEN slot < 40 THEN 'check'
      WHEN slot < 48 THEN 'card'
      WHEN slot < 58 THEN 'part'
      WHEN slot < 63 THEN 'over'
      WHEN slot < 66 AND j < {size.credit_until} THEN 'credit'
      WHEN slot < 66 THEN 'open'
      WHEN slot < 68 THEN 'pending'
      WHEN slot = 68 THEN 'voided'
      WHEN slot < 71 THEN 'void'
      WHEN slot = 71 AND j < 100 THEN 'held'
      ELSE 'open' END AS kind
  FROM slotted
), paid AS (
  SELECT kinds.*,
    CASE WHEN kind IN ('check', 'part', 'over', 'voided') THEN '{PaymentType.CHECK}'
         WHEN kind IN ('card', 'pending') THEN '{PaymentType.CARD}'
         WHEN kind = 'credit' THEN '{PaymentType.CREDIT}' END AS pay_type,
    CASE kind WHEN 'part' THEN total * 2 / 5 WHEN 'credit' THEN {CREDIT_USE_MINOR}
              ELSE total END AS applied,
    CASE kind WHEN 'over' THEN {OVERPAY_MINOR} ELSE 0 END AS credit
  FROM kinds
)
SELECT paid.*,
  applied + credit AS amount,
  CASE kind WHEN 'pending' THEN '{PaymentStatus.PENDING}'
            WHEN 'voided' THEN '{PaymentStatus.VOIDED}'
            ELSE '{PaymentStatus.SETTLED}' END AS pay_status,
  CASE WHEN kind IN ('check', 'card', 'over', 'pending') THEN 0
       WHEN kind IN ('part', 'credit') THEN total - applied ELSE total END AS balance,
  CASE WHEN kind IN ('check', 'card', 'over') THEN '{InvoiceStatus.PAID}'
       WHEN kind = 'pending' THEN '{InvoiceStatus.PENDING}'
       WHEN kind = 'void' THEN '{InvoiceStatus.VOID}'
       WHEN kind = 'held' THEN '{InvoiceStatus.SCHEDULED}'
       ELSE '{InvoiceStatus.OPEN}' END AS status,
  CASE WHEN kind = 'pending' THEN CURRENT_DATE - (i % 3)::int
       ELSE least(invoice_date + 10 + (i % 20)::int, CURRENT_DATE) END AS post_date,
  CASE WHEN pay_type = '{PaymentType.CHECK}' THEN (1000 + j)::text ELSE '' END AS reference,
  CASE pay_type WHEN '{PaymentType.CHECK}' THEN '{PaymentType.CHECK.label}'
                WHEN '{PaymentType.CARD}' THEN '{PaymentType.CARD.label}'
                ELSE '{PaymentType.CREDIT.label}' END AS pay_label,
  CASE pay_type WHEN '{PaymentType.CHECK}' THEN '{Account.UNDEPOSITED_FUNDS}'
                WHEN '{PaymentType.CARD}' THEN '{Account.CARD_CLEARING}'
                ELSE '{Account.CUSTOMER_CREDIT}' END AS source_account,
  {_number("INV-", "i", 7)} AS inv_number,
  {_number("PMT-", "i", 6)} AS pay_number,
  {_number("C-", "k", 4)} AS customer_number
FROM paid
"""


def _statements(size: Size) -> list[tuple[str, str]]:
    """(what, SQL) in order: parents before children."""
    n, k = size.invoices, size.customers
    paying = "FROM bench_plan WHERE pay_type IS NOT NULL"
    return [
        (
            "customers",
            f"INSERT INTO {CU.table} ({CU.cols('id', 'number', 'name', 'email', 'currency')},"
            f" {CU.created_at}) SELECT k, {_number('C-', 'k', 4)}, 'Bench customer ' || k,"
            f" 'ap' || k || '@bench.example', 'USD', now() FROM generate_series(1, {k}) AS s(k)",
        ),
        (
            "payment methods",
            f"INSERT INTO {PM.table} ({PM.cols('id', 'customer', 'kind', 'gateway', 'token')},"
            f" {PM.cols('brand', 'last4', 'exp_month', 'exp_year', 'holder_name', 'label')},"
            f" {PM.cols('is_default', 'removed', 'fingerprint', 'saved', 'created_at')})"
            f" SELECT k, k, '{MethodKind.CARD}', 'sandbox', 'tok_bench_' || k, 'Visa', '4242',"
            f" 12, 2030, '', '', true, false, 'fp_bench_' || k, true, now()"
            f" FROM generate_series(1, {k}) AS s(k)",
        ),
        (
            "invoices",
            f"INSERT INTO {INV.table} ({INV.cols('id', 'number', 'customer', 'invoice_date')},"
            f" {INV.cols('due_date', 'currency', 'total_minor', 'balance_due_minor', 'status')},"
            f" {INV.description}, {INV.created_at}) SELECT i, inv_number, k, invoice_date,"
            f" invoice_date + 30, 'USD', total, balance, status, '', now() FROM bench_plan",
        ),
        (
            "payments",
            f"INSERT INTO {PAY.table} ({PAY.cols('id', 'number', 'customer', 'type', 'reference')},"
            f" {PAY.cols('amount_minor', 'currency', 'post_date', 'notes', 'status')},"
            f" {PAY.cols('allocation_policy', 'actor', 'source', 'idempotency_key')},"
            f" {PAY.cols('request_fingerprint', 'created_at', 'void_reason', 'method')},"
            f" {PAY.cols('gateway_outcome', 'failure_reason', 'reason')})"
            f" SELECT i, pay_number, k, pay_type, reference, amount, 'USD', post_date, '',"
            f" pay_status, CASE kind WHEN 'credit' THEN '{EXPLICIT}' ELSE '{OLDEST_FIRST}' END,"
            f" '{ACTOR}',"
            f" CASE pay_type WHEN '{PaymentType.CHECK}' THEN '{Source.BACKOFFICE}'"
            f" ELSE '{Source.PORTAL}' END, 'bench-' || i, md5(i::text), now(),"
            f" CASE kind WHEN 'voided' THEN 'bench' ELSE '' END,"
            f" CASE pay_type WHEN '{PaymentType.CARD}' THEN k END,"
            f" CASE pay_type WHEN '{PaymentType.CARD}' THEN '{Outcome.APPROVED}' ELSE '' END, '',"
            f" ''"
            f" {paying}",
        ),
        (
            "allocations",
            f"INSERT INTO {AL.table} ({AL.cols('payment', 'invoice', 'amount_minor', 'currency')},"
            f" {AL.reversed}, {AL.moved}) SELECT i, i, applied, 'USD', kind = 'voided',"
            f" false {paying}",
        ),
        (
            "credit entries",
            f"INSERT INTO {CE.table} ({CE.cols('customer', 'currency', 'amount_minor', 'kind')},"
            f" {CE.cols('payment', 'note', 'created_at')})"
            f" SELECT k, 'USD', {OVERPAY_MINOR}, '{CreditKind.CREATED}', i, 'Overpayment of '"
            f" || pay_number || ', check #' || reference || ', on ' || inv_number, now()"
            f" FROM bench_plan WHERE kind = 'over'"
            f" UNION ALL SELECT k, 'USD', -{CREDIT_USE_MINOR}, '{CreditKind.APPLIED}', i,"
            f" 'Applied by ' || pay_number || ' to ' || inv_number, now()"
            f" FROM bench_plan WHERE kind = 'credit'",
        ),
        (
            "gateway attempts",
            f"INSERT INTO {GA.table} ({GA.cols('payment', 'operation', 'idempotency_key')},"
            f" {GA.cols('amount_minor', 'currency', 'outcome', 'gateway_reference')},"
            f" {GA.cols('decline_reason', 'created_at', 'completed_at', 'sent_at')},"
            f" {GA.cols('deadline', 'sends', 'sequence', 'plan')}) SELECT i,"
            f" '{GatewayOperation.CHARGE}',"
            f" 'remit-' || pay_number || '-{GatewayOperation.CHARGE}', amount, 'USD',"
            f" '{Outcome.APPROVED}', 'ch_bench_' || i, '', now(), now(), now(),"
            f" now() + interval '30 seconds', 1, 0, '{{}}' {paying}"
            f" AND pay_type = '{PaymentType.CARD}'",
        ),
        (
            "scheduled payments",
            f"INSERT INTO {SP.table} ({SP.cols('id', 'number', 'customer', 'method', 'run_on')},"
            f" {SP.cols('status', 'outcome', 'idempotency_key', 'request_fingerprint')},"
            f" {SP.cols('actor', 'source', 'created_at')}) SELECT k, {_number('SCH-', 'k', 6)},"
            f" k, k, CURRENT_DATE + 7, '{ScheduleStatus.SCHEDULED}', '', 'bench-schedule-' || k,"
            f" md5('schedule' || k), '{ACTOR}', '{Source.PORTAL}', now()"
            f" FROM bench_plan WHERE kind = 'held'",
        ),
        (
            "scheduled invoices",
            f"INSERT INTO {SI.table} ({SI.cols('schedule', 'invoice', 'left_out')})"
            f" SELECT k, i, '' FROM bench_plan WHERE kind = 'held'",
        ),
        (
            "journal entries",
            f"INSERT INTO {JE.table} ({JE.cols('id', 'posted_on', 'reference', 'description')})"
            f" SELECT i, post_date, pay_number, pay_label || ' payment ' || pay_number {paying}"
            f" UNION ALL SELECT {n} + i, least(post_date + 1, CURRENT_DATE), pay_number,"
            f" 'Void of ' || pay_number || ': bench' FROM bench_plan WHERE kind = 'voided'"
            f" UNION ALL SELECT {n} + i, least(invoice_date + 10, CURRENT_DATE), inv_number,"
            f" 'Invoice ' || inv_number || ' voided: bench' FROM bench_plan WHERE kind = 'void'"
            f" UNION ALL SELECT {2 * n} + k, min(invoice_date), 'bench-import-' ||"
            f" min(customer_number), count(*) || ' invoice(s) issued' FROM bench_plan GROUP BY k",
        ),
        (
            "journal lines",
            f"INSERT INTO {JL.table} ({JL.cols('entry', 'account', 'currency', 'amount_minor')})"
            f" SELECT i, line.account, 'USD', line.amount FROM bench_plan CROSS JOIN LATERAL"
            f" (VALUES (source_account, amount), ('{Account.RECEIVABLE}', -applied),"
            f" ('{Account.CUSTOMER_CREDIT}', -credit)) AS line(account, amount)"
            f" WHERE pay_type IS NOT NULL AND line.amount <> 0"
            f" UNION ALL SELECT {n} + i, line.account, 'USD', line.amount FROM bench_plan"
            f" CROSS JOIN LATERAL (VALUES (source_account, -amount), ('{Account.RECEIVABLE}',"
            f" applied)) AS line(account, amount) WHERE kind = 'voided'"
            f" UNION ALL SELECT {n} + i, line.account, 'USD', line.amount FROM bench_plan"
            f" CROSS JOIN LATERAL (VALUES ('{Account.SALES}', total), ('{Account.RECEIVABLE}',"
            f" -total)) AS line(account, amount) WHERE kind = 'void'"
            f" UNION ALL SELECT {2 * n} + k, line.account, 'USD', line.amount FROM"
            f" (SELECT k, sum(total) AS issued FROM bench_plan GROUP BY k) AS t CROSS JOIN LATERAL"
            f" (VALUES ('{Account.RECEIVABLE}', issued), ('{Account.SALES}', -issued))"
            f" AS line(account, amount)",
        ),
        (
            "counters",
            f"INSERT INTO {CO.table} ({CO.cols('name', 'value')}) VALUES ('payment', {n}),"
            f" ('schedule', {k}) ON CONFLICT ({CO.name}) DO UPDATE SET {CO.value} ="
            f" greatest({CO.table}.{CO.value}, EXCLUDED.{CO.value})",
        ),
        (
            "identity sequences",
            "SELECT "
            + ", ".join(
                f"setval(pg_get_serial_sequence('{t.table}', '{t.id}'),"
                f" (SELECT coalesce(max({t.id}), 0) + 1 FROM {t.table}), false)"
                for t in (CU, PM, INV, PAY, SP, JE)
            ),
        ),
    ]


def books_generate(size: Size, *, analyze: bool = True) -> dict[str, float]:
    """Write the books of `size` into the empty tables of a migrated PostgreSQL
    database; the seconds each step took. With `analyze`, VACUUM ANALYZE at the end
    (outside a transaction), as a database that has been running would be."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the bench data is written in PostgreSQL's SQL")
    if Invoice.objects.exists() or Payment.objects.exists():
        raise RuntimeError("the bench writes into empty tables only")
    seconds: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS bench_plan")
        cursor.execute(_plan(size))
        for what, sql in _statements(size):
            started = time.perf_counter()
            cursor.execute(sql)
            seconds[what] = time.perf_counter() - started
        cursor.execute("DROP VIEW bench_plan")
        if analyze:
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE")
            seconds["vacuum analyze"] = time.perf_counter() - started
    return seconds


def row_counts() -> dict[str, int]:
    """Rows in the tables the audit reads."""
    models = {
        "customers": Customer,
        "invoices": Invoice,
        "payments": Payment,
        "allocations": Allocation,
        "credit entries": CreditEntry,
        "journal entries": JournalEntry,
        "journal lines": JournalLine,
        "scheduled invoices": ScheduledInvoice,
    }
    return {name: model.objects.count() for name, model in models.items()}
