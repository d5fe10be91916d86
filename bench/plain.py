"""The writes of remit's `payment_post`, hand-written in SQL on the DB-API driver.

No Django and no Money objects: integer minor units (the bench is in USD, two decimals)
and one statement per step, on the real tables created by remit's migrations. Per payment,
in one transaction, exactly what remit writes:

  lock the customer; check the idempotency key; lock and read the invoice(s); bump the
  payment counter (UPDATE ... RETURNING); INSERT the payment; INSERT the allocation(s);
  UPDATE the invoice balance/status (status from the pending-allocation check, folded
  into the UPDATE); INSERT the journal entry and its lines; INSERT the payment event;
  INSERT the audit event.

remit skips zero journal lines (journal_line_not_zero forbids them), so a payment that
is applied in full writes two lines, not three; so does this.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

# The tables remit's migrations create (checked against the models in bench/workloads.py).
TABLES = {
    "customer": "customers_customer",
    "invoice": "invoices_invoice",
    "counter": "core_counter",
    "payment": "payments_payment",
    "allocation": "payments_allocation",
    "entry": "ledger_journalentry",
    "line": "ledger_journalline",
    "event": "payments_paymentevent",
    "audit": "core_auditevent",
    "outbox": "payments_event",
}

# The columns written to each table, in the order of the VALUES below. Columns of remit's
# models not named here (added since) are written with their model default, passed in as
# `extras` (bench/workloads.py reads them from the models).
COLUMNS = {
    "payment": (
        "number",
        "customer_id",
        "type",
        "reference",
        "amount_minor",
        "currency",
        "post_date",
        "notes",
        "status",
        "allocation_policy",
        "posted_by_id",
        "actor",
        "source",
        "idempotency_key",
        "request_fingerprint",
        "created_at",
        "void_reason",
        "reason",
    ),
    "allocation": ("payment_id", "invoice_id", "amount_minor", "currency", "reversed", "moved"),
    "entry": ("at", "posted_on", "reference", "description"),
    "line": ("entry_id", "account", "currency", "amount_minor"),
    "event": (
        "payment_id",
        "from_status",
        "action",
        "outcome",
        "to_status",
        "detail",
        "actor",
        "at",
    ),
    "outbox": ("at", "kind", "customer_id", "object_number", "data"),
    "audit": (
        "at",
        "user_id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "request_id",
        "idempotency_key",
    ),
}

CURRENCY = "USD"
PAYMENT_TYPE = "check"
TYPE_LABEL = "Check"
UNDEPOSITED_FUNDS = "undeposited_funds"
RECEIVABLE = "accounts_receivable"
CUSTOMER_CREDIT = "customer_credit"


class PlainRefused(Exception):
    """What remit would refuse (or handle in a way the bench does not model)."""


def usd(minor: int) -> str:
    """'123.45' from 12345: remit's str(Money) for a two-decimal currency."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def fingerprint(*parts: object) -> str:
    canonical = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PlainPoster:
    """Posts check payments with hand-written SQL on a sqlite3 or psycopg connection.

    For sqlite3 the connection must be in autocommit mode (isolation_level=None): each
    payment runs BEGIN IMMEDIATE ... COMMIT, as remit's settings make Django do. For
    psycopg the connection must not be in autocommit: the first statement opens the
    transaction, commit() ends it.
    """

    def __init__(
        self,
        conn: Any,
        vendor: str,
        *,
        actor: str,
        source: str,
        extras: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.conn = conn
        self.extras = extras or {}
        self.pg = vendor == "postgresql"
        self.actor = actor
        self.source = source
        if self.pg:
            from psycopg.types.json import Jsonb

            self._json = Jsonb
        else:
            self._json = json.dumps
        lock = " FOR UPDATE" if self.pg else ""
        t = TABLES
        pending_check = (
            f"EXISTS (SELECT 1 FROM {t['allocation']} a JOIN {t['payment']} p"
            f" ON p.id = a.payment_id WHERE a.invoice_id = {t['invoice']}.id"
            " AND NOT a.reversed AND p.status = 'pending')"
        )
        self.q_customer = self._p(
            f"SELECT id, number, currency FROM {t['customer']} WHERE id = %s{lock}"
        )
        self.q_replay = self._p(
            f"SELECT id, request_fingerprint FROM {t['payment']}"
            " WHERE customer_id = %s AND idempotency_key = %s"
        )
        self.q_invoice = self._p(
            f"SELECT id, number, balance_due_minor, status, currency FROM {t['invoice']}"
            f" WHERE customer_id = %s AND number = %s{lock}"
        )
        self.q_open_invoices = self._p(
            f"SELECT id, number, invoice_date, due_date, balance_due_minor FROM {t['invoice']}"
            f" WHERE customer_id = %s AND status = 'open' AND currency = %s ORDER BY id{lock}"
        )
        self.q_counter = self._p(
            f"UPDATE {t['counter']} SET value = value + 1 WHERE name = 'payment' RETURNING value"
        )
        self.q_payment = self._insert(
            "payment",
            "%s, %s, %s, %s, %s, %s, %s, '', 'settled', %s, NULL, %s, %s, %s, %s, %s, '', ''",
            " RETURNING id",
        )
        self.q_allocation = self._insert("allocation", "%s, %s, %s, %s, %s, false")
        # One invoice: the new balance, and its status in the same statement (paid, or
        # pending when an unsettled payment still covers it; open while something is due).
        self.q_invoice_update = self._p(
            f"UPDATE {t['invoice']} SET balance_due_minor = %s, status = CASE"
            f" WHEN %s > 0 THEN 'open' WHEN {pending_check}"
            " THEN 'pending' ELSE 'paid' END WHERE id = %s"
        )
        self.q_entry = self._insert("entry", "%s, %s, %s, %s", " RETURNING id")
        self.q_outbox = self._insert("outbox", "%s, %s, %s, %s, %s")
        self.q_event = self._insert(
            "event", "%s, 'new', 'record', 'approved', 'settled', '', %s, %s"
        )
        self.q_audit = self._insert(
            "audit", "%s, NULL, %s, 'payment.posted', 'Payment', %s, NULL, %s, '', %s"
        )
        self.q_allocations_unnest = (  # PostgreSQL: all of a lump sum's in one statement
            f"INSERT INTO {t['allocation']} ({self._columns('allocation')})"
            f" SELECT %s, i, a, %s, false, false{self._extra_values('allocation')}"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS u(i, a)"
        )
        self._line_sql: dict[int, str] = {}

    # --- the two kinds of payment the bench posts --------------------------------------

    def post_single(
        self,
        *,
        customer_id: int,
        invoice_number: str,
        amount_minor: int,
        key: str,
        reference: str,
    ) -> int:
        """A check paying one named invoice; returns the payment id."""
        today = self._today()
        fp = fingerprint(
            "payment_post",
            customer_id,
            usd(amount_minor),
            PAYMENT_TYPE,
            reference,
            today,
            "",
            self.source,
            [[invoice_number, None]],
        )
        cur = self._begin()
        try:
            cur.execute(self.q_customer, (customer_id,))
            if cur.fetchone() is None:
                raise PlainRefused(f"no customer {customer_id}")
            replay = self._replay(cur, customer_id, key, fp)
            if replay is not None:
                self._commit(cur)
                return replay
            cur.execute(self.q_invoice, (customer_id, invoice_number))
            row = cur.fetchone()
            if row is None:
                raise PlainRefused(f"no invoice {invoice_number}")
            invoice_id, number, balance, status, currency = row
            if status != "open" or currency != CURRENCY:
                raise PlainRefused(f"{number} is {status} in {currency}")
            if amount_minor > balance:
                raise PlainRefused("overpayment (customer credit) is not modelled")
            payment_id, payment_number = self._payment(
                cur, customer_id, amount_minor, reference, today, key, fp, "oldest_first"
            )
            cur.execute(self.q_allocation, (payment_id, invoice_id, amount_minor, CURRENCY, False))
            new_balance = balance - amount_minor
            cur.execute(self.q_invoice_update, (new_balance, new_balance, invoice_id))
            self._books(
                cur,
                payment_id,
                payment_number,
                amount_minor,
                today,
                key,
                {number: usd(amount_minor)},
                customer_id=customer_id,
                paid=[number] if new_balance == 0 else [],
            )
            self._commit(cur)
            return payment_id
        except BaseException:
            self._rollback(cur)
            raise

    def post_lump(self, *, customer_id: int, amount_minor: int, key: str, reference: str) -> int:
        """A check spread over all the customer's open invoices, oldest first."""
        today = self._today()
        fp = fingerprint(
            "payment_post",
            customer_id,
            usd(amount_minor),
            PAYMENT_TYPE,
            reference,
            today,
            "",
            self.source,
            [],
        )
        cur = self._begin()
        try:
            cur.execute(self.q_customer, (customer_id,))
            if cur.fetchone() is None:
                raise PlainRefused(f"no customer {customer_id}")
            replay = self._replay(cur, customer_id, key, fp)
            if replay is not None:
                self._commit(cur)
                return replay
            cur.execute(self.q_open_invoices, (customer_id, CURRENCY))
            rows = cur.fetchall()
            rows.sort(key=lambda r: (r[2], r[3], r[1]))  # invoice date, due date, number
            lines: list[tuple[int, str, int, int]] = []  # id, number, applied, new balance
            remaining = amount_minor
            for invoice_id, number, _, _, balance in rows:
                if remaining == 0:
                    break
                applied = min(remaining, balance)
                if applied > 0:
                    lines.append((invoice_id, number, applied, balance - applied))
                    remaining -= applied
            if remaining:
                raise PlainRefused("overpayment (customer credit) is not modelled")
            payment_id, payment_number = self._payment(
                cur, customer_id, amount_minor, reference, today, key, fp, "oldest_first"
            )
            if self.pg:  # one statement, the columns as arrays
                cur.execute(
                    self.q_allocations_unnest,
                    (
                        payment_id,
                        CURRENCY,
                        [line[0] for line in lines],
                        [line[2] for line in lines],
                    ),
                )
            else:  # in-process: the prepared INSERT, once per line
                cur.executemany(
                    self.q_allocation,
                    [(payment_id, line[0], line[2], CURRENCY, False) for line in lines],
                )
            self._set_balances(cur, lines)
            self._books(
                cur,
                payment_id,
                payment_number,
                amount_minor,
                today,
                key,
                {line[1]: usd(line[2]) for line in lines},
                customer_id=customer_id,
                paid=[line[1] for line in lines if line[3] == 0],
            )
            self._commit(cur)
            return payment_id
        except BaseException:
            self._rollback(cur)
            raise

    # --- shared steps ----------------------------------------------------------------

    def _replay(self, cur: Any, customer_id: int, key: str, fp: str) -> int | None:
        cur.execute(self.q_replay, (customer_id, key))
        row = cur.fetchone()
        if row is None:
            return None
        if row[1] != fp:
            raise PlainRefused("idempotency key reused with a different request")
        return row[0]

    def _payment(
        self,
        cur: Any,
        customer_id: int,
        amount_minor: int,
        reference: str,
        today: Any,
        key: str,
        fp: str,
        policy: str,
    ) -> tuple[int, str]:
        cur.execute(self.q_counter)
        number = f"PMT-{cur.fetchone()[0]:06d}"
        cur.execute(
            self.q_payment,
            (
                number,
                customer_id,
                PAYMENT_TYPE,
                reference,
                amount_minor,
                CURRENCY,
                today,
                policy,
                self.actor,
                self.source,
                key,
                fp,
                self._now(),
            ),
        )
        return cur.fetchone()[0], number

    def _set_balances(self, cur: Any, lines: list[tuple[int, str, int, int]]) -> None:
        """Set-based, like remit: one UPDATE per distinct (balance, status)."""
        settled_out = [line[0] for line in lines if line[3] == 0]
        unsettled: set[int] = set()
        if settled_out:
            cur.execute(
                self._p(
                    f"SELECT DISTINCT a.invoice_id FROM {TABLES['allocation']} a"
                    f" JOIN {TABLES['payment']} p ON p.id = a.payment_id"
                    f" WHERE a.invoice_id {self._in_list()} AND NOT a.reversed"
                    " AND p.status = 'pending'"
                ),
                (self._id_list(settled_out),),
            )
            unsettled = {row[0] for row in cur.fetchall()}
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for invoice_id, _, _, balance in lines:
            status = "open" if balance else ("pending" if invoice_id in unsettled else "paid")
            groups[(balance, status)].append(invoice_id)
        sql = self._p(
            f"UPDATE {TABLES['invoice']} SET balance_due_minor = %s, status = %s"
            f" WHERE id {self._in_list()}"
        )
        for (balance, status), ids in groups.items():
            cur.execute(sql, (balance, status, self._id_list(ids)))

    def _books(
        self,
        cur: Any,
        payment_id: int,
        payment_number: str,
        amount_minor: int,
        today: Any,
        key: str,
        allocations: dict[str, str],
        *,
        customer_id: int,
        paid: list[str],
    ) -> None:
        """Journal entry and lines, payment event, events for integrators, audit event."""
        now = self._now()
        cur.execute(
            self.q_entry, (now, today, payment_number, f"{TYPE_LABEL} payment {payment_number}")
        )
        entry_id = cur.fetchone()[0]
        postings = [(UNDEPOSITED_FUNDS, amount_minor), (RECEIVABLE, -amount_minor)]
        params: list[Any] = []
        for account, minor in postings:
            params += [entry_id, account, CURRENCY, minor]
        cur.execute(self._lines(len(postings)), params)
        cur.execute(self.q_event, (payment_id, self.actor, now))
        after = {
            "amount": usd(amount_minor),
            "currency": CURRENCY,
            "type": PAYMENT_TYPE,
            "allocations": allocations,
            "credit_created": usd(0),
        }
        cur.execute(self.q_audit, (now, self.actor, payment_number, self._json(after), key))
        paid_invoice = self._json({"status": "paid"})
        payment_data = {"status": "settled", "amount": usd(amount_minor)}
        posted = self._json({**payment_data, "type": PAYMENT_TYPE})
        settled = self._json(payment_data)
        cur.executemany(
            self.q_outbox,
            [(now, "invoice.paid", customer_id, number, paid_invoice) for number in paid]
            + [
                (now, "payment.posted", customer_id, payment_number, posted),
                (now, "payment.settled", customer_id, payment_number, settled),
            ],
        )

    def _lines(self, count: int) -> str:
        if count not in self._line_sql:
            self._line_sql[count] = self._insert("line", "%s, %s, %s, %s", rows=count)
        return self._line_sql[count]

    def _insert(self, table: str, values: str, tail: str = "", *, rows: int = 1) -> str:
        """INSERT INTO `table` (COLUMNS + extras) VALUES (`values` + extras)[, ...]`tail`."""
        group = f"({values}{self._extra_values(table)})"
        return self._p(
            f"INSERT INTO {TABLES[table]} ({self._columns(table)})"
            f" VALUES {', '.join([group] * rows)}{tail}"
        )

    def _columns(self, table: str) -> str:
        return ", ".join((*COLUMNS[table], *self.extras.get(table, {})))

    def _extra_values(self, table: str) -> str:
        return "".join(f", {_literal(v)}" for v in self.extras.get(table, {}).values())

    # --- dialect ---------------------------------------------------------------------

    def _p(self, sql: str) -> str:
        return sql if self.pg else sql.replace("%s", "?")

    def _in_list(self) -> str:
        # One parameter for any number of ids: an array on PostgreSQL, JSON on SQLite.
        return "= ANY(%s)" if self.pg else "IN (SELECT value FROM json_each(%s))"

    def _id_list(self, ids: list[int]) -> Any:
        return ids if self.pg else json.dumps(ids)

    def _now(self) -> Any:
        now = datetime.now(UTC)
        # Django stores aware datetimes on SQLite as naive UTC text.
        return now if self.pg else str(now.replace(tzinfo=None))

    def _today(self) -> Any:
        today = datetime.now(UTC).date()
        return today if self.pg else today.isoformat()

    def _begin(self) -> Any:
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        return cur

    def _commit(self, cur: Any) -> None:
        if self.pg:
            self.conn.commit()
        else:
            cur.execute("COMMIT")

    def _rollback(self, cur: Any) -> None:
        if self.pg:
            self.conn.rollback()
        elif self.conn.in_transaction:
            cur.execute("ROLLBACK")


def _literal(value: Any) -> str:
    """A constant default as SQL: NULL, TRUE/FALSE, a number or a quoted string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for the default {value!r}")
