"""What the matcher may look up, loaded for a whole file in a few set-based queries: the
customers, every open invoice in the file's currencies, the payers remembered, and the
deposits no statement line has matched yet. No query per line."""

from __future__ import annotations

from collections.abc import Iterable

from remit.bank.matching import CustomerInfo, Directory, OpenDeposit, OpenInvoice
from remit.bank.models import BankLine, Deposit, PayerKind, PayerMemory
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus


def directory_load(currencies: Iterable[str]) -> Directory:
    currencies = sorted(set(currencies))
    customers = [
        CustomerInfo(*row)
        for row in Customer.objects.order_by().values_list("id", "number", "name", "currency")
    ]
    invoices = [
        OpenInvoice(*row)
        for row in Invoice.objects.order_by("invoice_date", "due_date", "number")
        .filter(status=InvoiceStatus.OPEN, balance_due_minor__gt=0, currency__in=currencies)
        .values_list(
            "id",
            "number",
            "customer_id",
            "currency",
            "balance_due_minor",
            "invoice_date",
            "due_date",
        )
    ]
    names: dict[str, int] = {}
    accounts: dict[str, int] = {}
    for kind, key, customer_id in PayerMemory.objects.values_list("kind", "key", "customer_id"):
        (names if kind == PayerKind.NAME else accounts)[key] = customer_id
    matched = BankLine.objects.filter(deposit__isnull=False).values("deposit_id")
    deposits = [
        OpenDeposit(*row)
        for row in Deposit.objects.order_by()
        .filter(currency__in=currencies)
        .exclude(pk__in=matched)
        .values_list("id", "number", "currency", "total_minor")
    ]
    return Directory.build(
        customers=customers,
        invoices=invoices,
        remembered_names=names,
        remembered_accounts=accounts,
        deposits=deposits,
        presorted=True,
    )
