"""The input layer: how every face reads what a person or a program typed.

The portal, the back office, the JSON API, the command line and the CSV import all read
amounts, numbers (customer, invoice, payment), dates and invoice lists through these
modules, so one input is accepted or refused the same way everywhere, with the same
sentence. A face only says where the text came from (a form field, a JSON member, an
option, a CSV column) and renders the refusal its own way.

- `amount_text`: the one syntax of an amount (text to Decimal), used by `Money.of` too;
- `amounts`: an amount a user gives, in a currency: positive, at most its minor digits;
- `identifiers`: the one rule for customer, invoice and payment numbers;
- `dates`: a date as YYYY-MM-DD, and the bounds a date must fall within;
- `invoice_list`: the invoices a payment names, each with an amount or none (`N=AMOUNT`);
- `free_text`: a reference, notes, a description, a reason: never a card number;
- `fields`: Django form fields over the same parsers, for the faces with HTML forms.

The rules that depend on the business (how far back a payment may be dated, which years
an invoice may carry) live in the domain apps (`payments/post_date.py`,
`invoices/rules.py`); these modules only parse and bound.

Nothing here imports from the package itself at import time, so `core.money` may use
`amount_text` without a cycle.
"""
