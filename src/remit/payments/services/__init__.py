"""The only writers of payments, allocations, customer credit, saved methods and schedules
(DESIGN rules 1-9). One idea a module:

- `take`: `payment_take`, the one way in for money received, by type (offline or gateway);
- `offline`: checks, money orders, cash... posted by staff, settled at once;
- `card`: card and bank payments through the gateway, and the charge's answers;
- `voids`: voids (in the books, or at the gateway) and refunds;
- `reconcile`: the reconciler, the daily settlement, one payment at a webhook's word;
- `credit`: the customer credit ledger, and applying credit to invoices;
- `checkout`: the portal's Pay Selected Invoices (credit first, then a card);
- `schedule`: scheduled payments, held, cancelled and run;
- `method`: saved cards and bank accounts;

and what they share, inside their transaction:

- `unit_of_work`: `money_transaction`, the customer's lock and the idempotency key;
- `transitions`: `payment_transition`, the one way a payment's status moves;
- `recording`: `payment_record`, a payment with its allocations, credit and journal entry;
- `balances`: invoice balances and statuses, set-based;
- `reversal`: `payment_reverse`, undoing a payment in the books;
- `attempts`: the gateway attempt (in flight, unfinished, never reached).
"""
